import { Context, Effect, Option, Tracer } from "effect"

/**
 * Effect's default tracer, which records spans nowhere. Spans made under it cost CPU and go nowhere: att makes
 * none then (an invocation's span, the HTTP server's span per request).
 */
export const BUILT_IN_TRACER = Effect.runSync(Effect.tracer)

/** Whether the current tracer records spans (anything but Effect's built-in one). */
export const recordsSpans: Effect.Effect<boolean> = Effect.map(Effect.tracer, (tracer) => tracer !== BUILT_IN_TRACER)

/**
 * `effect` under a context of the current span alone. Each span inside copies the context it runs in to add itself,
 * and each fiber-ref update compares the old context with the new entry by entry; a request's context holds every
 * service of the application, while an invocation needs none of them (its services were taken when the manager
 * was built). Only for effects that read no service at run time.
 */
export const withParentSpanOnly = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.mapInputContext(effect, (context: Context.Context<never>) => {
    const parent = Context.getOption(context, Tracer.ParentSpan)
    return Option.isSome(parent) ? Context.make(Tracer.ParentSpan, parent.value) : Context.empty()
  })
