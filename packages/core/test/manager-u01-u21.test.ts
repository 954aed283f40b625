import { Manager, Registry, TransportError, httpUpstream } from "@att/core"
import { ScriptedTransport, T0, advanceSeconds, atT0, invocationError, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"

const at = (seconds: number) => DateTime.add(T0, { seconds })
const transportError = (message: string) => Effect.fail(new TransportError({ message, category: "transport_error" }))
const register = (...names: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.forEach(names, (name) => manager.register(name, httpUpstream(`http://${name}.local`)))
  )
const methods = Effect.map(ScriptedTransport, (scripted) => scripted.calls().map((call) => call.method))

describe("manager scenarios U1–U21 (spec §14.1)", () => {
  it.effect("U1 probe failure progression", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* register("codex")
      const first = yield* manager.healthCheckServer("codex")
      expect(first).toMatchObject({
        status: "degraded",
        retry_count: 1,
        last_error: "timeout",
        last_error_category: "health_check"
      })
      yield* advanceSeconds(1)
      const second = yield* manager.healthCheckServer("codex")
      expect(second).toMatchObject({ status: "unreachable", retry_count: 2 })
      const events = yield* manager.listEvents()
      expect(events.map((e) => [e.from_status, e.to_status])).toEqual([
        ["healthy", "degraded"],
        ["degraded", "unreachable"]
      ])
    }).pipe(
      Effect.provide(
        scriptedAtt({
          manager: { unreachableAfter: 2 },
          probe: () => Effect.succeed({ healthy: false, error: "timeout" })
        })
      )
    )
  )

  it.effect("U2 recovery resets backoff", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* register("codex")
      const degraded = yield* manager.healthCheckServer("codex")
      expect(degraded.next_retry_at).toEqual(at(1))
      const healed = yield* manager.recordCheckResult("codex", { healthy: true })
      expect(Option.getOrThrow(healed)).toMatchObject({ status: "healthy", retry_count: 0, next_retry_at: null })
    }).pipe(Effect.provide(scriptedAtt({ probe: () => Effect.succeed({ healthy: false, error: "temporary" }) })))
  )

  it.effect("U3/U4 retry window opens inclusively one second after a failure", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* register("codex")
      yield* manager.recordCheckResult("codex", { healthy: false, error: "down" })
      expect(yield* manager.shouldRetry("codex")).toBe(false)
      yield* advanceSeconds(1)
      expect(yield* manager.shouldRetry("codex")).toBe(true)
      expect(yield* manager.shouldRetry("missing")).toBe(false)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U5 selection prefers healthy, then degraded", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("a", "b")
      yield* manager.markDegraded("a")
      expect(Option.getOrThrow(yield* manager.chooseServer()).name).toBe("b")
      yield* manager.markDegraded("b")
      expect(Option.getOrThrow(yield* manager.chooseServer(["a", "b"])).name).toBe("a")
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U6 failover on exception", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("primary", "backup")
      const result = yield* manager.invokeTool("att.project.list", {}, ["primary", "backup"])
      expect(result).toMatchObject({ server: "backup", method: "tools/call" })
      const calls = scripted.calls()
      expect(calls[0]).toMatchObject({ server: "primary", method: "initialize" })
      expect(calls.at(-1)).toMatchObject({ server: "backup", method: "tools/call" })
      expect(yield* manager.get("primary")).toMatchObject({ status: "degraded", initialized: false })
      expect(yield* manager.get("backup")).toMatchObject({ status: "healthy", initialized: true })
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: { responder: (server) => (server === "primary" ? transportError("connect timeout") : undefined) }
        })
      )
    )
  )

  it.effect("U7 fallback on rpc error at initialize", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("primary", "secondary")
      const result = yield* manager.readResource("att://projects", ["primary", "secondary"])
      expect(result.server).toBe("secondary")
      expect(scripted.calls()[0]).toMatchObject({ server: "primary", method: "initialize" })
      expect(scripted.calls().at(-1)).toMatchObject({ server: "secondary", method: "resources/read" })
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (server, request) =>
              server === "primary" && "id" in request
                ? Effect.succeed({ jsonrpc: "2.0", id: request.id, error: { message: "rpc down" } })
                : undefined
          }
        })
      )
    )
  )

  it.effect("U8 no servers", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* Manager).invokeTool("att.project.list", {}))
      expect(error).toMatchObject({
        message: "No reachable MCP servers are currently available",
        method: "tools/call",
        request_id: null,
        attempts: []
      })
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U9 attempt trace", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("primary", "backup")
      const error = yield* invocationError(manager.invokeTool("att.project.list", {}, ["primary", "backup"]))
      expect(error.attempts).toEqual([
        {
          server: "primary",
          stage: "initialize",
          success: false,
          error: "primary down",
          error_category: "transport_error"
        },
        { server: "backup", stage: "initialize", success: true, error: null, error_category: null },
        {
          server: "backup",
          stage: "invoke",
          success: false,
          error: "rpc error: rpc failure",
          error_category: "rpc_error"
        }
      ])
      expect(error.message).toBe(
        "Invocation failed across servers: primary: initialize failed (primary down); backup: rpc error: rpc failure"
      )
      expect(error.request_id).not.toBeNull() // G22
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (server, request) => {
              if (server === "primary") return transportError("primary down")
              return request.method === "tools/call" && "id" in request
                ? Effect.succeed({ jsonrpc: "2.0", id: request.id, error: { message: "rpc failure" } })
                : undefined
            }
          }
        })
      )
    )
  )

  // Deliberately different from U10 (issue 16): an expired initialization is refreshed by a `ping` on the live
  // session; a second `initialize` happens only with a new session.
  it.effect("U10 expiry refreshes the live session with a ping, never a second initialize on it", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      yield* manager.initializeServer("codex")
      yield* manager.invokeTool("att.project.list", {})
      expect(yield* methods).toEqual(["initialize", "notifications/initialized", "ping", "tools/call"])
      const record = yield* (yield* Registry).get("codex")
      expect(record.initialization_expires_at).not.toBeNull()
    }).pipe(Effect.provide(scriptedAtt({ manager: { maxInitializationAge: 0 } })))
  )

  it.effect("U11 http_status category at invoke", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      const error = yield* invocationError(manager.invokeTool("att.project.list", {}))
      expect(error.attempts).toHaveLength(2)
      expect(error.attempts[1]).toMatchObject({
        stage: "invoke",
        error_category: "http_status",
        error: "http status 503"
      })
      expect((yield* manager.get("codex")).last_error_category).toBe("http_status")
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (_, request) =>
              request.method === "tools/call"
                ? Effect.fail(new TransportError({ message: "http status 503", category: "http_status" }))
                : undefined
          }
        })
      )
    )
  )

  it.effect("U12 mixed-state cluster", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const registry = yield* Registry
      const scripted = yield* ScriptedTransport
      yield* register("primary", "recovered", "degraded")
      yield* registry.update("primary", (r) => ({ ...r, initialized: true, initialization_expires_at: at(60) }))
      yield* manager.recordCheckResult("degraded", { healthy: false, error: "down" })
      yield* advanceSeconds(2)
      const result = yield* manager.invokeTool("att.project.list", {}, ["primary", "recovered", "degraded"])
      expect(result.server).toBe("recovered")
      // primary's record says initialized but it has no session: the Manager opens one before the call (issue 16).
      expect(scripted.calls().map((c) => [c.server, c.method])).toEqual([
        ["primary", "initialize"],
        ["primary", "notifications/initialized"],
        ["primary", "tools/call"],
        ["recovered", "initialize"],
        ["recovered", "notifications/initialized"],
        ["recovered", "tools/call"]
      ])
      expect(yield* manager.get("primary")).toMatchObject({ status: "degraded" })
      expect(yield* manager.get("recovered")).toMatchObject({ status: "healthy", initialized: true })
    }).pipe(
      Effect.provide(
        scriptedAtt({
          manager: { maxInitializationAge: null },
          transport: {
            responder: (server, request) =>
              server === "primary" && request.method === "tools/call" && "id" in request
                ? Effect.succeed({ jsonrpc: "2.0", id: request.id, error: { message: "rpc down" } })
                : undefined
          }
        })
      )
    )
  )

  it.effect("U13 invocation event order for fallback", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("primary", "backup")
      yield* manager.invokeTool("att.project.list", {}, ["primary", "backup"])
      const events = yield* manager.listInvocationEvents()
      expect(events.map((e) => e.phase)).toEqual([
        "initialize_start",
        "initialize_failure",
        "initialize_start",
        "initialize_success",
        "invoke_start",
        "invoke_success"
      ])
      expect(events.map((e) => e.server)).toEqual(["primary", "primary", "backup", "backup", "backup", "backup"])
      expect(new Set(events.map((e) => e.request_id)).size).toBe(1)
    }).pipe(
      Effect.provide(
        scriptedAtt({ transport: { responder: (s) => (s === "primary" ? transportError("down") : undefined) } })
      )
    )
  )

  it.effect("U14 bounded retention of invocation events", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      yield* manager.invokeTool("att.project.list", {})
      expect((yield* manager.listInvocationEvents()).map((e) => e.phase)).toEqual([
        "initialize_success",
        "invoke_start",
        "invoke_success"
      ])
    }).pipe(Effect.provide(scriptedAtt({ manager: { maxInvocationEvents: 3 } })))
  )

  it.effect("U15 initialize success state and snapshot", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* register("codex")
      const record = yield* manager.initializeServer("codex")
      expect(record).toMatchObject({
        status: "healthy",
        initialized: true,
        protocol_version: "2025-11-25",
        last_initialized_at: T0,
        initialization_expires_at: at(300)
      })
      expect(record.capability_snapshot).toEqual({
        protocol_version: "2025-11-25",
        server_info: { name: "codex", version: "1.0.0" },
        capabilities: { tools: {}, resources: {} },
        instructions: null,
        captured_at: T0
      })
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (_, request) =>
              request.method === "initialize" && "id" in request
                ? Effect.succeed({
                    jsonrpc: "2.0",
                    id: request.id,
                    result: {
                      protocolVersion: "2025-11-25",
                      serverInfo: { name: "codex", version: "1.0.0" },
                      capabilities: { tools: {}, resources: {} }
                    }
                  })
                : undefined
          }
        })
      )
    )
  )

  it.effect("U16 initialize failure", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      const record = yield* manager.initializeServer("codex")
      expect(record).toMatchObject({
        status: "degraded",
        initialized: false,
        last_error: "init failed",
        protocol_version: null
      })
    }).pipe(Effect.provide(scriptedAtt({ transport: { responder: () => transportError("init failed") } })))
  )

  it.effect("U17 snapshot preserved across a failed forced initialize", () => {
    let calls = 0
    return Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("github")
      yield* manager.initializeServer("github")
      const record = yield* manager.initializeServer("github", { force: true })
      expect(record).toMatchObject({ initialized: false, status: "degraded" })
      expect(record.capability_snapshot?.server_info).toEqual({ name: "github", version: "2.0.0" })
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (_, request) => {
              if (request.method !== "initialize" || !("id" in request)) return undefined
              calls += 1
              return calls === 1
                ? Effect.succeed({
                    jsonrpc: "2.0",
                    id: request.id,
                    result: { serverInfo: { name: "github", version: "2.0.0" } }
                  })
                : transportError("second initialize fails")
            }
          }
        })
      )
    )
  })

  it.effect("U18 initialize_all initializes every server in name order", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("b", "a")
      const records = yield* manager.initializeAll()
      expect(records.map((r) => [r.name, r.initialized])).toEqual([
        ["a", true],
        ["b", true]
      ])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U19 auto-initialize before the first call", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      yield* manager.invokeTool("att.project.list", {})
      expect(yield* methods).toEqual(["initialize", "notifications/initialized", "tools/call"])
      expect((yield* manager.get("codex")).initialized).toBe(true)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U20 connect probes once and handshakes", () => {
    let probes = 0
    return Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      const record = yield* manager.connectServer("codex")
      expect(probes).toBe(1)
      expect(yield* methods).toEqual(["initialize", "notifications/initialized"])
      expect(record).toMatchObject({ status: "healthy", initialized: true })
    }).pipe(
      Effect.provide(
        scriptedAtt({
          probe: () =>
            Effect.sync(() => {
              probes += 1
              return { healthy: true, error: null }
            })
        })
      )
    )
  })

  it.effect("U21 connect skips an unreachable server", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      const record = yield* manager.connectServer("codex")
      expect(record).toMatchObject({ status: "unreachable", initialized: false })
      expect(yield* methods).toEqual([])
    }).pipe(
      Effect.provide(
        scriptedAtt({
          manager: { unreachableAfter: 1 },
          probe: () => Effect.succeed({ healthy: false, error: "down" })
        })
      )
    )
  )
})
