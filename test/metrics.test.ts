import { createServer } from "node:http"
import { decodeConfig, gatewayRoutes, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { startHttpUpstream } from "@att/testkit"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Either, Layer } from "effect"
import { parsePrometheusText, sampleOf, samplesOf } from "./support/prometheusText.js"
import { rawRequest } from "./support/rawHttp.js"

const TOKEN = "metrics-s3cret"
const auth = { authorization: `Bearer ${TOKEN}` }

/** att served on a loopback port over real upstreams; its origin. */
const serveAtt = (config: unknown) =>
  Effect.gen(function* () {
    const decoded = Either.getOrThrow(decodeConfig(config, "metrics test"))
    const context = yield* Layer.build(
      gatewayRoutes(decoded).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { host: "127.0.0.1", port: 0 })),
        Layer.provideMerge(serviceCore(decoded, decoded.auth_token, SdkTransport.layer({ callTimeoutMs: 5_000 })))
      )
    )
    const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
    return `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
  })

const invoke = (origin: string, tool_name: string, args: Record<string, unknown>, preferred: ReadonlyArray<string>) =>
  rawRequest(`${origin}/api/v1/mcp/invoke/tool`, {
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ tool_name, arguments: args, preferred_servers: preferred })
  })

const scrape = (origin: string) =>
  Effect.map(rawRequest(`${origin}/metrics`, { method: "GET", headers: auth }), (answer) => {
    expect(answer.status).toBe(200)
    expect(answer.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8")
    return { text: answer.text, families: parsePrometheusText(answer.text) }
  })

describe("GET /metrics", () => {
  it.scopedLive("serves Prometheus text behind the token: calls, failover, handshakes, status, sessions, caps", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const beta = yield* startHttpUpstream({ name: "beta" })
      const origin = yield* serveAtt({
        mcpServers: { alpha: { url: alpha.url }, beta: { url: beta.url, headers: { "x-api-key": "upstream-key" } } },
        auth_token: TOKEN,
        health_interval_seconds: 3600,
        metrics_max_tools: 2,
        max_invocation_events: 4,
        max_concurrent_calls_per_server: 1
      })

      // Behind the guard and its bearer token, like every route of att.
      expect((yield* rawRequest(`${origin}/metrics`, { method: "GET" })).status).toBe(401)

      // beta dies: a call preferring it fails over to alpha.
      yield* beta.close
      const failedOver = yield* invoke(origin, "echo", { message: "hi" }, ["beta", "alpha"])
      expect(failedOver.status).toBe(200)
      expect(JSON.parse(failedOver.text).server).toBe("alpha")
      // Two more tools: with metrics_max_tools 2, the third distinct tool is counted as `other`.
      expect((yield* invoke(origin, "add", { a: 1, b: 2 }, ["alpha"])).status).toBe(200)
      expect((yield* invoke(origin, "fail", {}, ["alpha"])).status).toBe(200)
      // The bulkhead (1 call per server): a second call while `slow` runs is passed over.
      const slow = yield* Effect.fork(invoke(origin, "slow", { ms: 600 }, ["alpha"]))
      yield* Effect.sleep("150 millis")
      const busy = yield* invoke(origin, "echo", { message: "busy" }, ["alpha"])
      expect(busy.status).toBe(429)
      yield* slow.await

      // One /mcp session open.
      const client = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const client = new Client({ name: "metrics-test", version: "0.0.0" })
          await client.connect(
            new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: auth } })
          )
          return client
        }),
        (client) => Effect.promise(() => client.close())
      )
      expect(client.getServerVersion()?.name).toBe("att")

      const { text, families } = yield* scrape(origin)
      if (process.env.ATT_SHOW_METRICS) console.log(text)
      const calls = { server: "alpha", method: "tools/call" }
      expect(sampleOf(families, "att_calls_total", { ...calls, tool: "echo", outcome: "success" })).toBe(1)
      expect(sampleOf(families, "att_calls_total", { ...calls, tool: "add", outcome: "success" })).toBe(1)
      expect(sampleOf(families, "att_calls_total", { ...calls, tool: "other", outcome: "success" })).toBe(2)
      expect(samplesOf(families, "att_calls_total").some((sample) => sample.labels.tool === "fail")).toBe(false)
      expect(families.get("att_calls_total")?.type).toBe("counter")
      expect(sampleOf(families, "att_failovers_total", { server: "beta" })).toBe(1)
      expect(sampleOf(families, "att_bulkhead_rejections_total", { server: "alpha" })).toBe(1)
      expect(
        sampleOf(families, "att_calls_total", { server: "none", method: "tools/call", tool: "echo", outcome: "busy" })
      ).toBe(1)
      expect(sampleOf(families, "att_handshakes_total", { server: "alpha", outcome: "success" })).toBeGreaterThan(0)

      // Durations: a histogram per server attempt and end to end.
      expect(families.get("att_call_duration_seconds")?.type).toBe("histogram")
      const attemptCount = { scope: "attempt", server: "alpha", method: "tools/call" }
      expect(sampleOf(families, "att_call_duration_seconds_count", attemptCount)).toBe(4)
      expect(sampleOf(families, "att_call_duration_seconds_bucket", { ...attemptCount, le: "+Inf" })).toBe(4)
      expect(sampleOf(families, "att_call_duration_seconds_sum", attemptCount)).toBeGreaterThan(0.5) // `slow` 600 ms
      expect(
        sampleOf(families, "att_call_duration_seconds_count", { scope: "call", server: "alpha", method: "tools/call" })
      ).toBe(4)
      expect(sampleOf(families, "att_result_bytes_count", { server: "alpha" })).toBeGreaterThanOrEqual(4)

      // Status: beta left healthy; alpha is healthy.
      expect(sampleOf(families, "att_upstream_status", { server: "alpha", status: "healthy" })).toBe(1)
      expect(sampleOf(families, "att_upstream_status", { server: "alpha", status: "degraded" })).toBe(0)
      expect(sampleOf(families, "att_upstream_status", { server: "beta", status: "healthy" })).toBe(0)
      expect(families.get("att_upstream_status")?.type).toBe("gauge")
      expect(sampleOf(families, "att_mcp_sessions")).toBe(1)
      // 4 invocation events kept: most of the calls' events were dropped, and counted.
      expect(sampleOf(families, "att_events_dropped_total", { buffer: "invocation" })).toBeGreaterThan(10)

      // No secret and no URL in any label or line.
      for (const secret of [TOKEN, "upstream-key", alpha.url, beta.url, "127.0.0.1"]) expect(text).not.toContain(secret)
    })
  )
})
