import { Manager, httpUpstream } from "@att/core"
import { atT0, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Tracer } from "effect"

/** A tracer that records the name and attributes of each span, then hands it to Effect's own. */
const recording = Effect.map(Effect.tracer, (builtIn) => {
  const spans: Array<{ name: string; attributes: ReadonlyMap<string, unknown> }> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = builtIn.span(name, parent, context, links, startTime, kind, options)
      spans.push({ name, attributes: span.attributes })
      return span
    },
    context: builtIn.context
  })
  return { tracer, spans }
})

describe("invocation spans", () => {
  it.effect("one Manager.invoke span per invocation, with its method, when a tracer is installed", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      yield* manager.register("P", httpUpstream("http://p.local"))
      const { tracer, spans } = yield* recording
      yield* manager.invokeTool("echo", {}, null).pipe(Effect.withTracer(tracer))
      yield* manager.readResource("test://r", null).pipe(Effect.withTracer(tracer))
      const invocations = spans.filter((span) => span.name === "Manager.invoke")
      expect(invocations.map((span) => span.attributes.get("method"))).toEqual(["tools/call", "resources/read"])
      // Without one, the invocation still answers (no span is made for Effect's built-in tracer).
      expect((yield* manager.invokeTool("echo", {}, null)).server).toBe("P")
    }).pipe(Effect.provide(scriptedAtt()))
  )
})
