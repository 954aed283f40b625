/**
 * The scripted transport and the SDK transport implement one seam: a property drives both with the same script of
 * session operations (the SDK one against a real in-process MCP server) and compares what each answered, step by
 * step. Manager semantics tested on the scripted transport then hold for the real one.
 */
import {
  type ClientMethod,
  Transport,
  type TransportError,
  type TransportShape,
  type UpstreamTarget,
  httpUpstream
} from "@att/core"
import { SdkTransport } from "@att/sdk-transport"
import { ScriptedTransport, startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, type Layer, Option } from "effect"

/** The requests both answer with a result: the test upstream offers tools and resources (`echo`, `test://static`). */
const REQUESTS: ReadonlyArray<readonly [ClientMethod, Record<string, unknown>]> = [
  ["ping", {}],
  ["tools/list", {}],
  ["tools/call", { name: "echo", arguments: { message: "hi" } }],
  ["resources/list", {}],
  ["resources/templates/list", {}],
  ["resources/read", { uri: "test://static" }]
]

type Step =
  | { readonly op: "open" }
  | { readonly op: "request"; readonly index: number }
  | { readonly op: "invalidate" }
  | { readonly op: "release" }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ op: "open" as const }) },
  { weight: 6, arbitrary: fc.nat(REQUESTS.length - 1).map((index) => ({ op: "request" as const, index })) },
  { weight: 1, arbitrary: fc.constant({ op: "invalidate" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "release" as const }) }
)

/** What one step came to, in terms both transports share. */
const outcomeOf = (result: Either.Either<unknown, TransportError>): string => {
  if (Either.isLeft(result)) return result.left.sessionLost === true ? "lost" : `failed ${result.left.category}`
  const answer = result.right as Record<string, unknown>
  if ("protocolVersion" in answer) return "opened"
  return "error" in answer ? "error" : "result"
}

const run = (transport: TransportShape, target: UpstreamTarget, steps: ReadonlyArray<Step>) =>
  Effect.forEach(steps, (next) => {
    switch (next.op) {
      case "open":
        return Effect.map(Effect.either(transport.open(target)), outcomeOf)
      case "request": {
        const [method, params] = REQUESTS[next.index] as (typeof REQUESTS)[number]
        return Effect.map(Effect.either(transport.request(target, method, params as never)), outcomeOf)
      }
      case "invalidate":
        return Effect.map(Option.getOrThrow(transport.sessions).invalidate(target.name), (had) => `invalidated ${had}`)
      case "release":
        return Effect.as(transport.release(target.name), "released")
    }
  })

/** Run `steps` on a fresh transport from `layer`: each script starts with no session. */
const outcomes = (layer: Layer.Layer<Transport>, target: UpstreamTarget, steps: ReadonlyArray<Step>) =>
  Effect.scoped(Effect.flatMap(Transport, (transport) => run(transport, target, steps)).pipe(Effect.provide(layer)))

describe("the scripted and the SDK transport answer one script alike", () => {
  it.scopedLive("sessions are opened only by open, lost after invalidate or release, and every request answers", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const target: UpstreamTarget = { name: "alpha", upstream: httpUpstream(upstream.url) }
      const scripted: Layer.Layer<Transport> = ScriptedTransport.layer()
      const checked: Array<ReadonlyArray<string>> = []
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
            const [fromScripted, fromSdk] = await Effect.runPromise(
              Effect.all([outcomes(scripted, target, steps), outcomes(SdkTransport.layer(), target, steps)])
            )
            expect(fromSdk).toEqual(fromScripted)
            checked.push(fromSdk)
          }),
          {
            numRuns: 25,
            examples: [
              [[{ op: "request", index: 0 }, { op: "open" }, { op: "request", index: 2 }, { op: "invalidate" }]],
              [[{ op: "invalidate" }, { op: "open" }, { op: "open" }, { op: "release" }, { op: "request", index: 5 }]]
            ]
          }
        )
      )
      // The scripts exercised every kind of answer (a property over scripts that never opened would prove little).
      const seen = new Set(checked.flat())
      for (const kind of ["opened", "result", "lost", "invalidated true", "invalidated false", "released"])
        expect(seen).toContain(kind)
    })
  )
})
