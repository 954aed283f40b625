/**
 * `npm run bench:stack`: what the HTTP stack costs per request before att does any work of its own. One GET answering
 * a small JSON object, 32 callers on keep-alive connections, each server in its own process:
 *   node:http alone; `@effect/platform` (`HttpLayerRouter` on `NodeHttpServer`, one route) without and with the
 *   server's span per request; and att itself, built, on `GET /api/v1/health` (its guard, router, HttpApi
 *   endpoint and bearer middleware, nothing else).
 * It prints calls/s, p50 and the CPU time each server process spends per request (Linux: from /proc), and each
 * against node:http. Rounds take turns, so every server sees the same moments of a busy machine. Not a test.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ROOT, type Sample, cpuSeconds, measure, pooled, startProcess } from "./bench-support.js"

const CONCURRENCY = 32
const ROUNDS = 6
const CALLS_PER_ROUND = 4_000

const getJson = (url: string) => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  return () =>
    new Promise<void>((resolve, reject) => {
      request(url, { agent }, (response) => {
        response.resume()
        response.on("end", () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`${url}: status ${response.statusCode}`))
        )
      })
        .on("error", reject)
        .end()
    })
}

if (process.env.BENCH_SKIP_BUILD !== "1")
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" })

const platform = (mode: string) => startProcess([join(ROOT, "scripts", "bench-platform.ts"), mode], /listening (\d+)/)
const dir = mkdtempSync(join(tmpdir(), "att-bench-stack-"))
writeFileSync(join(dir, "att.config.json"), JSON.stringify({ mcpServers: {} }))
const att = await startProcess(
  [
    join(ROOT, "packages", "gateway", "dist", "cli", "main.js"),
    "serve",
    "--config",
    join(dir, "att.config.json"),
    "--ephemeral"
  ],
  /Listening on http:\/\/127\.0\.0\.1:(\d+)/,
  []
).catch(() => undefined)
const servers = [
  { label: "node:http", started: await platform("node"), path: "/ok" },
  { label: "@effect/platform, no span", started: await platform("effect"), path: "/ok" },
  { label: "@effect/platform, span", started: await platform("effect-traced"), path: "/ok" },
  ...(att === undefined ? [] : [{ label: "att GET /api/v1/health", started: att, path: "/api/v1/health" }])
].map((server) => ({
  ...server,
  call: getJson(`http://127.0.0.1:${server.started.port}${server.path}`),
  samples: [] as Array<Sample>,
  cpu: 0
}))

for (const server of servers) await measure(CONCURRENCY, 1_000, server.call, 1)
for (let round = 0; round < ROUNDS; round++) {
  for (const server of servers) {
    const before = cpuSeconds(server.started.child.pid)
    server.samples.push(await measure(CONCURRENCY, CALLS_PER_ROUND, server.call))
    server.cpu += cpuSeconds(server.started.child.pid) - before
  }
}
const perCall = (cpu: number) => (cpu / (ROUNDS * CALLS_PER_ROUND)) * 1e6
const floor = perCall(servers[0]?.cpu ?? 0)
console.log(`node ${process.version}, ${CONCURRENCY} callers, ${ROUNDS} rounds of ${CALLS_PER_ROUND} GETs per server`)
for (const server of servers) {
  const stats = pooled(server.samples)
  const cpu = perCall(server.cpu)
  console.log(
    `  ${server.label.padEnd(28)} ${stats.rps.toFixed(0).padStart(7)} calls/s   p50 ${stats.p50.toFixed(3)} ms   CPU ${cpu.toFixed(0).padStart(4)} µs per request (+${(cpu - floor).toFixed(0)} over node:http)`
  )
}
process.exit(0)
