import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Layer } from "effect"

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
 * Effect's spans exported over OTLP/HTTP by the OpenTelemetry SDK (`@effect/opentelemetry`): the exporter reads
 * the endpoint and `OTEL_EXPORTER_OTLP_HEADERS` itself, the tracer provider its sampler (`OTEL_TRACES_SAMPLER`,
 * default parent-based always-on), the resource `OTEL_SERVICE_NAME` (default `att`) and
 * `OTEL_RESOURCE_ATTRIBUTES`. Off (an empty layer, Effect's built-in tracer, no span made anywhere) unless
 * `tracingRequested`. Provide it beneath everything else, so the routes, the manager and the transport are built
 * with its tracer in place: they decide once, when built, whether to make spans.
 */
export const tracingLayer = (env: Env = process.env): Layer.Layer<never> =>
  tracingRequested(env)
    ? Layer.discard(
        NodeSdk.layer(() => ({
          ...(set(env.OTEL_SERVICE_NAME) ? {} : { resource: { serviceName: "att" } }),
          spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter())
        }))
      )
    : Layer.empty
