import { Effect } from "effect"

/**
 * Effect's default tracer, which records spans nowhere. Spans made under it cost CPU and go nowhere: att makes
 * none then (an invocation's span, the HTTP server's span per request).
 */
export const BUILT_IN_TRACER = Effect.runSync(Effect.tracer)

/** Whether the current tracer records spans (anything but Effect's built-in one). */
export const recordsSpans: Effect.Effect<boolean> = Effect.map(Effect.tracer, (tracer) => tracer !== BUILT_IN_TRACER)
