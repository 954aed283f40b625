import type { Tracer } from "effect"

/** W3C trace context of one upstream request: what goes in `_meta` and in the HTTP headers. */
export interface TraceContext {
  readonly traceparent: string
  readonly tracestate?: string
}

/**
 * The W3C `traceparent` of a span (version 00), and its `tracestate` when the span has one: an OpenTelemetry span
 * behind `@effect/opentelemetry` keeps it in its span context (read structurally: this package stays free of the
 * OpenTelemetry API).
 */
export const traceContextOf = (span: Tracer.Span): TraceContext => {
  const traceparent = `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
  const otel = (span as { readonly span?: { spanContext?: () => { traceState?: { serialize(): string } } } }).span
  const tracestate = otel?.spanContext?.().traceState?.serialize()
  return tracestate === undefined || tracestate === "" ? { traceparent } : { traceparent, tracestate }
}

/**
 * A request's params with the trace context in `_meta` (MCP's place for it), `_meta` moved last: in the JSON body
 * the trace context is then the last `traceparent` / `tracestate` member, which `traceHeadersOfBody` finds from
 * the end without parsing (a key inside a string value is escaped and cannot match).
 */
export const withTraceMeta = (params: Record<string, unknown>, trace: TraceContext): Record<string, unknown> => {
  const { _meta, ...rest } = params
  const meta = typeof _meta === "object" && _meta !== null ? (_meta as Record<string, unknown>) : {}
  const { traceparent: _p, tracestate: _s, ...kept } = meta
  return { ...rest, _meta: { ...kept, ...trace } }
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
const TRACESTATE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,512}$/

const memberAfter = (body: string, key: string): string | undefined => {
  const marker = `"${key}":"`
  const at = body.lastIndexOf(marker)
  if (at < 0) return undefined
  const start = at + marker.length
  const end = body.indexOf('"', start)
  return end < 0 ? undefined : body.slice(start, end)
}

/**
 * The trace headers of a JSON-RPC request body made by `withTraceMeta`: per request, so every call on a shared
 * session carries its own trace. Empty when the body carries no (well-formed) trace context.
 */
export const traceHeadersOfBody = (body: unknown): TraceContext | null => {
  if (typeof body !== "string") return null
  const traceparent = memberAfter(body, "traceparent")
  if (traceparent === undefined || !TRACEPARENT.test(traceparent)) return null
  const tracestate = memberAfter(body, "tracestate")
  return tracestate !== undefined && TRACESTATE.test(tracestate) ? { traceparent, tracestate } : { traceparent }
}
