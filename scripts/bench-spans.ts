/**
 * `tsx --conditions=att-source scripts/bench-spans.ts VARIANT [CALLS]`: CPU per call of a call's four spans alone,
 * in process, 32 calls at a time, exported to an OTLP/HTTP sink in a child process. VARIANT: `none` (the same
 * Effects, no span), `native` (spans under Effect's built-in tracer, exported nowhere), `sdk` (att's
 * `tracingLayer`: the OpenTelemetry SDK, batch processor, OTLP/HTTP JSON exporter) or `otlp` (`@effect/opentelemetry`'s
 * own `OtlpTracer`: no SDK span objects). Run each a few times, in turn, under the bench lock: it compares span
 * back-ends, not att. Not a test: numbers vary by machine.
 */
import { spawn } from "node:child_process"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, ManagedRuntime } from "effect"

const SINK = `const s=require("http").createServer((q,r)=>{q.resume();q.on("end",()=>r.writeHead(200).end("{}"))});s.listen(0,"127.0.0.1",()=>console.log(s.address().port))`
const sink = spawn(process.execPath, ["-e", SINK], { stdio: ["ignore", "pipe", "inherit"] })
const port = await new Promise<string>((resolve) => sink.stdout?.once("data", (data) => resolve(String(data).trim())))
const endpoint = `http://127.0.0.1:${port}`
Object.assign(process.env, {
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_BSP_MAX_QUEUE_SIZE: "65536",
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "2048"
})
const { tracingLayer } = await import("../packages/gateway/src/telemetry/Tracing.js")

/** A call's shape: the server span (with a few header-like attributes), the invocation, an attempt, the upstream call. */
const HEADERS = { "content-type": "application/json", host: "127.0.0.1:1234", "content-length": "56" }
const work = Effect.zipRight(Effect.yieldNow(), Effect.sleep(0))
const spanned = work.pipe(
  Effect.withSpan("MCP tools/call", { kind: "client", captureStackTrace: false, attributes: { "att.server": "b" } }),
  Effect.tap(() => Effect.annotateCurrentSpan("att.outcome", "success")),
  Effect.withSpan("Manager.attempt", { captureStackTrace: false, attributes: { "att.server": "b" } }),
  Effect.withSpan("Manager.invoke", { captureStackTrace: false, attributes: { "rpc.method": "tools/call" } }),
  Effect.tap(() => Effect.annotateCurrentSpan(HEADERS)),
  Effect.withSpan("http.server POST", { kind: "server", captureStackTrace: false })
)
const otlp = OtlpTracer.layer({
  url: `${endpoint}/v1/traces`,
  resource: { serviceName: "att" },
  exportInterval: "200 millis",
  maxBatchSize: 2048
}).pipe(Layer.provide(OtlpSerialization.layerJson), Layer.provide(NodeHttpClient.layerUndici))
const variants: Record<string, readonly [Layer.Layer<never>, Effect.Effect<void>]> = {
  none: [Layer.empty, work],
  native: [Layer.empty, spanned],
  sdk: [tracingLayer(process.env), spanned],
  otlp: [otlp, spanned]
}
const which = process.argv[2] ?? "none"
const [layer, call] = variants[which] ?? variants.none ?? [Layer.empty, work]
const runtime = ManagedRuntime.make(layer)
const calls = Number(process.argv[3] ?? 20_000)
const batch = Effect.all(
  Array.from({ length: 32 }, () => call),
  { concurrency: 32, discard: true }
)
const run = () => runtime.runPromise(Effect.forEach(Array.from({ length: calls / 32 }), () => batch, { discard: true }))
await run()
const before = process.cpuUsage()
await run()
await new Promise((resolve) => setTimeout(resolve, 600)) // the last exports
const used = process.cpuUsage(before)
process.stdout.write(`${which}: ${((used.user + used.system) / calls).toFixed(1)} µs CPU per call (exports included)\n`)
await runtime.dispose()
sink.kill()
