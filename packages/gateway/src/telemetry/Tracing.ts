import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as Resource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Tracer } from "effect"

type Env = Readonly<Record<string, string | undefined>>

const set = (value: string | undefined) => value !== undefined && value.trim() !== ""

/**
 * Traces are exported when the standard OpenTelemetry variables ask for it: an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), unless `OTEL_TRACES_EXPORTER=none` or
 * `OTEL_SDK_DISABLED=true`.
 */
export const tracingRequested = (env: Env): boolean =>
  (set(env.OTEL_EXPORTER_OTLP_ENDPOINT) || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) &&
  env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() !== "none" &&
  env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true"

/**
 * `@effect/opentelemetry`'s Effect tracer without its `context` hook. That hook runs every step of every fiber
 * inside a span within `context.with(...)` of a new OpenTelemetry context holding the span (two context copies per
 * step: about a third of what always-on tracing cost per call). Nothing in att reads OpenTelemetry's active
 * context (no provider is registered globally, so its context manager is the no-op one, and the trace context sent
 * upstream is read from Effect's span), so the spans are the same without it.
 */
const tracerWithoutOtelContext: Layer.Layer<never, never, OtelTracer.OtelTracer> = Layer.unwrapEffect(
  Effect.map(OtelTracer.make, (tracer) =>
    Layer.setTracer(Tracer.make({ span: tracer.span, context: (execution) => execution() }))
  )
)

/**
 * Effect's spans exported over OTLP/HTTP by the OpenTelemetry SDK (`@effect/opentelemetry`): the exporter reads
 * the endpoint and `OTEL_EXPORTER_OTLP_HEADERS` itself, the tracer provider its sampler (`OTEL_TRACES_SAMPLER`,
 * default parent-based always-on) and the batch processor its `OTEL_BSP_*` bounds, the resource
 * `OTEL_SERVICE_NAME` (default `att`) and `OTEL_RESOURCE_ATTRIBUTES`. Off (an empty layer, Effect's built-in
 * tracer, no span made anywhere) unless `tracingRequested`. Provide it beneath everything else, so the routes, the
 * manager and the transport are built with its tracer in place: they decide once, when built, whether to make spans.
 */
export const tracingLayer = (env: Env = process.env): Layer.Layer<never> =>
  tracingRequested(env)
    ? tracerWithoutOtelContext.pipe(
        Layer.provide(OtelTracer.layerTracer),
        Layer.provide(
          Layer.suspend(() => NodeSdk.layerTracerProvider(new BatchSpanProcessor(new OTLPTraceExporter())))
        ),
        Layer.provide(
          Resource.layerFromEnv(
            set(env.OTEL_SERVICE_NAME) ? undefined : Resource.configToAttributes({ serviceName: "att" })
          )
        )
      )
    : Layer.empty
