import { describe, expect, it } from "@effect/vitest"
import { Effect, type Tracer } from "effect"
import { vi } from "vitest"
import { loggerLayer } from "../src/telemetry/Logging.js"

/** What `effect` logs under att's logger in `format`, one string per line written to the console. */
const logged = (format: "json" | "text", effect: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)))
    yield* effect.pipe(Effect.provide(loggerLayer(format)), Effect.ensuring(Effect.sync(() => spy.mockRestore())))
    return lines
  })

describe("att's logger", () => {
  it.effect("json: one object per line, with the trace and span ids of the span it was logged in", () =>
    Effect.gen(function* () {
      let span: Tracer.Span | undefined
      const lines = yield* logged(
        "json",
        Effect.gen(function* () {
          span = yield* Effect.currentSpan.pipe(Effect.orDie)
          yield* Effect.logInfo("inside")
        }).pipe(Effect.withSpan("work"), Effect.zipRight(Effect.logInfo("outside")))
      )
      expect(lines).toHaveLength(2)
      const [inside, outside] = lines.map((line) => JSON.parse(line))
      expect(inside.message).toBe("inside")
      expect(inside.annotations).toEqual({ trace_id: span?.traceId, span_id: span?.spanId })
      expect(outside.message).toBe("outside")
      expect(outside.annotations).toEqual({})
    })
  )

  it.effect("text: logfmt with trace_id", () =>
    Effect.gen(function* () {
      const lines = yield* logged("text", Effect.logWarning("careful").pipe(Effect.withSpan("work")))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/level=WARN .*message=careful .*trace_id=[0-9a-z]+ span_id=[0-9a-z]+/)
    })
  )
})
