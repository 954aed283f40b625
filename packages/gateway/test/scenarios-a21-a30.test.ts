import { Manager, Registry } from "@att/core"
import { ScriptedTransport, T0, atT0 } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, TestClock } from "effect"
import { SUCCESS_PHASES, apiClient, apiHarness, invoke, invokeTool, phasesOf, register, statusesOf } from "./harness.js"

const FAILOVER_AT_INVOKE = [...SUCCESS_PHASES.slice(0, 3), "invoke_failure", ...SUCCESS_PHASES]
const sessionOf = (result: { readonly result: unknown }) =>
  (result.result as { structuredContent: { session_id: string } }).structuredContent.session_id
const hold = (name: string) =>
  Effect.flatMap(Manager, (manager) => manager.recordCheckResult(name, { healthy: false, error: "hold backup" }))

/** Every observed call corresponds, in order, to a phase start of the given requests (spec §13.5). */
const assertCallOrderFollowsPhaseStarts = (
  client: Effect.Effect.Success<typeof apiClient>,
  requestIds: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const scripted = yield* ScriptedTransport
    const expected: Array<string> = []
    for (const request_id of requestIds) {
      for (const event of (yield* client.mcp.listInvocationEvents({ urlParams: { request_id } })).items) {
        if (event.phase === "initialize_start") expected.push(`${event.server} initialize`)
        if (event.phase === "invoke_start") expected.push(`${event.server} ${event.method}`)
      }
    }
    let cursor = 0
    for (const [server, method] of scripted.observedCallOrder()) {
      const found = expected.indexOf(`${server} ${method}`, cursor)
      expect(found, `${server} ${method} should follow ${expected.slice(cursor).join(", ")}`).toBeGreaterThanOrEqual(0)
      cursor = found + 1
    }
  })

describe("HTTP scenarios A21–A30 (spec §14.2)", () => {
  it.effect("A21/A22 stale sessions and the freshness filter", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "a", "b")
      yield* invokeTool(client, ["a"])
      scripted.setLastActivity("a", DateTime.subtract(T0, { seconds: 61 }))
      const onlyA = yield* client.mcp.listSessions({ urlParams: { server: "a" } })
      expect(onlyA.items.map((s) => s.freshness)).toEqual(["stale"])
      expect((yield* client.mcp.getServer({ path: { name: "a" } })).adapter_session?.freshness).toBe("stale")
      const by = (freshness: "stale" | "unknown" | "active_recent") =>
        Effect.map(client.mcp.listSessions({ urlParams: { freshness } }), (r) => r.items.map((s) => s.server))
      expect(yield* by("stale")).toEqual(["a"])
      expect(yield* by("unknown")).toEqual(["b"])
      expect(yield* by("active_recent")).toEqual([])
      const servers = (yield* client.mcp.listServers()).items
      expect(servers.map((s) => s.adapter_session?.freshness)).toEqual(["stale", "unknown"])
    }).pipe(Effect.provide(apiHarness({ manager: { sessionStaleAfter: "60 seconds" } })))
  )

  it.effect("A23 partial cluster refresh failover", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "P", "B")
      expect((yield* invokeTool(client, ["P", "B"])).server).toBe("P")
      expect((yield* client.mcp.refreshSession({ path: { name: "P" } })).initialized).toBe(true)
      scripted.toggle("failToolCalls", "P")
      const result = yield* invokeTool(client, ["P", "B"])
      expect(result.server).toBe("B")
      const events = (yield* client.mcp.listInvocationEvents({ urlParams: { request_id: result.request_id } })).items
      expect(events.map((e) => e.phase)).toEqual(FAILOVER_AT_INVOKE)
      expect(events.map((e) => e.server)).toEqual(["P", "P", "P", "P", "B", "B", "B", "B"])
      const transitions = (yield* client.mcp.listEvents({ urlParams: { correlation_id: result.request_id } })).items
      expect(transitions.map((e) => [e.server, e.to_status, e.correlation_id])).toEqual([
        ["P", "degraded", result.request_id]
      ])
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("A24 invalidate isolation", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "P", "B")
      const first = yield* invokeTool(client, ["B", "P"])
      const snapshot = (yield* client.mcp.getServer({ path: { name: "B" } })).capability_snapshot
      expect((yield* invokeTool(client, ["P", "B"])).server).toBe("P")
      expect((yield* client.mcp.invalidateSession({ path: { name: "P" } })).adapter_session?.active).toBe(false)
      const again = yield* invokeTool(client, ["B", "P"])
      expect(again.server).toBe("B")
      expect(sessionOf(again)).toBe(sessionOf(first))
      expect((yield* client.mcp.getServer({ path: { name: "B" } })).capability_snapshot).toEqual(snapshot)
      const sessions = (yield* client.mcp.listSessions({ urlParams: {} })).items
      expect(sessions.map((s) => [s.server, s.active])).toEqual([
        ["B", true],
        ["P", false]
      ])
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("A25 mixed refresh, invalidate and timeout (TestClock, G32)", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "primary", "backup")
      expect((yield* invokeTool(client, ["primary", "backup"])).server).toBe("primary")
      const sb1 = sessionOf(yield* invokeTool(client, ["backup", "primary"]))
      const backupBefore = (yield* client.mcp.getServer({ path: { name: "backup" } })).capability_snapshot
      yield* TestClock.adjust("1 second")
      const refreshed = (yield* client.mcp.refreshSession({ path: { name: "primary" } })).capability_snapshot
      expect(refreshed?.captured_at).toEqual(DateTime.add(T0, { seconds: 1 }))
      const invalidated = yield* client.mcp.invalidateSession({ path: { name: "backup" } })
      expect(invalidated.adapter_session).toMatchObject({ active: false, freshness: "unknown" })
      scripted.toggle("timeoutToolCalls", "primary")
      yield* TestClock.adjust("1 second")
      const result = yield* invokeTool(client, ["primary", "backup"])
      expect(result.server).toBe("backup")
      expect(sessionOf(result)).not.toBe(sb1)
      const events = (yield* client.mcp.listInvocationEvents({ urlParams: { request_id: result.request_id } })).items
      expect(events.map((e) => e.phase)).toEqual(FAILOVER_AT_INVOKE)
      expect(events[3]?.error_category).toBe("network_timeout")
      expect(yield* statusesOf(client, result.request_id)).toEqual(["degraded"])
      expect((yield* client.mcp.getServer({ path: { name: "primary" } })).capability_snapshot).toEqual(refreshed)
      const backupAfter = (yield* client.mcp.getServer({ path: { name: "backup" } })).capability_snapshot
      expect(backupAfter?.captured_at).not.toEqual(backupBefore?.captured_at)
      expect(backupAfter?.server_info).toEqual({ name: "backup" })
      const sessions = (yield* client.mcp.listSessions({ urlParams: {} })).items
      expect(sessions.map((s) => [s.server, s.active, s.freshness])).toEqual([
        ["backup", true, "active_recent"],
        ["primary", false, "unknown"]
      ])
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("A26 scripted flapping across methods", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "P", "B")
      scripted.setScript("P", "tools/call", ["timeout", "ok"])
      scripted.setScript("B", "resources/read", ["timeout", "ok"])
      const t1 = yield* invoke(client, "tools/call", ["P", "B"])
      expect(t1.server).toBe("B")
      const t1Events = (yield* client.mcp.listInvocationEvents({ urlParams: { request_id: t1.request_id } })).items
      expect(t1Events.map((e) => e.phase)).toEqual(FAILOVER_AT_INVOKE)
      expect(t1Events[3]?.error_category).toBe("network_timeout")
      expect(yield* phasesOf(client, t1.request_id, "P", "tools/call")).toEqual(FAILOVER_AT_INVOKE.slice(0, 4))
      expect(yield* statusesOf(client, t1.request_id, "P")).toEqual(["degraded"])
      yield* TestClock.adjust("1 second")
      const r1 = yield* invoke(client, "resources/read", ["B", "P"])
      expect(r1.server).toBe("P")
      expect(yield* phasesOf(client, r1.request_id, "B", "resources/read")).toEqual(FAILOVER_AT_INVOKE.slice(0, 4))
      const r1Transitions = (yield* client.mcp.listEvents({ urlParams: { correlation_id: r1.request_id } })).items
      expect(r1Transitions.map((e) => [e.server, e.to_status])).toEqual([
        ["B", "degraded"],
        ["P", "healthy"]
      ])
      expect((yield* invoke(client, "tools/call", ["P", "B"])).server).toBe("P")
      yield* hold("P")
      yield* TestClock.adjust("1 second")
      const r2 = yield* invoke(client, "resources/read", ["B"])
      expect(r2.server).toBe("B")
      expect(yield* phasesOf(client, r2.request_id)).toEqual([...SUCCESS_PHASES])
      expect(yield* statusesOf(client, r2.request_id, "B")).toEqual(["healthy"])
    }).pipe(Effect.provide(apiHarness({ manager: { unreachableAfter: 3 } })))
  )

  it.effect("A27 observed call order follows the phase starts", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "P", "B")
      scripted.setScript("P", "tools/call", ["timeout"])
      scripted.setScript("B", "resources/read", ["timeout"])
      const first = yield* invoke(client, "tools/call", ["P", "B"])
      expect(first.server).toBe("B")
      expect(yield* phasesOf(client, first.request_id, "P")).toEqual(FAILOVER_AT_INVOKE.slice(0, 4))
      expect(yield* statusesOf(client, first.request_id, "P")).toEqual(["degraded"])
      yield* TestClock.adjust("1 second")
      const second = yield* invoke(client, "resources/read", ["B", "P"])
      expect(second.server).toBe("P")
      expect(yield* phasesOf(client, second.request_id, "B")).toEqual(FAILOVER_AT_INVOKE.slice(0, 4))
      expect(scripted.observedCallOrder()).toEqual([
        ["P", "initialize"],
        ["P", "tools/call"],
        ["B", "initialize"],
        ["B", "tools/call"],
        ["B", "resources/read"],
        ["P", "initialize"],
        ["P", "resources/read"]
      ])
      yield* assertCallOrderFollowsPhaseStarts(client, [first.request_id, second.request_id])
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("A28 repeated calls to the same server skip the handshake", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const scripted = yield* ScriptedTransport
      yield* register(client, "P")
      const ids: Array<string> = []
      for (const method of ["tools/call", "tools/call", "resources/read", "resources/read"] as const) {
        const result = yield* invoke(client, method, ["P"])
        ids.push(result.request_id)
        expect(yield* phasesOf(client, result.request_id, "P")).toEqual([...SUCCESS_PHASES])
        expect(yield* statusesOf(client, result.request_id, "P")).toEqual([])
      }
      expect(scripted.observedCallOrder()).toEqual([
        ["P", "initialize"],
        ["P", "tools/call"],
        ["P", "tools/call"],
        ["P", "resources/read"],
        ["P", "resources/read"]
      ])
      yield* assertCallOrderFollowsPhaseStarts(client, ids)
    }).pipe(Effect.provide(apiHarness()))
  )

  // Deliberately different from A29 (issue 16): the triggers verify the live session with a ping instead.
  it.effect("A29 the re-initialize triggers add a ping on the live session", () =>
    Effect.gen(function* () {
      yield* atT0
      const client = yield* apiClient
      const registry = yield* Registry
      const scripted = yield* ScriptedTransport
      yield* register(client, "P")
      const statuses: Array<ReadonlyArray<string>> = []
      const steps = [
        ["tools/call", undefined],
        ["tools/call", "expired"],
        ["resources/read", undefined],
        ["resources/read", "degraded"]
      ] as const
      for (const [method, trigger] of steps) {
        if (trigger === "expired") {
          yield* registry.update("P", (r) => ({
            ...r,
            initialization_expires_at: DateTime.subtract(T0, { seconds: 1 })
          }))
        }
        if (trigger === "degraded")
          yield* registry.update("P", (r) => ({ ...r, status: "degraded", next_retry_at: null }))
        const result = yield* invoke(client, method, ["P"])
        expect(result.server).toBe("P")
        expect(yield* phasesOf(client, result.request_id, "P")).toEqual([...SUCCESS_PHASES])
        statuses.push(yield* statusesOf(client, result.request_id, "P"))
      }
      expect(statuses).toEqual([[], [], [], ["healthy"]])
      expect(scripted.observedCallOrder()).toEqual([
        ["P", "initialize"],
        ["P", "tools/call"],
        ["P", "ping"],
        ["P", "tools/call"],
        ["P", "resources/read"],
        ["P", "ping"],
        ["P", "resources/read"]
      ])
    }).pipe(Effect.provide(apiHarness()))
  )

  for (const [method, third] of [
    ["tools/call", ["P", "B"]],
    ["resources/read", ["B", "P"]]
  ] as const) {
    it.effect(`A30 retry-window gating via the API (${method})`, () =>
      Effect.gen(function* () {
        yield* atT0
        const client = yield* apiClient
        const scripted = yield* ScriptedTransport
        yield* register(client, "P", "B")
        scripted.setScript("P", method, ["timeout", "ok"])
        const r1 = yield* invoke(client, method, ["P", "B"])
        expect(r1.server).toBe("B")
        const before = scripted.observedCallOrder().length
        const r2 = yield* invoke(client, method, ["P", "B"])
        expect(r2.server).toBe("B")
        expect(
          scripted
            .observedCallOrder()
            .slice(before)
            .every(([server]) => server === "B")
        ).toBe(true)
        yield* TestClock.adjust("1 second")
        yield* hold("B")
        const thirdStart = scripted.observedCallOrder().length
        const r3 = yield* invoke(client, method, third)
        expect(r3.server).toBe("P")
        expect(yield* phasesOf(client, r1.request_id, "P")).toEqual(FAILOVER_AT_INVOKE.slice(0, 4))
        expect(yield* statusesOf(client, r1.request_id, "P")).toEqual(["degraded"])
        expect(yield* phasesOf(client, r2.request_id, "P")).toEqual([])
        expect(yield* statusesOf(client, r2.request_id, "P")).toEqual([])
        expect(yield* phasesOf(client, r3.request_id, "P")).toEqual([...SUCCESS_PHASES])
        expect(yield* statusesOf(client, r3.request_id, "P")).toEqual(["healthy"])
        expect(scripted.observedCallOrder().slice(thirdStart)).toEqual([
          ["P", "initialize"],
          ["P", method]
        ])
        expect(scripted.observedCallOrder()).toEqual([
          ["P", "initialize"],
          ["P", method],
          ["B", "initialize"],
          ["B", method],
          ["B", method],
          ["P", "initialize"],
          ["P", method]
        ])
      }).pipe(Effect.provide(apiHarness({ manager: { unreachableAfter: 2 } })))
    )
  }
})
