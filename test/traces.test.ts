import { createServer } from "node:http"
import { decodeConfig, gatewayRoutes, serviceCore, tracingLayer } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { startHttpUpstream } from "@att/testkit"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Layer, Schedule, Scope } from "effect"
import { type ReceivedSpan, startOtlpReceiver } from "./support/otlpReceiver.js"
import { rawRequest } from "./support/rawHttp.js"

/** What the upstream saw of one call's trace context: its HTTP headers and its request's `_meta`. */
interface Seen {
  readonly header: string | undefined
  readonly meta: unknown
}

/** Set OpenTelemetry's variables for the scope (the exporter and the SDK read `process.env` themselves). */
const withEnv = (vars: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const before = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]))
      Object.assign(process.env, vars)
      return before
    }),
    (before) =>
      Effect.sync(() => {
        for (const [key, value] of Object.entries(before)) {
          if (value === undefined) delete process.env[key]
          else process.env[key] = value
        }
      })
  )

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const CALLER_SPAN = "00f067aa0ba902b7"

describe("traces over OTLP/HTTP", () => {
  it.scopedLive("a call that fails over: the span tree, continued from the caller and passed to the upstream", () =>
    Effect.gen(function* () {
      const receiver = yield* startOtlpReceiver
      yield* withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=collector-secret",
        OTEL_SERVICE_NAME: "att-under-test",
        OTEL_BSP_SCHEDULE_DELAY: "50"
      })
      const seen: Array<Seen> = []
      const alpha = yield* startHttpUpstream({
        name: "alpha",
        extend: (server) =>
          server.registerTool("whoami", { description: "What the call carried" }, (extra) => {
            const header = extra.requestInfo?.headers.traceparent
            seen.push({ header: Array.isArray(header) ? header[0] : header, meta: extra._meta })
            return { content: [{ type: "text", text: "seen" }] }
          })
      })
      const beta = yield* startHttpUpstream({ name: "beta" })
      const config = Either.getOrThrow(
        decodeConfig(
          { mcpServers: { alpha: { url: alpha.url }, beta: { url: beta.url } }, health_interval_seconds: 3600 },
          "trace test"
        )
      )
      const attScope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        gatewayRoutes(config).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { host: "127.0.0.1", port: 0 })),
          Layer.provideMerge(serviceCore(config, null, SdkTransport.layer({ callTimeoutMs: 5_000 }))),
          Layer.provide(tracingLayer(process.env))
        ),
        attScope
      )
      const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
      const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`

      // Both upstreams connected at start; then beta dies with its session open.
      yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET" }).pipe(
        Effect.map((answer) => JSON.parse(answer.text).items as Array<{ initialized: boolean }>),
        Effect.repeat({
          schedule: Schedule.spaced("50 millis"),
          until: (servers) => servers.every((s) => s.initialized)
        }),
        Effect.timeout("10 seconds")
      )
      yield* beta.close

      const answer = yield* rawRequest(`${origin}/api/v1/mcp/invoke/tool`, {
        headers: { "content-type": "application/json", traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
        body: JSON.stringify({ tool_name: "whoami", arguments: {}, preferred_servers: ["beta", "alpha"] })
      })
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.text).server).toBe("alpha")

      // Closing att flushes its spans to the receiver.
      yield* Scope.close(attScope, Exit.void)
      const trace = receiver.spans.filter((span) => span.traceId === TRACE_ID)
      const named = (name: string) => trace.filter((span) => span.name === name)
      const one = (name: string): ReceivedSpan => {
        const spans = named(name)
        expect(spans, name).toHaveLength(1)
        return spans[0] as ReceivedSpan
      }

      // The incoming request continues the caller's trace; the invocation is its child.
      const request = one("http.server POST")
      expect(request.parentSpanId).toBe(CALLER_SPAN)
      expect(request.serviceName).toBe("att-under-test")
      // att's own server span: method, path, client and status; no header is copied into it (the platform's copied
      // them all, at a cost per call; a caller's headers may carry what a span must not).
      expect(request.kind).toBe(2) // SERVER
      expect(request.attributes).toMatchObject({
        "http.request.method": "POST",
        "url.path": "/api/v1/mcp/invoke/tool",
        "client.address": "127.0.0.1",
        "http.response.status_code": 200
      })
      expect(Object.keys(request.attributes).filter((key) => key.includes("header"))).toEqual([])
      const invoke = one("Manager.invoke")
      expect(invoke.parentSpanId).toBe(request.spanId)
      expect(invoke.attributes["att.tool"]).toBe("whoami")

      // One attempt per server, in order: beta failed (its call span failed), alpha served.
      const attempts = named("Manager.attempt")
      expect(attempts.map((span) => [span.attributes["att.server"], span.attributes["att.outcome"]])).toEqual([
        ["beta", "failure"],
        ["alpha", "success"]
      ])
      for (const attempt of attempts) expect(attempt.parentSpanId).toBe(invoke.spanId)
      const calls = named("MCP tools/call")
      expect(calls).toHaveLength(2)
      const [betaAttempt, alphaAttempt] = attempts as [ReceivedSpan, ReceivedSpan]
      const betaCall = calls.find((span) => span.parentSpanId === betaAttempt.spanId)
      const alphaCall = calls.find((span) => span.parentSpanId === alphaAttempt.spanId)
      expect(betaCall?.status.code).toBe(2) // ERROR
      expect(betaCall?.attributes["att.server"]).toBe("beta")
      expect(alphaCall?.kind).toBe(3) // CLIENT
      expect(alphaCall?.attributes["att.server"]).toBe("alpha")

      // The upstream got the trace: its parent is att's client span, in the HTTP header and in `_meta`.
      const traceparent = `00-${TRACE_ID}-${alphaCall?.spanId}-01`
      expect(seen).toEqual([{ header: traceparent, meta: { traceparent } }])

      // The exporter sent OTEL_EXPORTER_OTLP_HEADERS.
      expect(receiver.headers.every((headers) => headers["x-collector-key"] === "collector-secret")).toBe(true)
    })
  )

  it.scopedLive("the handshake is a span of the attempt that needed it", () =>
    Effect.gen(function* () {
      const receiver = yield* startOtlpReceiver
      yield* withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "50" })
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const config = Either.getOrThrow(decodeConfig({ health_interval_seconds: 3600 }, "trace test"))
      const attScope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        gatewayRoutes(config).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { host: "127.0.0.1", port: 0 })),
          Layer.provideMerge(serviceCore(config, null, SdkTransport.layer({ callTimeoutMs: 5_000 }))),
          Layer.provide(tracingLayer(process.env))
        ),
        attScope
      )
      const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
      const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
      const json = { "content-type": "application/json" }
      const registered = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
        headers: json,
        body: JSON.stringify({ name: "alpha", url: alpha.url, transport: "streamable-http" })
      })
      expect(registered.status).toBe(201)
      const answer = yield* rawRequest(`${origin}/api/v1/mcp/invoke/tool`, {
        headers: json,
        body: JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })
      })
      expect(answer.status).toBe(200)
      yield* Scope.close(attScope, Exit.void)

      const invoke = receiver.spans.find((span) => span.name === "Manager.invoke")
      expect(invoke?.serviceName).toBe("att") // no OTEL_SERVICE_NAME: att's own name
      const trace = receiver.spans.filter((span) => span.traceId === invoke?.traceId)
      const attempt = trace.find((span) => span.name === "Manager.attempt")
      const handshake = trace.find((span) => span.name === "Manager.handshake")
      expect(attempt?.parentSpanId).toBe(invoke?.spanId)
      expect(handshake?.parentSpanId).toBe(attempt?.spanId)
      expect(handshake?.attributes["att.server"]).toBe("alpha")
      // The request started a new trace (no traceparent came in): the server span is its root.
      expect(trace.find((span) => span.name === "http.server POST")?.parentSpanId).toBe("")
    })
  )
})
