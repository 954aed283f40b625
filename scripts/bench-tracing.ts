/**
 * `npm run bench:tracing`: what always-on tracing costs, rows (c) and (e) of `npm run bench` alone, against a
 * Streamable HTTP upstream: att built (`npm run build` first) with tracing off (c) and with every span exported over
 * OTLP/HTTP to a receiver in this process (e), in short rounds that take turns, at concurrency 1 and 32. Prints
 * calls/s, p50 and att's CPU per call (from /proc) for each, and e/c. `BENCH_TRACING_PROFILE=1` runs both under
 * `--cpu-prof` (the profiles land in `BENCH_TRACING_PROFILE_DIR`, default the working directory).
 * `BENCH_TRACING_CONCURRENCY` (default `1,32`), `BENCH_TRACING_ROUNDS` (default 10) and `BENCH_TRACING_CALLS` (calls per round, default 200 at c=1, 1000 at c=32).
 * `BENCH_TRACING_GAP_MS`: an idle pause before each round (the full bench's servers idle between their rounds).
 * `BENCH_TRACING_EXTRA_ENV` (JSON) adds (e′): (e) with more variables, for an A/B of a switch.
 * Not a test: numbers vary by machine.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { Agent as HttpAgent, request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  ROOT,
  type Sample,
  cpuSeconds,
  measure,
  pooled,
  startProcess,
  startHttpUpstream,
  startOtlpSink
} from "./bench-support.js"

const BUILT_CLI = join(ROOT, "packages", "gateway", "dist", "cli", "main.js")
const ROUNDS = Number(process.env.BENCH_TRACING_ROUNDS ?? 10)
const profile = process.env.BENCH_TRACING_PROFILE === "1"
const GAP_MS = Number(process.env.BENCH_TRACING_GAP_MS ?? 0)

const startAtt = async (upstreamUrl: string, env: Readonly<Record<string, string>>, nodeArgs: Array<string>) => {
  const dir = mkdtempSync(join(tmpdir(), "att-bench-tracing-"))
  const config = join(dir, "att.config.json")
  writeFileSync(config, JSON.stringify({ mcpServers: { bench: { url: upstreamUrl } }, health_interval_seconds: 3600 }))
  const { child, port } = await startProcess(
    [BUILT_CLI, "serve", "--config", config, "--port", "0", "--ephemeral"],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)/,
    nodeArgs,
    env
  )
  return { child, url: `http://127.0.0.1:${port}/api/v1/mcp/invoke/tool` }
}

const BODY = JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })
/** Calls that did not succeed, by path and reason (a non-200 status, a connection error): counted, not fatal. */
const failed = new Map<string, number>()
const fail = (key: string) => failed.set(key, (failed.get(key) ?? 0) + 1)

const postJson = (url: string, concurrency: number, label: string) => {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency })
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) }
  const post = (retry: boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      const request = httpRequest(url, { method: "POST", agent, headers }, (response) => {
        response.resume()
        response.on("end", () => {
          if (response.statusCode !== 200) fail(`${label}: status ${response.statusCode}`)
          resolve()
        })
      })
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (retry && request.reusedSocket && error.code === "ECONNRESET") return resolve(post(false))
        fail(`${label}: ${error.code ?? error.message}`)
        resolve()
      })
      request.end(BODY)
    })
  return () => post(true)
}

const upstream = await startHttpUpstream()
const otlp = await startOtlpSink()
const TRACING_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
  OTEL_TRACES_SAMPLER: "always_on",
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_BSP_MAX_QUEUE_SIZE: "65536",
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "2048"
}
/** An A/B switch: `BENCH_TRACING_EXTRA_ENV='{"NAME":"value"}'` adds a row (e′), (e) with these variables too. */
const extraEnv =
  process.env.BENCH_TRACING_EXTRA_ENV === undefined
    ? undefined
    : (JSON.parse(process.env.BENCH_TRACING_EXTRA_ENV) as Record<string, string>)
const profileArgs = profile ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_TRACING_PROFILE_DIR ?? "."}`] : []
const servers = [
  { label: "(c) tracing off", ...(await startAtt(upstream.url, {}, profileArgs)) },
  { label: "(e) always-on tracing", ...(await startAtt(upstream.url, TRACING_ENV, profileArgs)) },
  ...(extraEnv === undefined
    ? []
    : [
        {
          label: "(e′) (e) + extra env",
          ...(await startAtt(upstream.url, { ...TRACING_ENV, ...extraEnv }, profileArgs))
        }
      ])
]
const lines: Array<string> = [
  `node ${process.version}, rounds ${ROUNDS}; pids: ${servers.map((server) => `${server.label} ${server.child.pid}`).join(", ")}`
]
const concurrencies = (process.env.BENCH_TRACING_CONCURRENCY ?? "1,32").split(",").map(Number)
for (const concurrency of concurrencies) {
  const calls = Number(process.env.BENCH_TRACING_CALLS ?? (concurrency === 1 ? 200 : 1000))
  const paths = servers.map((server) => ({
    ...server,
    call: postJson(server.url, concurrency, `c=${concurrency} ${server.label}`),
    samples: [] as Array<Sample>,
    cpu: 0
  }))
  for (const path of paths) await measure(concurrency, 300, path.call, 1.5)
  for (let round = 0; round < ROUNDS; round++)
    for (const path of paths) {
      // Idle between rounds, as in `npm run bench`, where each server waits while eight other paths run.
      if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS))
      const before = cpuSeconds(path.child.pid)
      path.samples.push(await measure(concurrency, calls, path.call))
      path.cpu += cpuSeconds(path.child.pid) - before
    }
  const stats = paths.map((path) => ({ ...pooled(path.samples), cpu: (path.cpu / (calls * ROUNDS)) * 1e6 }))
  lines.push(`concurrency ${concurrency}:`)
  paths.forEach((path, i) => {
    const s = stats[i]
    if (s !== undefined)
      lines.push(
        `  ${path.label.padEnd(24)} ${s.rps.toFixed(0).padStart(6)} calls/s   p50 ${s.p50.toFixed(3)} ms   CPU ${s.cpu.toFixed(0)} µs/call`
      )
  })
  const [c, ...traced] = stats
  traced.forEach((e, i) => {
    if (c !== undefined)
      lines.push(
        `  ${i === 0 ? "e" : "e′"}/c throughput ${(e.rps / c.rps).toFixed(2)}, CPU per call ${i === 0 ? "e" : "e′"} − c ${(e.cpu - c.cpu).toFixed(0)} µs`
      )
  })
}
lines.push(`spans received: ${otlp.received.spans} in ${otlp.received.exports} exports (${otlp.received.bytes} bytes)`)
lines.push(
  failed.size === 0 ? "failed calls: none" : `failed calls: ${[...failed].map(([key, n]) => `${key}: ${n}`).join("; ")}`
)
for (const server of servers) server.child.kill("SIGINT")
await new Promise((resolve) => setTimeout(resolve, 1500))
upstream.child.kill("SIGTERM")
otlp.close()
process.stdout.write(`${lines.join("\n")}\n`)
process.exit(0)
