import { Manager, Registry, TransportError } from "@att/core"
import { ScriptedTransport, T0, atT0, staticProbe } from "@att/testkit"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, TestClock } from "effect"
import {
  SUCCESS_PHASES,
  apiClient,
  apiHarness,
  failure,
  fallbackResponder,
  invokeTool,
  phasesOf,
  readResource,
  register,
  statusesOf
} from "./harness.js"

const fallback = () => apiHarness({ transport: { responder: fallbackResponder } })
/** The calls sent upstream, but the lists the catalog fetches after each handshake, in the background. */
const calls = Effect.map(ScriptedTransport, (s) =>
  s
    .calls()
    .filter((c) => !c.method.endsWith("/list"))
    .map((c) => [c.server, c.method])
)

describe("HTTP scenarios A1–A20 (spec §14.2)", () => {
  it.effect("A1 the catalog lists upstream tools and resources with the servers offering them (R1/R2 differ)", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "alpha", "beta")
      yield* client.mcp.initializeAll({ urlParams: {} })
      const tools = yield* client.mcp.listTools()
      expect(tools).toEqual([
        { name: "shared", description: "offered twice", servers: ["alpha", "beta"] },
        { name: "alpha-only", description: null, servers: ["alpha"] }
      ])
      const resources = yield* client.mcp.listResources()
      expect(resources).toEqual([
        { uri: "att://projects", name: "projects", description: null, servers: ["alpha", "beta"] }
      ])
    }).pipe(
      Effect.provide(
        apiHarness({
          transport: {
            responder: (server, request) => {
              if (!("id" in request)) return undefined
              if (request.method === "tools/list") {
                // Tools as MCP defines them (with an input schema): the catalog leaves out what an MCP client would reject.
                const inputSchema = { type: "object" }
                const tools = [
                  { name: "shared", description: "offered twice", inputSchema },
                  ...(server === "alpha" ? [{ name: "alpha-only", inputSchema }] : [])
                ]
                return Effect.succeed({ jsonrpc: "2.0", id: request.id, result: { tools } })
              }
              if (request.method === "resources/list") {
                return Effect.succeed({
                  jsonrpc: "2.0",
                  id: request.id,
                  result: { resources: [{ uri: "att://projects", name: "projects" }] }
                })
              }
              return undefined
            }
          }
        })
      )
    )
  )

  it.effect("A2 register, list, get, health", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const [created] = yield* register(client, "codex")
      expect(created).toMatchObject({
        name: "codex",
        url: "http://codex.local/",
        status: "healthy",
        initialized: false,
        capability_snapshot: null
      })
      expect((yield* client.mcp.listServers()).items).toHaveLength(1)
      expect((yield* client.mcp.getServer({ path: { name: "codex" } })).name).toBe("codex")
      expect((yield* client.mcp.healthCheckServer({ path: { name: "codex" } })).status).toBe("healthy")
    }).pipe(Effect.provide(apiHarness({ probe: staticProbe(true) })))
  )

  it.effect("A3 initialize endpoints", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "github", "codex")
      const github = yield* client.mcp.initializeServer({ path: { name: "github" }, urlParams: {} })
      expect(github.initialized).toBe(true)
      expect(github.capability_snapshot).toMatchObject({
        protocol_version: null,
        server_info: null,
        capabilities: null
      })
      const all = yield* client.mcp.initializeAll({ urlParams: {} })
      expect(all.items.map((s) => s.name)).toEqual(["codex", "github"])
      const codex = all.items[0]
      expect(codex?.initialized).toBe(false)
      expect(["degraded", "unreachable"]).toContain(codex?.status)
      expect(all.items[1]?.initialized).toBe(true)
    }).pipe(Effect.provide(fallback()))
  )

  it.effect("A4 connect endpoints", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "github", "codex")
      const github = yield* client.mcp.connectServer({ path: { name: "github" } })
      expect(github).toMatchObject({ status: "healthy", initialized: true })
      expect(github.capability_snapshot).not.toBeNull()
      const codex = yield* client.mcp.connectServer({ path: { name: "codex" } })
      expect(codex.initialized).toBe(false)
      expect(["degraded", "unreachable"]).toContain(codex.status)
      expect((yield* client.mcp.connectAll()).items).toHaveLength(2)
    }).pipe(Effect.provide(apiHarness({ transport: { responder: fallbackResponder }, probe: staticProbe(true) })))
  )

  it.effect("A5 degraded and missing", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "codex")
      const checked = yield* client.mcp.healthCheckServer({ path: { name: "codex" } })
      expect(checked).toMatchObject({ status: "degraded", last_error: "timeout", last_error_category: "health_check" })
      const events = (yield* client.mcp.listEvents({ urlParams: {} })).items
      expect(events.map((e) => e.to_status)).toEqual(["degraded"])
      const missing = yield* Effect.flip(client.mcp.healthCheckServer({ path: { name: "missing" } }))
      expect(missing).toMatchObject({ _tag: "ServerNotFoundError", detail: "Server not found" })
      expect((yield* Effect.flip(client.mcp.getServer({ path: { name: "missing" } })))._tag).toBe("ServerNotFoundError")
    }).pipe(Effect.provide(apiHarness({ probe: staticProbe(false, "timeout") })))
  )

  it.effect("A6 check-all and delete", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const raw = yield* HttpClient.HttpClient
      yield* register(client, "codex", "github")
      expect((yield* client.mcp.healthCheckAll()).items.map((s) => s.name)).toEqual(["codex", "github"])
      expect((yield* raw.del("/api/v1/mcp/servers/codex")).status).toBe(204)
      const again = yield* raw.del("/api/v1/mcp/servers/codex")
      expect(again.status).toBe(404)
      expect(yield* again.json).toMatchObject({ detail: "Server not found" })
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("A7 tool with fallback", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "codex", "github")
      const result = yield* invokeTool(client, ["codex", "github"])
      expect(result).toMatchObject({ server: "github", method: "tools/call", result: { served_by: "github" } })
      const log = yield* calls
      expect(log[0]).toEqual(["codex", "initialize"])
      expect(log).toContainEqual(["github", "initialize"])
      expect(log).toContainEqual(["github", "notifications/initialized"])
      expect(log.at(-1)).toEqual(["github", "tools/call"])
      expect(yield* client.mcp.getServer({ path: { name: "codex" } })).toMatchObject({
        status: "degraded",
        initialized: false
      })
      expect(yield* client.mcp.getServer({ path: { name: "github" } })).toMatchObject({
        status: "healthy",
        initialized: true
      })
      const events = (yield* client.mcp.listInvocationEvents({ urlParams: { request_id: result.request_id } })).items
      expect(events.map((e) => e.phase)).toEqual(["initialize_start", "initialize_failure", ...SUCCESS_PHASES])
      expect(events.map((e) => e.server)).toEqual(["codex", "codex", "github", "github", "github", "github"])
      expect(events[1]).toMatchObject({ error: "codex unavailable", error_category: "transport_error" })
      expect(events[5]?.error).toBeNull()
    }).pipe(Effect.provide(fallback()))
  )

  it.effect("A8 resource fallback, and 503 with no servers", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const empty = yield* failure(invokeTool(client, null))
      expect(empty).toMatchObject({ method: "tools/call", attempts: [], request_id: null })
      expect(empty.message).toContain("No reachable MCP servers")
      yield* register(client, "failing", "backup")
      const result = yield* readResource(client, ["failing", "backup"])
      expect(result.server).toBe("backup")
      const log = yield* calls
      expect(log).toContainEqual(["backup", "initialize"])
      expect(log).toContainEqual(["backup", "resources/read"])
    }).pipe(Effect.provide(fallback()))
  )

  it.effect("A9 503 attempt trace", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "failing")
      const detail = yield* failure(readResource(client, null))
      expect(detail.method).toBe("resources/read")
      expect(detail.message).toBe(
        "Invocation failed across servers: failing: initialize failed (rpc error: rpc failure)"
      )
      expect(detail.attempts).toEqual([
        {
          server: "failing",
          stage: "initialize",
          success: false,
          error: "rpc error: rpc failure",
          error_category: "rpc_error"
        }
      ])
      expect(detail.request_id).toEqual(expect.any(String)) // G22
    }).pipe(Effect.provide(fallback()))
  )

  // Deliberately different from A10 (issue 16): the stale handshake is verified by a ping on the live session.
  it.effect("A10 a stale initialization is refreshed by a ping on the live session", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      yield* register(client, "github")
      yield* client.mcp.initializeServer({ path: { name: "github" }, urlParams: {} })
      yield* (yield* Registry).update("github", (r) => ({
        ...r,
        initialization_expires_at: DateTime.subtract(T0, { seconds: 1 })
      }))
      const result = yield* invokeTool(client, ["github"])
      expect(result.server).toBe("github")
      const log = yield* calls
      expect(log.filter(([s, m]) => s === "github" && m === "initialize")).toHaveLength(1)
      expect(log.slice(-2)).toEqual([
        ["github", "ping"],
        ["github", "tools/call"]
      ])
      expect((yield* client.mcp.getServer({ path: { name: "github" } })).initialization_expires_at).not.toBeNull()
    }).pipe(Effect.provide(fallback()))
  )

  it.effect("A11 mixed-state cluster", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const manager = yield* Manager
      yield* register(client, "primary", "recovered", "degraded")
      yield* (yield* Registry).update("primary", (r) => ({
        ...r,
        initialized: true,
        initialization_expires_at: DateTime.add(T0, { seconds: 120 })
      }))
      yield* manager.recordCheckResult("degraded", { healthy: false, error: "down" })
      yield* TestClock.adjust("2 seconds")
      const result = yield* invokeTool(client, ["primary", "recovered", "degraded"])
      expect(result.server).toBe("recovered")
      // primary's record says initialized but it has no session: the Manager opens one before the call (issue 16).
      expect(yield* calls).toEqual([
        ["primary", "initialize"],
        ["primary", "notifications/initialized"],
        ["primary", "tools/call"],
        ["recovered", "initialize"],
        ["recovered", "notifications/initialized"],
        ["recovered", "tools/call"]
      ])
      const servers = (yield* client.mcp.listServers()).items
      expect(servers.find((s) => s.name === "primary")).toMatchObject({
        status: "degraded",
        last_error_category: "rpc_error"
      })
      expect(servers.find((s) => s.name === "recovered")).toMatchObject({ status: "healthy", initialized: true })
    }).pipe(
      Effect.provide(
        apiHarness({
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

  for (const [id, error, category] of [
    ["A12", { http: true }, "http_status"],
    ["A13", { missing: true }, "invalid_payload"]
  ] as const) {
    it.effect(`${id} 503 with ${category} at the invoke stage`, () =>
      Effect.gen(function* () {
        const client = yield* apiClient
        yield* register(client, "codex")
        const detail = yield* failure(invokeTool(client, null))
        expect(detail.attempts).toHaveLength(2)
        expect(detail.attempts[1]).toMatchObject({ stage: "invoke", error_category: category })
        expect((yield* client.mcp.getServer({ path: { name: "codex" } })).last_error_category).toBe(category)
      }).pipe(
        Effect.provide(
          apiHarness({
            transport: {
              responder: (_, request) => {
                if (request.method !== "tools/call" || !("id" in request)) return undefined
                return "http" in error
                  ? Effect.fail(new TransportError({ message: "http status 503", category: "http_status" }))
                  : Effect.succeed({ jsonrpc: "2.0", id: request.id })
              }
            }
          })
        )
      )
    )
  }

  it.effect("A14 event endpoint filters", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const manager = yield* Manager
      yield* register(client, "codex", "github")
      const { request_id: rid } = yield* invokeTool(client, ["codex", "github"])
      yield* manager.recordCheckResult("github", { healthy: false, error: "manual degrade" })
      expect(yield* phasesOf(client, rid, "codex", "tools/call")).toEqual(["initialize_start", "initialize_failure"])
      const lastTwo = (yield* client.mcp.listInvocationEvents({ urlParams: { limit: 2 } })).items
      expect(lastTwo.map((e) => e.phase)).toEqual(["invoke_start", "invoke_success"])
      expect(yield* statusesOf(client, rid, "codex")).toEqual(["degraded"])
      const correlated = (yield* client.mcp.listEvents({ urlParams: { correlation_id: rid } })).items
      expect(correlated.map((e) => e.correlation_id)).toEqual([rid])
      const github = (yield* client.mcp.listEvents({ urlParams: { server: "github" } })).items
      expect(github.map((e) => e.correlation_id)).toEqual([null])
      expect((yield* client.mcp.listEvents({ urlParams: { limit: 1 } })).items.map((e) => e.server)).toEqual(["github"])
    }).pipe(Effect.provide(fallback()))
  )

  it.effect("A15 resource failover, recovery and correlation", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register(client, "primary", "backup")
      expect((yield* readResource(client, ["backup", "primary"])).server).toBe("backup")
      expect(scripted.created("primary")).toBe(0)
      scripted.toggle("timeoutInitialize", "primary")
      const rid1 = (yield* readResource(client, ["primary", "backup"])).request_id
      expect(yield* phasesOf(client, rid1, "primary")).toEqual(["initialize_start", "initialize_failure"])
      expect(yield* statusesOf(client, rid1, "primary")).toEqual(["degraded"])
      const rid2 = (yield* readResource(client, ["primary", "backup"])).request_id
      expect(yield* phasesOf(client, rid2, "primary")).toEqual([])
      expect(yield* statusesOf(client, rid2, "primary")).toEqual([])
      scripted.toggle("timeoutInitialize", "primary", false)
      yield* TestClock.adjust("1 second")
      yield* manager.recordCheckResult("backup", { healthy: false, error: "hold backup" })
      const third = yield* readResource(client, ["primary", "backup"])
      expect(third.server).toBe("primary")
      expect(yield* phasesOf(client, third.request_id, "primary")).toEqual([...SUCCESS_PHASES])
      expect(yield* statusesOf(client, third.request_id, "primary")).toEqual(["healthy"])
    }).pipe(Effect.provide(apiHarness({ manager: { unreachableAfter: 2 } })))
  )

  it.effect("A17 adapter lifecycle endpoints", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "nat")
      const servers = yield* client.mcp.listServers()
      expect(servers.adapter_controls_available).toBe(true)
      expect(servers.items[0]?.adapter_controls_available).toBe(true)
      expect((yield* client.mcp.getServer({ path: { name: "nat" } })).adapter_session).toEqual({
        active: false,
        initialized: false,
        last_activity_at: null,
        freshness: "unknown"
      })
      const first = yield* invokeTool(client, ["nat"])
      const sessionX = (first.result as { structuredContent: { session_id: string } }).structuredContent.session_id
      expect((yield* client.mcp.getServer({ path: { name: "nat" } })).adapter_session).toEqual({
        active: true,
        initialized: true,
        last_activity_at: T0,
        freshness: "active_recent"
      })
      const invalidated = yield* client.mcp.invalidateSession({ path: { name: "nat" } })
      expect(invalidated.initialized).toBe(false)
      expect(invalidated.adapter_session).toMatchObject({ active: false, initialized: false, freshness: "unknown" })
      const refreshed = yield* client.mcp.refreshSession({ path: { name: "nat" } })
      expect(refreshed.initialized).toBe(true)
      expect(refreshed.adapter_session).toMatchObject({ active: true, initialized: true, freshness: "active_recent" })
      const again = yield* invokeTool(client, ["nat"])
      expect((again.result as { structuredContent: { session_id: string } }).structuredContent.session_id).not.toBe(
        sessionX
      )
      expect(scripted.created("nat")).toBeGreaterThanOrEqual(2)
      expect(scripted.closed("nat")).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("A18/A20 without session controls: flags false, 409 on controls, empty session list", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "nat")
      const servers = yield* client.mcp.listServers()
      expect(servers.adapter_controls_available).toBe(false)
      expect(servers.items[0]).toMatchObject({ adapter_controls_available: false, adapter_session: null })
      for (const call of [client.mcp.invalidateSession, client.mcp.refreshSession]) {
        const error = yield* Effect.flip(call({ path: { name: "nat" } }))
        expect(error).toMatchObject({
          _tag: "SessionControlsConflict",
          detail: "Adapter session controls are not available"
        })
      }
      expect(yield* client.mcp.listSessions({ urlParams: {} })).toEqual({
        adapter_controls_available: false,
        items: []
      })
    }).pipe(Effect.provide(apiHarness({ transport: { sessionControls: false } })))
  )

  it.effect("A19 adapter-sessions aggregate", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      yield* register(client, "a", "b")
      const before = yield* client.mcp.listSessions({ urlParams: {} })
      expect(before.adapter_controls_available).toBe(true)
      expect(before.items.map((s) => [s.server, s.active, s.freshness])).toEqual([
        ["a", false, "unknown"],
        ["b", false, "unknown"]
      ])
      yield* invokeTool(client, ["a"])
      const after = (yield* client.mcp.listSessions({ urlParams: {} })).items
      expect(after[0]).toEqual({
        server: "a",
        active: true,
        initialized: true,
        last_activity_at: T0,
        freshness: "active_recent"
      })
      expect(after[1]).toMatchObject({ server: "b", active: false, freshness: "unknown" })
      const names = (urlParams: Parameters<typeof client.mcp.listSessions>[0]["urlParams"]) =>
        Effect.map(client.mcp.listSessions({ urlParams }), (r) => r.items.map((s) => s.server))
      expect(yield* names({ active_only: true })).toEqual(["a"])
      expect(yield* names({ server: "b" })).toEqual(["b"])
      expect(yield* names({ limit: 1 })).toEqual(["b"])
    }).pipe(Effect.provide(apiHarness()))
  )
})
