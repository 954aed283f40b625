import { Manager, Registry, Transport, TransportError, httpUpstream } from "@att/core"
import { ScriptedTransport, T0, advanceSeconds, atT0, invocationError, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"

const at = (seconds: number) => DateTime.add(T0, { seconds })
const register = (...names: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.forEach(names, (name) => manager.register(name, httpUpstream(`http://${name}.local`)))
  )
const target = (name: string) => ({ name, upstream: httpUpstream(`http://${name}.local`) })
const sessionOf = (result: { readonly result: unknown }) =>
  (result.result as { structuredContent: { session_id: string } }).structuredContent.session_id
const controls = Effect.map(Transport, (transport) => Option.getOrThrow(transport.sessions))

describe("manager scenarios U22–U36 (spec §14.1)", () => {
  it.effect("U22 adapter happy path through the transport", () =>
    Effect.gen(function* () {
      const transport = yield* Transport
      const scripted = yield* ScriptedTransport
      const nat = target("nat")
      const init = yield* transport.open(nat)
      expect(init.protocolVersion).toBe("2025-11-25")
      const tool = yield* transport.request(nat, "tools/call", { name: "att.project.list", arguments: { limit: 1 } })
      expect(tool.result?.isError).toBe(false)
      const resource = yield* transport.request(nat, "resources/read", { uri: "att://projects" })
      expect((resource.result as { contents: Array<{ uri: string }> }).contents[0]?.uri).toBe("att://projects")
      expect(scripted.calls().map((c) => c.method)).toEqual([
        "initialize",
        "notifications/initialized",
        "tools/call",
        "resources/read"
      ])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U23 adapter diagnostics and invalidate", () =>
    Effect.gen(function* () {
      yield* atT0
      const transport = yield* Transport
      const sessions = yield* controls
      expect(yield* sessions.diagnostics("nat")).toEqual({ active: false, initialized: false, last_activity_at: null })
      const lost = yield* Effect.flip(transport.request(target("nat"), "tools/call", { name: "x" }))
      expect(lost.sessionLost).toBe(true) // a transport never opens a session by itself
      expect((yield* sessions.diagnostics("nat")).active).toBe(false)
      yield* transport.open(target("nat"))
      yield* transport.request(target("nat"), "tools/call", { name: "x" })
      expect(yield* sessions.diagnostics("nat")).toEqual({ active: true, initialized: true, last_activity_at: T0 })
      expect(yield* sessions.invalidate("nat")).toBe(true)
      expect((yield* sessions.diagnostics("nat")).active).toBe(false)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U24 manager invalidate and refresh", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("nat")
      expect(manager.sessionControlsAvailable).toBe(true)
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("nat")).active).toBe(false)
      expect((yield* manager.initializeServer("nat")).initialized).toBe(true)
      expect(scripted.created("nat")).toBe(1)
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("nat"))).toMatchObject({
        active: true,
        initialized: true
      })
      expect(yield* manager.invalidateSession("nat")).toBe(true)
      expect(scripted.closed("nat")).toBe(1)
      expect((yield* manager.get("nat")).initialized).toBe(false)
      expect((yield* manager.refreshSession("nat")).initialized).toBe(true)
      expect(scripted.created("nat")).toBe(2)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U25 controls absent", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("nat")
      expect(manager.sessionControlsAvailable).toBe(false)
      expect(yield* manager.sessionDiagnostics("nat")).toEqual(Option.none())
      expect((yield* Effect.flip(manager.invalidateSession("nat")))._tag).toBe("SessionControlsUnavailable")
      expect(yield* manager.listSessions()).toEqual([])
    }).pipe(Effect.provide(scriptedAtt({ transport: { sessionControls: false } })))
  )

  it.effect("U26 sorted aggregate", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* register("b", "a")
      expect((yield* manager.listSessions()).map((s) => [s.server, s.active])).toEqual([
        ["a", false],
        ["b", false]
      ])
      yield* manager.invokeTool("att.project.list", {}, ["b"])
      expect(yield* manager.listSessions()).toEqual([
        { server: "a", active: false, initialized: false, last_activity_at: null, freshness: "unknown" },
        { server: "b", active: true, initialized: true, last_activity_at: T0, freshness: "active_recent" }
      ])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U27 session filters and limit", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("a", "b", "c")
      yield* manager.invokeTool("att.project.list", {}, ["a"])
      yield* manager.invokeTool("att.project.list", {}, ["c"])
      expect((yield* manager.listSessions({ active_only: true })).map((s) => s.server)).toEqual(["a", "c"])
      const onlyC = yield* manager.listSessions({ server: "c" })
      expect(onlyC.map((s) => [s.server, s.active])).toEqual([["c", true]])
      expect((yield* manager.listSessions({ limit: 1 })).map((s) => s.server)).toEqual(["c"])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U28 freshness: unknown, active_recent, stale (one clock: G9)", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("a")
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("a")).freshness).toBe("unknown")
      yield* manager.invokeTool("att.project.list", {})
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("a")).freshness).toBe("active_recent")
      scripted.setLastActivity("a", DateTime.subtract(T0, { seconds: 301 }))
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("a")).freshness).toBe("stale")
      expect((yield* manager.listSessions())[0]?.freshness).toBe("stale")
      scripted.setLastActivity("a", DateTime.subtract(T0, { seconds: 300 }))
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("a")).freshness).toBe("active_recent")
    }).pipe(Effect.provide(scriptedAtt({ manager: { sessionStaleAfter: "300 seconds" } })))
  )

  it.effect("U29 freshness filter", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("a", "b")
      yield* manager.invokeTool("att.project.list", {}, ["a"])
      scripted.setLastActivity("a", DateTime.subtract(T0, { seconds: 61 }))
      expect((yield* manager.listSessions({ freshness: "stale" })).map((s) => s.server)).toEqual(["a"])
      expect((yield* manager.listSessions({ freshness: "unknown" })).map((s) => s.server)).toEqual(["b"])
      expect(yield* manager.listSessions({ freshness: "active_recent" })).toEqual([])
    }).pipe(Effect.provide(scriptedAtt({ manager: { sessionStaleAfter: "60 seconds" } })))
  )

  it.effect("U30 refresh gives a new session", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("nat")
      expect(sessionOf(yield* manager.invokeTool("att.project.list", {}))).toBe("nat-session-1")
      yield* manager.refreshSession("nat")
      expect(sessionOf(yield* manager.invokeTool("att.project.list", {}))).toBe("nat-session-2")
      expect([scripted.created("nat"), scripted.closed("nat")]).toEqual([2, 1])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U31 a timeout closes the session; the retry opens a new one", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("nat")
      scripted.setScript("nat", "tools/call", ["timeout"])
      yield* Effect.flip(manager.invokeTool("att.project.list", {}))
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("nat")).active).toBe(false)
      expect([scripted.created("nat"), scripted.closed("nat")]).toEqual([1, 1])
      expect(sessionOf(yield* manager.invokeTool("att.project.list", {}))).toBe("nat-session-2")
      expect(scripted.created("nat")).toBe(2)
    }).pipe(Effect.provide(scriptedAtt({ manager: { maxBackoff: 0 } })))
  )

  it.effect("U32 categories survive from the transport to the record", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("timeout", "status", "payload")
      for (const [name, category] of [
        ["timeout", "network_timeout"],
        ["status", "http_status"],
        ["payload", "invalid_payload"]
      ] as const) {
        yield* advanceSeconds(10) // every server failed in the previous round: let the windows open
        const error = yield* invocationError(manager.invokeTool("x", {}, [name]))
        expect(error.attempts.find((a) => a.server === name && a.stage === "invoke")?.error_category).toBe(category)
        expect((yield* manager.get(name)).last_error_category).toBe(category)
      }
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (server, request) => {
              if (request.method !== "tools/call") return undefined
              const category =
                server === "timeout" ? "network_timeout" : server === "status" ? "http_status" : "invalid_payload"
              return Effect.fail(new TransportError({ message: `${server} failed`, category }))
            }
          }
        })
      )
    )
  )

  it.effect("U33 adapter mixed states: implicit initialize sends the notification (G13)", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const registry = yield* Registry
      const scripted = yield* ScriptedTransport
      yield* register("primary", "recovered", "degraded")
      yield* registry.update("primary", (r) => ({ ...r, initialized: true, initialization_expires_at: at(60) }))
      yield* manager.recordCheckResult("degraded", { healthy: false, error: "down" })
      scripted.toggle("failToolCalls", "primary")
      yield* advanceSeconds(2)
      const result = yield* manager.invokeTool("att.project.list", {}, ["primary", "recovered", "degraded"])
      expect(result.server).toBe("recovered")
      const log = (server: string) =>
        scripted
          .calls()
          .filter((c) => c.server === server)
          .map((c) => c.method)
      expect(log("primary")).toEqual(["initialize", "notifications/initialized", "tools/call"])
      expect(log("recovered")).toEqual(["initialize", "notifications/initialized", "tools/call"])
      expect(scripted.created("degraded")).toBe(0)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U34 script order and validation", () =>
    Effect.gen(function* () {
      const scripted = yield* ScriptedTransport
      scripted.setScript("p", "tools/call", ["ok", "timeout", "error"])
      expect([0, 1, 2, 3].map(() => scripted.consume("p", "tools/call"))).toEqual([
        Option.some("ok"),
        Option.some("timeout"),
        Option.some("error"),
        Option.none()
      ])
      for (const method of ["tools/call", "resources/read"] as const) {
        scripted.setScript("p", method, ["ok"])
        expect(scripted.consume("p", method)).toEqual(Option.some("ok"))
      }
      scripted.setScript("p", "initialize", ["invalid"])
      expect(() => scripted.consume("p", "initialize")).toThrow("unsupported scripted action: invalid")
      expect(scripted.script("p", "initialize")).toEqual([])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("U35 script isolation across servers and methods", () =>
    Effect.gen(function* () {
      const scripted = yield* ScriptedTransport
      scripted.setScript("P", "initialize", ["timeout", "ok"])
      scripted.setScript("P", "resources/read", ["error"])
      scripted.setScript("B", "initialize", ["ok"])
      scripted.setScript("B", "tools/call", ["error", "ok"])
      const queues = () => [
        scripted.script("P", "initialize"),
        scripted.script("P", "resources/read"),
        scripted.script("B", "initialize"),
        scripted.script("B", "tools/call")
      ]
      expect(scripted.consume("P", "initialize")).toEqual(Option.some("timeout"))
      expect(queues()).toEqual([["ok"], ["error"], ["ok"], ["error", "ok"]])
      expect(scripted.consume("B", "tools/call")).toEqual(Option.some("error"))
      expect(queues()).toEqual([["ok"], ["error"], ["ok"], ["ok"]])
      expect(scripted.consume("P", "resources/read")).toEqual(Option.some("error"))
      expect(scripted.consume("B", "initialize")).toEqual(Option.some("ok"))
      expect(scripted.consume("P", "initialize")).toEqual(Option.some("ok"))
      expect(scripted.consume("B", "tools/call")).toEqual(Option.some("ok"))
      expect(queues()).toEqual([[], [], [], []])
      expect(scripted.consume("P", "tools/call")).toEqual(Option.none())
    }).pipe(Effect.provide(scriptedAtt()))
  )

  for (const [key, toggle, method] of [
    ["initialize", "timeoutInitialize", "tools/call"],
    ["tools/call", "timeoutToolCalls", "tools/call"],
    ["resources/read", "timeoutResourceReads", "resources/read"]
  ] as const) {
    it.effect(`U36 script exhaustion falls back to toggles (${key})`, () =>
      Effect.gen(function* () {
        const manager = yield* Manager
        const scripted = yield* ScriptedTransport
        yield* register("P", "B")
        scripted.toggle(toggle, "P")
        scripted.setScript("P", key, ["ok"])
        const call = () =>
          method === "tools/call"
            ? manager.invokeTool("att.project.list", {}, ["P", "B"])
            : manager.readResource("att://projects", ["P", "B"])
        expect((yield* call()).server).toBe("P")
        if (key === "initialize") yield* manager.invalidateSession("P")
        const second = yield* call()
        expect(second.server).toBe("B")
        const phases = (yield* manager.listInvocationEvents({ server: "P", request_id: second.request_id })).map(
          (e) => e.phase
        )
        expect(phases).toEqual(
          key === "initialize"
            ? ["initialize_start", "initialize_failure"]
            : ["initialize_start", "initialize_success", "invoke_start", "invoke_failure"]
        )
        expect(yield* manager.get("P")).toMatchObject({ status: "degraded", last_error_category: "network_timeout" })
      }).pipe(Effect.provide(scriptedAtt()))
    )
  }
})
