/**
 * `npm run bench`: att's overhead against a floor, measured in one run.
 *   (a) the SDK client straight to the upstream;
 *   (b) the floor: a minimal node:http server forwarding each request to an already-connected SDK client;
 *   (c) att: POST /api/v1/mcp/invoke/tool on the real service (`att serve`);
 *   (d) an SDK client through att's MCP endpoint `/mcp` (same `att serve` process as (c)).
 * (b) and (c)/(d) each run in a process of their own, as a gateway does; this process only generates the load.
 * (a) and (d) each use one SDK client shared by all workers (one session), so they compare like for like.
 * For a Streamable HTTP and a stdio upstream, at concurrency 1 and 32, it prints calls/s, p50 and p99, the
 * ratios c/b (targets: throughput ≥ 0.8, p50 within 0.3 ms) and d/a (throughput; p50 as d−a, no target).
 * Not a test: numbers vary by machine.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import type { Upstream } from "@att/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { fetchWithoutSessionSignal } from "./fetchWithoutSessionSignal.js"

const ROOT = join(import.meta.dirname, "..")
const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")
const REQUESTS = { 1: 1_500, 32: 6_000 } as const
const WARMUP = 300
const ROUNDS = 3

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

/** The median of each figure over rounds (taken separately). */
const median = (stats: ReadonlyArray<Stats>): Stats => {
  const mid = (values: Array<number>) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0
  return { rps: mid(stats.map((s) => s.rps)), p50: mid(stats.map((s) => s.p50)), p99: mid(stats.map((s) => s.p99)) }
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
      : new StreamableHTTPClientTransport(new URL(upstream.url), { fetch: fetchWithoutSessionSignal })
  )
  return client
}

const echo = (client: Client) => () => client.callTool({ name: "echo", arguments: { message: "hi" } })

/** Start a server process and wait for the port it prints. */
const startProcess = async (args: ReadonlyArray<string>, pattern: RegExp): Promise<{ child: ChildProcess; port: string }> => {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT })
  const port = await new Promise<string>((resolve, reject) => {
    let seen = ""
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      const match = pattern.exec(seen)
      if (match?.[1] !== undefined) resolve(match[1])
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${seen}`)))
  })
  return { child, port }
}

/** (b): the floor server process. */
const startFloor = async (upstream: Upstream) => {
  const spec = upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url }
  const { child, port } = await startProcess([join(ROOT, "scripts", "bench-floor.ts"), JSON.stringify(spec)], /listening (\d+)/)
  return { child, url: `http://127.0.0.1:${port}/invoke/tool` }
}

/** (c): the real att service, started like a user starts it. */
const startAtt = async (upstream: Upstream) => {
  const dir = mkdtempSync(join(tmpdir(), "att-bench-"))
  const config = join(dir, "att.config.json")
  const entry = upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url }
  writeFileSync(config, JSON.stringify({ mcpServers: { bench: entry }, health_interval_seconds: 3600 }))
  const { child, port } = await startProcess(
    [join(ROOT, "packages", "gateway", "src", "cli", "main.ts"), "serve", "--config", config, "--port", "0"],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)/
  )
  return { child, url: `http://127.0.0.1:${port}/api/v1/mcp/invoke/tool`, mcp: `http://127.0.0.1:${port}/mcp` }
}

/** (d): an SDK client on att's `/mcp`, once it lists `echo` (att connects its upstreams in the background). */
const connectViaAtt = async (url: string): Promise<Client> => {
  const client = await connectClient({ transport: "streamable-http", url })
  for (let attempt = 0; attempt < 100; attempt++) {
    const { tools } = await client.listTools()
    if (tools.some((tool) => tool.name === "echo")) return client
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not list echo within 10 s`)
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
  const floor = await startFloor(upstream)
  const att = await startAtt(upstream)
  const viaAtt = await connectViaAtt(att.mcp)
  const results: Array<string> = []
  for (const concurrency of [1, 32] as const) {
    const total = REQUESTS[concurrency]
    // Interleaved rounds, the median of each: a machine that slows down mid-run weighs on every path alike.
    const rounds: Array<[Stats, Stats, Stats, Stats]> = []
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push([
        await measure(concurrency, total / ROUNDS, echo(direct)),
        await measure(concurrency, total / ROUNDS, postJson(floor.url)),
        await measure(concurrency, total / ROUNDS, postJson(att.url)),
        await measure(concurrency, total / ROUNDS, echo(viaAtt))
      ])
    }
    const pick = (path: 0 | 1 | 2 | 3) => median(rounds.map((round) => round[path]))
    const [a, b, c, d] = [pick(0), pick(1), pick(2), pick(3)]
    results.push(
      `${kind}, concurrency ${concurrency}:`,
      row("(a) SDK client direct", a),
      row("(b) floor: node:http + SDK", b),
      row("(c) att invoke/tool", c),
      row("(d) att /mcp, SDK client", d),
      `  ratio c/b: throughput ${(c.rps / b.rps).toFixed(2)} (target >= 0.80), p50 +${(c.p50 - b.p50).toFixed(3)} ms (target <= 0.300)`,
      `  ratio d/a: throughput ${(d.rps / a.rps).toFixed(2)}, p50 +${(d.p50 - a.p50).toFixed(3)} ms`
    )
  }
  await viaAtt.close()
  att.child.kill("SIGTERM")
  floor.child.kill("SIGTERM")
  await direct.close()
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
