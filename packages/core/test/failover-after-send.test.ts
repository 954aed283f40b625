import { Manager, TransportError, httpUpstream } from "@att/core"
import { ScriptedTransport, atT0, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"

const register = (...names: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.forEach(names, (name) => manager.register(name, httpUpstream(`http://${name}.local`)))
  )
const callOnce = (failoverAfterSend: boolean) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.either(manager.invokeTool("write", {}, ["P", "B"], { failoverAfterSend }))
  )

/** P refuses before sending (`unsent`) when asked to; every other call is the cluster fake's. */
const refusingP = scriptedAtt({
  transport: {
    responder: (server, request) =>
      server === "P" && request.method === "tools/call"
        ? Effect.fail(
            new TransportError({ message: "connect ECONNREFUSED", category: "transport_error", unsent: true })
          )
        : undefined
  }
})

describe("failover after a request may have reached an upstream", () => {
  it.effect("off: a timeout at invoke stops the walk at the first server, and says why", () =>
    Effect.gen(function* () {
      yield* atT0
      const scripted = yield* ScriptedTransport
      yield* register("P", "B")
      scripted.setScript("P", "tools/call", ["timeout"])
      const outcome = yield* callOnce(false)
      expect(outcome._tag).toBe("Left")
      if (outcome._tag === "Left" && outcome.left._tag === "InvocationError") {
        expect(outcome.left.message).toContain("not tried elsewhere: the request may have reached P")
        expect(outcome.left.attempts.map((attempt) => [attempt.server, attempt.stage, attempt.success])).toEqual([
          ["P", "initialize", true],
          ["P", "invoke", false]
        ])
      }
      expect(scripted.observedCallOrder().filter(([server]) => server === "B")).toEqual([])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("on (the spec's default): the same timeout fails over to the next server", () =>
    Effect.gen(function* () {
      yield* atT0
      const scripted = yield* ScriptedTransport
      yield* register("P", "B")
      scripted.setScript("P", "tools/call", ["timeout"])
      const outcome = yield* callOnce(true)
      expect(outcome._tag === "Right" && outcome.right.server).toBe("B")
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("off: initialize failures and failures before sending still fail over", () =>
    Effect.gen(function* () {
      yield* atT0
      const scripted = yield* ScriptedTransport
      yield* register("P", "B")
      scripted.setScript("P", "initialize", ["timeout"])
      const afterInitialize = yield* callOnce(false)
      expect(afterInitialize._tag === "Right" && afterInitialize.right.server).toBe("B")
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("off: an unsent failure at invoke fails over", () =>
    Effect.gen(function* () {
      yield* atT0
      yield* register("P", "B")
      const outcome = yield* callOnce(false)
      expect(outcome._tag === "Right" && outcome.right.server).toBe("B")
    }).pipe(Effect.provide(refusingP))
  )
})
