import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Tracer } from "effect"
import { apiHarness } from "./harness.js"

/** A tracer that records the name of each span, then hands it to Effect's own. */
const recording = () => {
  const names: Array<string> = []
  const builtIn = Effect.runSync(Effect.tracer)
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      names.push(name)
      return builtIn.span(name, parent, context, links, startTime, kind, options)
    },
    context: builtIn.context
  })
  return { tracer, names }
}

const health = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("/api/v1/health"))

describe("the HTTP server's spans", () => {
  it.effect("with a tracer that records spans, each request gets the server's span", () => {
    const { tracer, names } = recording()
    return Effect.gen(function* () {
      expect((yield* health).status).toBe(200)
      expect(names).toContain("http.server GET")
    }).pipe(Effect.provide(apiHarness().pipe(Layer.provide(Layer.setTracer(tracer)))))
  })
})
