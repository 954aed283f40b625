import { Manager, Registry, TransportError, httpUpstream } from "@att/core"
import { ScriptedTransport, T0, advanceSeconds, atT0, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"

const METHODS = ["tools/call", "resources/read"] as const
type Method = (typeof METHODS)[number]

const register = (...names: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.forEach(names, (name) => manager.register(name, httpUpstream(`http://${name}.local`)))
  )
const invoke = (method: Method, preferred: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    method === "tools/call"
      ? manager.invokeTool("att.project.list", {}, preferred)
      : manager.readResource("att://projects", preferred)
  )
const hold = (name: string, error = "hold backup") =>
  Effect.flatMap(Manager, (manager) => manager.recordCheckResult(name, { healthy: false, error }))
/** The observed call order (initialize / tools/call / resources/read) added by `effect`. */
const slice = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const scripted = yield* ScriptedTransport
    const before = scripted.observedCallOrder().length
    const result = yield* Effect.either(effect)
    return { result, calls: scripted.observedCallOrder().slice(before) }
  })
const sessionOf = (result: { readonly result: unknown }) =>
  (result.result as { structuredContent?: { session_id: string } }).structuredContent?.session_id

describe("manager scenarios U37–U47 (spec §14.1)", () => {
  it.effect("U37 mixed scripted failover call order", () =>
    Effect.gen(function* () {
      yield* atT0
      const scripted = yield* ScriptedTransport
      yield* register("P", "B")
      scripted.setScript("P", "tools/call", ["timeout"])
      scripted.setScript("B", "resources/read", ["timeout"])
      expect((yield* invoke("tools/call", ["P", "B"])).server).toBe("B")
      yield* advanceSeconds(1)
      expect((yield* invoke("resources/read", ["B", "P"])).server).toBe("P")
      expect(scripted.observedCallOrder()).toEqual([
        ["P", "initialize"],
        ["P", "tools/call"],
        ["B", "initialize"],
        ["B", "tools/call"],
        ["B", "resources/read"],
        ["P", "initialize"],
        ["P", "resources/read"]
      ])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  for (const method of METHODS) {
    it.effect(`U38 repeated invokes skip initialize until invalidate (${method})`, () =>
      Effect.gen(function* () {
        const manager = yield* Manager
        const scripted = yield* ScriptedTransport
        yield* register("P")
        yield* invoke(method, ["P"])
        yield* invoke(method, ["P"])
        expect(scripted.observedCallOrder().map(([, m]) => m)).toEqual(["initialize", method, method])
        const sessions = scripted
          .calls()
          .filter((c) => c.method === method)
          .map((c) => c.session_id)
        expect(new Set(sessions).size).toBe(1)
        yield* manager.invalidateSession("P")
        yield* invoke(method, ["P"])
        expect(scripted.observedCallOrder().map(([, m]) => m)).toEqual([
          "initialize",
          method,
          method,
          "initialize",
          method
        ])
        const last = scripted
          .calls()
          .filter((c) => c.method === method)
          .at(-1)
        expect(last?.session_id).not.toBe(sessions[0])
      }).pipe(Effect.provide(scriptedAtt()))
    )

    for (const trigger of ["expired", "degraded"] as const) {
      it.effect(`U39 force-reinitialize trigger ${trigger} (${method})`, () =>
        Effect.gen(function* () {
          yield* atT0
          const registry = yield* Registry
          const scripted = yield* ScriptedTransport
          yield* register("P")
          yield* invoke(method, ["P"])
          yield* registry.update("P", (record) =>
            trigger === "expired"
              ? { ...record, initialization_expires_at: DateTime.subtract(T0, { seconds: 1 }) }
              : { ...record, status: "degraded", next_retry_at: null }
          )
          expect((yield* invoke(method, ["P"])).server).toBe("P")
          // The live session answers a ping: its handshake holds, no second initialize on it (issue 16).
          expect(scripted.observedCallOrder()).toEqual([
            ["P", "initialize"],
            ["P", method],
            ["P", "ping"],
            ["P", method]
          ])
          expect(scripted.created("P")).toBe(1)
        }).pipe(Effect.provide(scriptedAtt()))
      )
    }

    for (const [unreachableAfter, status] of [
      [3, "degraded"],
      [1, "unreachable"]
    ] as const) {
      it.effect(`U40 retry-window gating (${method}, unreachableAfter=${unreachableAfter})`, () =>
        Effect.gen(function* () {
          yield* atT0
          const manager = yield* Manager
          const scripted = yield* ScriptedTransport
          yield* register("P", "B")
          scripted.setScript("P", method, ["timeout", "ok"])
          expect((yield* invoke(method, ["P", "B"])).server).toBe("B")
          expect((yield* manager.get("P")).status).toBe(status)
          const second = yield* slice(invoke(method, ["P", "B"]))
          expect(second.calls.every(([server]) => server === "B")).toBe(true)
          yield* advanceSeconds(1)
          yield* hold("B")
          const third = yield* slice(invoke(method, ["P", "B"]))
          expect(third.result._tag === "Right" && third.result.right.server).toBe("P")
          expect(third.calls).toEqual([
            ["P", "initialize"],
            ["P", method]
          ])
        }).pipe(Effect.provide(scriptedAtt({ manager: { unreachableAfter } })))
      )
    }

    for (const count of [1, 2] as const) {
      it.effect(`U42 retry-window matrix, primary failure count ${count} (${method})`, () =>
        Effect.gen(function* () {
          yield* atT0
          const manager = yield* Manager
          const scripted = yield* ScriptedTransport
          yield* register("P", "B")
          scripted.setScript("P", "initialize", count === 1 ? ["timeout", "ok"] : ["timeout", "timeout", "ok"])
          expect((yield* invoke(method, ["P", "B"])).server).toBe("B")
          expect((yield* manager.get("P")).next_retry_at).toEqual(DateTime.add(T0, { seconds: 1 }))
          const onlyB = yield* slice(invoke(method, ["P", "B"]))
          expect(onlyB.calls.every(([server]) => server === "B")).toBe(true)
          if (count === 2) {
            yield* advanceSeconds(1)
            yield* hold("B")
            const failed = yield* slice(invoke(method, ["P"]))
            expect(failed.result._tag).toBe("Left")
            expect(yield* manager.get("P")).toMatchObject({
              status: "unreachable",
              retry_count: 2,
              next_retry_at: DateTime.add(T0, { seconds: 3 })
            })
            yield* advanceSeconds(1)
            const reinit = yield* slice(invoke(method, ["P", "B"]))
            expect(reinit.calls).toEqual([
              ["B", "ping"], // B's live session is verified, not initialized again (issue 16)
              ["B", method]
            ])
            yield* advanceSeconds(2)
          } else {
            yield* advanceSeconds(1)
          }
          expect((yield* manager.get("P")).status).toBe(count === 1 ? "degraded" : "unreachable")
          yield* hold("B")
          const last = yield* slice(invoke(method, ["B", "P"]))
          expect(last.result._tag === "Right" && last.result.right.server).toBe("P")
          expect(last.calls).toEqual([
            ["P", "initialize"],
            ["P", method]
          ])
        }).pipe(Effect.provide(scriptedAtt({ manager: { unreachableAfter: 2 } })))
      )
    }

    it.effect(`U43 unreachable primary; degraded backup re-initializes (${method})`, () =>
      Effect.gen(function* () {
        yield* atT0
        const manager = yield* Manager
        const scripted = yield* ScriptedTransport
        yield* register("P", "B")
        scripted.setScript("P", "initialize", ["timeout", "timeout", "ok"])
        expect((yield* invoke(method, ["P", "B"])).server).toBe("B")
        yield* advanceSeconds(1)
        yield* hold("B")
        expect((yield* slice(invoke(method, ["P"]))).result._tag).toBe("Left")
        expect((yield* manager.get("P")).status).toBe("unreachable")
        yield* advanceSeconds(1)
        const last = yield* slice(invoke(method, ["P", "B"]))
        expect(last.result._tag === "Right" && last.result.right.server).toBe("B")
        expect(last.calls).toEqual([
          ["B", "ping"], // B's live session is verified, not initialized again (issue 16)
          ["B", method]
        ])
      }).pipe(Effect.provide(scriptedAtt({ manager: { unreachableAfter: 2 } })))
    )

    for (const [failures, delay, status] of [
      [1, 1, "degraded"],
      [2, 2, "unreachable"]
    ] as const) {
      it.effect(`U44 closed windows, no candidate, re-entry (${method}, backup ${status})`, () =>
        Effect.gen(function* () {
          yield* atT0
          const manager = yield* Manager
          const scripted = yield* ScriptedTransport
          yield* register("P", "B")
          scripted.setScript("P", "initialize", ["timeout", "timeout", "ok"])
          expect((yield* invoke(method, ["P", "B"])).server).toBe("B")
          yield* advanceSeconds(1)
          for (let i = 0; i < failures; i++) yield* hold("B")
          expect((yield* manager.get("B")).status).toBe(status)
          expect((yield* slice(invoke(method, ["P"]))).result._tag).toBe("Left")
          expect((yield* manager.get("P")).status).toBe("unreachable")
          const none = yield* slice(invoke(method, ["P", "B"]))
          expect(none.result._tag === "Left" && none.result.left.message).toBe(
            "No reachable MCP servers are currently available"
          )
          expect(none.calls).toEqual([])
          yield* advanceSeconds(delay)
          const last = yield* slice(invoke(method, ["B", "P"]))
          expect(last.result._tag === "Right" && last.result.right.server).toBe("B")
          expect(last.calls).toEqual([
            ["B", "ping"], // B's live session is verified, not initialized again (issue 16)
            ["B", method]
          ])
        }).pipe(Effect.provide(scriptedAtt({ manager: { unreachableAfter: 2 } })))
      )
    }

    for (const preferred of [
      ["P", "B"],
      ["B", "P"]
    ] as const) {
      it.effect(`U45 simultaneous unreachable reopen (${method}, ${preferred.join(",")})`, () =>
        Effect.gen(function* () {
          yield* atT0
          const manager = yield* Manager
          const scripted = yield* ScriptedTransport
          const [first, second] = preferred
          yield* register("P", "B")
          yield* hold("P")
          yield* hold("B")
          scripted.setScript(first, "initialize", ["timeout"])
          scripted.setScript(second, "initialize", ["ok"])
          const closed = yield* slice(invoke(method, preferred))
          expect(closed.result._tag).toBe("Left")
          expect(closed.calls).toEqual([])
          yield* advanceSeconds(1)
          const reopened = yield* slice(invoke(method, preferred))
          expect(reopened.result._tag === "Right" && reopened.result.right.server).toBe(second)
          expect(reopened.calls).toEqual([
            [second, "initialize"],
            [second, method]
          ])
          const requestId = reopened.result._tag === "Right" ? reopened.result.right.request_id : ""
          const starts = (yield* manager.listInvocationEvents({ request_id: requestId }))
            .filter((event) => event.phase === "initialize_start")
            .map((event) => event.server)
          expect(starts).toEqual([first, second])
        }).pipe(Effect.provide(scriptedAtt({ manager: { unreachableAfter: 1 } })))
      )
    }
  }

  for (const failures of [1, 2] as const) {
    it.effect(`U41 resource re-entry skips a non-retryable backup (${failures} backup failures)`, () =>
      Effect.gen(function* () {
        yield* atT0
        const manager = yield* Manager
        const scripted = yield* ScriptedTransport
        yield* register("P", "B")
        scripted.setScript("P", "resources/read", ["timeout", "ok"])
        expect((yield* invoke("resources/read", ["P", "B"])).server).toBe("B")
        expect((yield* invoke("resources/read", ["B", "P"])).server).toBe("B")
        yield* advanceSeconds(1)
        for (let i = 0; i < failures; i++) yield* hold("B")
        expect(yield* manager.get("B")).toMatchObject({
          status: failures === 1 ? "degraded" : "unreachable",
          next_retry_at: DateTime.add(T0, { seconds: failures === 1 ? 2 : 3 })
        })
        const last = yield* slice(invoke("resources/read", ["B", "P"]))
        expect(last.result._tag === "Right" && last.result.right.server).toBe("P")
        expect(last.calls).toEqual([
          ["P", "initialize"],
          ["P", "resources/read"]
        ])
      }).pipe(Effect.provide(scriptedAtt({ manager: { unreachableAfter: 2 } })))
    )
  }

  it.effect("U46 correlation on failure", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("codex")
      const error = yield* Effect.flip(manager.invokeTool("att.project.list", {}))
      const requestId = (yield* manager.listInvocationEvents())[0]?.request_id
      expect(error.request_id).toBe(requestId) // G22
      const events = yield* manager.listEvents({ correlation_id: requestId })
      expect(events.map((e) => [e.server, e.to_status, e.reason])).toEqual([["codex", "degraded", "init down"]])
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: () => Effect.fail(new TransportError({ message: "init down", category: "transport_error" }))
          }
        })
      )
    )
  )

  it.effect("U47 event filters and limits", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("P", "B")
      const result = yield* manager.invokeTool("att.project.list", {}, ["P", "B"])
      const rid = result.request_id
      yield* hold("B", "manual degrade")
      const phases = (query: Parameters<typeof manager.listInvocationEvents>[0]) =>
        Effect.map(manager.listInvocationEvents(query), (events) => events.map((e) => e.phase))
      expect(yield* phases({ server: "P", request_id: rid })).toEqual(["initialize_start", "initialize_failure"])
      expect(yield* phases({ limit: 2 })).toEqual(["invoke_start", "invoke_success"])
      expect(yield* phases({ limit: 0 })).toEqual([])
      const byCorrelation = yield* manager.listEvents({ correlation_id: rid })
      expect(byCorrelation.map((e) => e.server)).toEqual(["P"])
      const backup = yield* manager.listEvents({ server: "B" })
      expect(backup.map((e) => [e.to_status, e.reason, e.correlation_id])).toEqual([
        ["degraded", "manual degrade", null]
      ])
      expect((yield* manager.listEvents({ limit: 1 })).map((e) => e.server)).toEqual(["B"])
      expect(yield* manager.listEvents({ limit: -1 })).toEqual([])
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (server) =>
              server === "P"
                ? Effect.fail(new TransportError({ message: "P down", category: "transport_error" }))
                : undefined
          }
        })
      )
    )
  )

  it.effect("U38 session id survives repeated calls", () =>
    Effect.gen(function* () {
      yield* register("P")
      const first = yield* invoke("tools/call", ["P"])
      const second = yield* invoke("tools/call", ["P"])
      expect(sessionOf(first)).toBe("P-session-1")
      expect(sessionOf(second)).toBe("P-session-1")
    }).pipe(Effect.provide(scriptedAtt()))
  )
})
