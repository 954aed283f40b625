import { Manager } from "@att/core"
import { recordUpstreamStatuses } from "@att/core/internal"
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Context, Effect, Layer } from "effect"

/** The Prometheus text format's content type (version 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/**
 * att's metrics as Prometheus text: Effect's metrics, bridged by `@effect/opentelemetry` into the OpenTelemetry
 * Prometheus exporter (its own HTTP server never started: att serves the text from its own route, behind its guard).
 * The per-server status gauge is read from the registry at each scrape.
 */
export class PrometheusMetrics extends Context.Tag("att/PrometheusMetrics")<
  PrometheusMetrics,
  { readonly scrape: Effect.Effect<string> }
>() {
  static readonly layer = Layer.scoped(
    PrometheusMetrics,
    Effect.gen(function* () {
      const exporter = new PrometheusExporter({ preventServerStart: true })
      const producer = yield* OtelMetrics.makeProducer
      yield* OtelMetrics.registerProducer(producer, () => exporter)
      // No scope labels and no target_info: series carry att's labels only.
      const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
      const manager = yield* Manager
      const scrape = Effect.gen(function* () {
        recordUpstreamStatuses(yield* manager.list)
        const { resourceMetrics } = yield* Effect.promise(() => exporter.collect())
        return serializer.serialize(resourceMetrics)
      }).pipe(Effect.withSpan("Metrics.scrape"))
      return { scrape }
    })
  ).pipe(Layer.provide(OtelResource.layer({ serviceName: "att" })))
}
