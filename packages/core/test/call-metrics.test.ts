import { Manager, httpUpstream } from "@att/core"
import { ScriptedTransport, advanceSeconds, atT0, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Metric, MetricLabel } from "effect"
import { bulkheadRejectionsTotal, callsTotal, failoversTotal, handshakesTotal, retriesTotal } from "../src/Metrics.js"

/** A counter's value for exactly these labels (Effect's registry is global: each test uses its own server names). */
const count = (metric: typeof callsTotal, labels: Record<string, string>) =>
  Effect.map(
    Metric.value(
      Metric.taggedWithLabels(
        metric,
        Object.entries(labels).map(([key, value]) => MetricLabel.make(key, value))
      )
    ),
    (state) => state.count
  )

const register = (...names: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.forEach(names, (name) => manager.register(name, httpUpstream(`http://${name}.local`)))
  )

describe("invocation metrics", () => {
  it.effect("calls by outcome, failovers, handshakes, then a retry once the window opens", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("m1-a", "m1-b")
      scripted.setScript("m1-a", "tools/call", ["timeout"])
      const served = yield* manager.invokeTool("t1", {}, ["m1-a", "m1-b"])
      expect(served.server).toBe("m1-b")
      expect(yield* count(callsTotal, { server: "m1-b", method: "tools/call", tool: "t1", outcome: "success" })).toBe(1)
      expect(yield* count(failoversTotal, { server: "m1-a" })).toBe(1)
      expect(yield* count(handshakesTotal, { server: "m1-a", outcome: "success" })).toBe(1)
      expect(yield* count(handshakesTotal, { server: "m1-b", outcome: "success" })).toBe(1)
      // m1-a failed: its retry window is closed, so the next call skips it (no retry yet) ...
      yield* manager.invokeTool("t1", {}, ["m1-a", "m1-b"])
      expect(yield* count(retriesTotal, { server: "m1-a" })).toBe(0)
      // ... and once it opens, the next attempt at m1-a is a retry (healthy servers go first: only m1-a here).
      yield* advanceSeconds(60)
      expect((yield* manager.invokeTool("t1", {}, null, { only: ["m1-a"] })).server).toBe("m1-a")
      expect(yield* count(retriesTotal, { server: "m1-a" })).toBe(1)
      expect(yield* count(callsTotal, { server: "m1-a", method: "tools/call", tool: "t1", outcome: "success" })).toBe(1)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("no server serves: outcome error, server none; the tool label is capped", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("m2-a")
      scripted.setScript("m2-a", "tools/call", ["error", "ok", "ok"])
      yield* Effect.either(manager.invokeTool("first", {}, null))
      expect(yield* count(callsTotal, { server: "none", method: "tools/call", tool: "first", outcome: "error" })).toBe(
        1
      )
      yield* advanceSeconds(60)
      yield* manager.invokeTool("second", {}, null)
      yield* manager.invokeTool("third", {}, null)
      // metrics_max_tools 2: "third" is the third distinct tool.
      expect(
        yield* count(callsTotal, { server: "m2-a", method: "tools/call", tool: "second", outcome: "success" })
      ).toBe(1)
      expect(
        yield* count(callsTotal, { server: "m2-a", method: "tools/call", tool: "other", outcome: "success" })
      ).toBe(1)
      expect(
        yield* count(callsTotal, { server: "m2-a", method: "tools/call", tool: "third", outcome: "success" })
      ).toBe(0)
    }).pipe(Effect.provide(scriptedAtt({ manager: { metricsMaxTools: 2 } })))
  )

  it.effect("a saturated server is a bulkhead rejection, and a call every server refused is busy", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* register("m3-a")
      yield* manager.initializeServer("m3-a")
      const first = yield* Effect.fork(manager.invokeTool("hang", {}, null))
      yield* Effect.yieldNow()
      const busy = yield* Effect.either(manager.invokeTool("hang", {}, null))
      expect(busy._tag === "Left" && busy.left._tag === "InvocationError" && busy.left.busy).toBe(true)
      expect(yield* count(bulkheadRejectionsTotal, { server: "m3-a" })).toBe(1)
      expect(yield* count(callsTotal, { server: "none", method: "tools/call", tool: "hang", outcome: "busy" })).toBe(1)
      yield* Fiber.interrupt(first)
    }).pipe(
      Effect.provide(
        scriptedAtt({
          manager: { maxConcurrentCallsPerServer: 1 },
          // A call that never answers holds the server's one slot.
          transport: { responder: (_server, request) => (request.method === "tools/call" ? Effect.never : undefined) }
        })
      )
    )
  )
})
