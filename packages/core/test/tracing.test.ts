import { Manager, httpUpstream } from "@att/core"
import { atT0, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Tracer } from "effect"

/** A tracer that records the name and attributes of each span, then hands it to Effect's own. */
const recording = Effect.map(Effect.tracer, (builtIn) => {
  const spans: Array<{ name: string; attributes: ReadonlyMap<string, unknown>; id: string; parent: string | null }> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = builtIn.span(name, parent, context, links, startTime, kind, options)
      spans.push({
        name,
        attributes: span.attributes,
        id: span.spanId,
        parent: parent._tag === "Some" ? parent.value.spanId : null
      })
      return span
    },
    context: builtIn.context
  })
  return { tracer, spans }
})

describe("invocation spans", () => {
  it.effect(
    "one Manager.invoke span per invocation, its attempts and handshake its children, when a tracer is installed",
    () =>
      Effect.gen(function* () {
        yield* atT0
        const manager = yield* Manager
        yield* manager.register("P", httpUpstream("http://p.local"))
        const { tracer, spans } = yield* recording
        yield* manager.invokeTool("echo", {}, null).pipe(Effect.withTracer(tracer))
        yield* manager.readResource("test://r", null).pipe(Effect.withTracer(tracer))
        const invocations = spans.filter((span) => span.name === "Manager.invoke")
        expect(invocations.map((span) => span.attributes.get("rpc.method"))).toEqual(["tools/call", "resources/read"])
        expect(invocations[0]?.attributes.get("att.tool")).toBe("echo")
        // Each invocation's attempt is its child; the first attempt's handshake is the attempt's child.
        const attempts = spans.filter((span) => span.name === "Manager.attempt")
        expect(attempts.map((span) => span.parent)).toEqual(invocations.map((span) => span.id))
        expect(attempts.map((span) => span.attributes.get("att.server"))).toEqual(["P", "P"])
        expect(attempts.map((span) => span.attributes.get("att.outcome"))).toEqual(["success", "success"])
        const handshakes = spans.filter((span) => span.name === "Manager.handshake")
        expect(handshakes.map((span) => span.parent)).toEqual([attempts[0]?.id])
        // Without one, the invocation still answers (no span is made for Effect's built-in tracer).
        expect((yield* manager.invokeTool("echo", {}, null)).server).toBe("P")
      }).pipe(Effect.provide(scriptedAtt()))
  )
})
