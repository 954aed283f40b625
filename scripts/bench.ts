/**
 * `npm run bench`: att's overhead against a floor, measured in one run.
 *   (a) the SDK client straight to the upstream;
 *   (b) the floor: a minimal node:http server forwarding each request to an already-connected SDK client;
 *   (c) att: POST /api/v1/mcp/invoke/tool on the real service (SDK transport), in this process like (b).
 * For a Streamable HTTP and a stdio upstream, at concurrency 1 and 32, it prints calls/s, p50 and p99, and the
 * ratios c/b (targets: throughput ≥ 0.8, p50 within 0.3 ms). Not a test: numbers vary by machine.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import type { Upstream } from "@att/core"
import { decodeConfig, gatewayRoutes, interceptRequests, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Either, Layer, Logger, LogLevel, ManagedRuntime } from "effect"

const ROOT = join(import.meta.dirname, "..")
const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")
const REQUESTS = { 1: 1_500, 32: 6_000 } as const
const WARMUP = 300

interface Stats {
  readonly rps: number
  readonly p50: number
  readonly p99: number
}

/** Run `total` calls with `concurrency` workers; latencies in ms. */
const measure = async (concurrency: number, total: number, call: () => Promise<unknown>): Promise<Stats> => {
  for (let i = 0; i < WARMUP; i++) await call()
  const latencies: Array<number> = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++
        const t0 = performance.now()
        await call()
        latencies.push(performance.now() - t0)
      }
    })
  )
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) }
}

const startHttpUpstream = async (): Promise<{ child: ChildProcess; url: string }> => {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, "bench", "0"], { stdio: ["ignore", "pipe", "inherit"] })
  const port = await new Promise<string>((resolve) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString())
      if (match?.[1] !== undefined) resolve(match[1])
    })
  })
  return { child, url: `http://127.0.0.1:${port}/mcp` }
}

const connectClient = async (upstream: Upstream): Promise<Client> => {
  const client = new Client({ name: "bench", version: "0.0.0" })
  await client.connect(
    upstream.transport === "stdio"
      ? new StdioClientTransport({ command: upstream.command, args: [...(upstream.args ?? [])], stderr: "ignore" })
      : new StreamableHTTPClientTransport(new URL(upstream.url))
  )
  return client
}

const echo = (client: Client) => () => client.callTool({ name: "echo", arguments: { message: "hi" } })

/** (b): the least an HTTP front can do — parse, forward on a connected client, answer. */
const startFloor = async (client: Client) => {
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { tool_name: string; arguments: Record<string, unknown> }
      client.callTool({ name: body.tool_name, arguments: body.arguments }).then(
        (result) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify({ result }))
        },
        (error: unknown) => {
          res.writeHead(503, { "content-type": "application/json" })
          res.end(JSON.stringify({ error: String(error) }))
        }
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/invoke/tool` }
}

/** (c): the real att service in this process. */
const startAtt = async (upstream: Upstream) => {
  const config = Either.getOrThrow(decodeConfig({ mcpServers: { bench: upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url } } }, "bench"))
  const server = createServer()
  const layer = gatewayRoutes(config, interceptRequests(server)).pipe(
    Layer.provideMerge(NodeHttpServer.layer(() => server, { host: "127.0.0.1", port: 0 })),
    Layer.provideMerge(serviceCore(config, null, SdkTransport.layer())),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  const runtime = ManagedRuntime.make(layer)
  const address = await runtime.runPromise(HttpServer.addressWith((address) => Effect.succeed(address)))
  const port = address._tag === "TcpAddress" ? address.port : 0
  return { runtime, url: `http://127.0.0.1:${port}/api/v1/mcp/invoke/tool` }
}

const postJson = (url: string) => async () => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })
  })
  if (response.status !== 200) throw new Error(`status ${response.status}`)
  return response.json()
}

const row = (label: string, stats: Stats) =>
  `  ${label.padEnd(26)} ${stats.rps.toFixed(0).padStart(8)} calls/s   p50 ${stats.p50.toFixed(3).padStart(7)} ms   p99 ${stats.p99.toFixed(3).padStart(7)} ms`

const benchUpstream = async (kind: string, upstream: Upstream) => {
  const direct = await connectClient(upstream)
  const forwarding = await connectClient(upstream)
  const floor = await startFloor(forwarding)
  const att = await startAtt(upstream)
  const results: Array<string> = []
  for (const concurrency of [1, 32] as const) {
    const total = REQUESTS[concurrency]
    const a = await measure(concurrency, total, echo(direct))
    const b = await measure(concurrency, total, postJson(floor.url))
    const c = await measure(concurrency, total, postJson(att.url))
    results.push(
      `${kind}, concurrency ${concurrency}:`,
      row("(a) SDK client direct", a),
      row("(b) floor: node:http + SDK", b),
      row("(c) att invoke/tool", c),
      `  ratio c/b: throughput ${(c.rps / b.rps).toFixed(2)} (target >= 0.80), p50 +${(c.p50 - b.p50).toFixed(3)} ms (target <= 0.300)`
    )
  }
  await att.runtime.dispose()
  floor.server.close()
  await direct.close()
  await forwarding.close()
  return results
}

const http = await startHttpUpstream()
const lines = [
  ...(await benchUpstream("streamable-http upstream", { transport: "streamable-http", url: http.url })),
  ...(await benchUpstream("stdio upstream", { transport: "stdio", command: process.execPath, args: ["--import", "tsx", FIXTURE, "bench", "stdio"] }))
]
http.child.kill("SIGTERM")
process.stdout.write(`${lines.join("\n")}\n`)
process.exit(0)
