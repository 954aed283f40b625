/**
 * `npx tsx --conditions=att-source scripts/bench-persist.ts`: what persistence costs an invocation, rows (c), (g) and (h) of `npm run bench` alone.
 *   (c) att `--ephemeral` (state in memory), (g) att on libSQL in a temp data dir, (h) att on a throwaway Postgres 15
 *   (root with Debian's postgresql only), all the built CLI on plain node against one Streamable HTTP upstream.
 * (c′) is a second in-memory process started as (c): c′/c shows how far two identical processes differ on this machine.
 * At 1 and 32 callers, rounds in turn (c, c′, g, h, c, ...), it prints calls/s, p50, p99, the CPU time each att process
 * spends per call (from /proc; its main thread's share apart, so libSQL's writer thread shows; and the whole machine's, so Postgres's own work shows) and g/c, h/c with the events each dropped (target ≥ 0.95, zero dropped).
 * `BENCH_PERSIST_ROUNDS` scales the rounds (default 1), `BENCH_PERSIST_CONCURRENCY` picks them (default `1,32`); `ATT_BENCH_NODE_ARGS=--cpu-prof` profiles every att.
 * Run `npm run build` first. Not a test: numbers vary by machine.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { Agent as HttpAgent, request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type TestPostgres, startPostgres } from "../test/support/postgres.js"
import {
  ROOT,
  type Sample,
  cpuSeconds,
  machineBusySeconds,
  measure,
  pooled,
  startProcess,
  startHttpUpstream
} from "./bench-support.js"

const BUILT_CLI = join(ROOT, "packages", "gateway", "dist", "cli", "main.js")
const SCALE = Number(process.env.BENCH_PERSIST_ROUNDS ?? "1")
const PLAN = { 1: { calls: 2_000 * SCALE, rounds: 10 * SCALE }, 32: { calls: 8_000 * SCALE, rounds: 8 * SCALE } }
const ECHO_BODY = JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })
/** Calls that did not answer 200, by row and reason. */
const failures = new Map<string, number>()
const fail = (why: string) => failures.set(why, (failures.get(why) ?? 0) + 1)

const startAtt = async (upstreamUrl: string, store: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "att-bench-persist-"))
  const config = join(dir, "att.config.json")
  writeFileSync(config, JSON.stringify({ mcpServers: { bench: { url: upstreamUrl } }, health_interval_seconds: 3600 }))
  const { child, port } = await startProcess(
    [BUILT_CLI, "serve", "--config", config, "--port", "0", ...store.map((arg) => arg.replace("$DIR", dir))],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)/,
    (process.env.ATT_BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== ""),
    env
  )
  let dropped = 0
  const onLog = (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/event journal: (\d+) events dropped/g)) dropped += Number(match[1])
  }
  child.stdout?.on("data", onLog)
  child.stderr?.on("data", onLog)
  return { child, url: `http://127.0.0.1:${port}/api/v1/mcp/invoke/tool`, dropped: () => dropped }
}

const postJson = (url: string, concurrency: number, label: string) => {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency })
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(ECHO_BODY) }
  const post = (retry: boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      const request = httpRequest(url, { method: "POST", agent, headers }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => {
          if (response.statusCode !== 200)
            fail(`${label}: ${response.statusCode} ${Buffer.concat(chunks).toString("utf8").slice(0, 120)}`)
          resolve()
        })
      })
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (retry && request.reusedSocket && error.code === "ECONNRESET") return resolve(post(false))
        fail(`${label}: ${error.code ?? error.message}`)
        resolve()
      })
      request.end(ECHO_BODY)
    })
  return () => post(true)
}

/** CPU seconds of a process's main thread alone (Linux; 0 when unknown): its other threads (libSQL's writer) apart. */
const mainThreadCpu = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

const upstream = await startHttpUpstream()
const postgres: TestPostgres | undefined =
  process.getuid?.() === 0 && existsSync("/usr/lib/postgresql/15/bin/pg_ctl") ? await startPostgres() : undefined
const atts = [
  { label: "(c) in memory", att: await startAtt(upstream.url, ["--ephemeral"]) },
  // A second in-memory process: c′/c is what two identical processes differ by on this machine (the noise floor).
  { label: "(c′) in memory", att: await startAtt(upstream.url, ["--ephemeral"]) },
  { label: "(g) libSQL", att: await startAtt(upstream.url, ["--data-dir", "$DIR/data"]) },
  ...(postgres === undefined
    ? []
    : [{ label: "(h) Postgres", att: await startAtt(upstream.url, [], { ATT_DATABASE_URL: postgres.database("bp") }) }])
]
console.log(`node ${process.version}, rounds ${PLAN[1].rounds} (c=1) / ${PLAN[32].rounds} (c=32)`)
const CONCURRENCIES = (process.env.BENCH_PERSIST_CONCURRENCY ?? "1,32")
  .split(",")
  .map(Number)
  .filter((n): n is 1 | 32 => n === 1 || n === 32)
for (const concurrency of CONCURRENCIES) {
  const { calls, rounds } = PLAN[concurrency]
  const paths = atts.map((row) => ({
    ...row,
    call: postJson(row.att.url, concurrency, `${row.label}, c=${concurrency}`),
    samples: [] as Array<Sample>,
    cpu: 0,
    mainCpu: 0,
    machineCpu: 0
  }))
  for (const path of paths) await measure(concurrency, 300, path.call, 1.5)
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) {
      const before = cpuSeconds(path.att.child.pid)
      const mainBefore = mainThreadCpu(path.att.child.pid)
      const machineBefore = machineBusySeconds()
      path.samples.push(await measure(concurrency, calls / rounds, path.call))
      path.cpu += cpuSeconds(path.att.child.pid) - before
      path.mainCpu += mainThreadCpu(path.att.child.pid) - mainBefore
      path.machineCpu += machineBusySeconds() - machineBefore
    }
  }
  const stats = paths.map((path) => ({ ...path, stats: pooled(path.samples) }))
  const memory = stats[0]
  console.log(`concurrency ${concurrency}:`)
  for (const row of stats) {
    const ratio =
      memory === undefined || row === memory ? "" : `  ratio ${(row.stats.rps / memory.stats.rps).toFixed(2)}`
    console.log(
      `  ${row.label.padEnd(15)} ${row.stats.rps.toFixed(0).padStart(6)} calls/s  p50 ${row.stats.p50.toFixed(3)} ms  p99 ${row.stats.p99.toFixed(3)} ms  CPU/call ${((row.cpu / calls) * 1e6).toFixed(0)} µs (main thread ${((row.mainCpu / calls) * 1e6).toFixed(0)}, machine ${((row.machineCpu / calls) * 1e6).toFixed(0)})  dropped ${row.att.dropped()}${ratio}`
    )
  }
}
console.log(failures.size === 0 ? "failed calls: none" : "failed calls:")
for (const [why, count] of failures) console.log(`  ${count} × ${why}`)
for (const row of atts) row.att.child.kill("SIGTERM")
upstream.child.kill("SIGTERM")
await new Promise((resolve) => setTimeout(resolve, 500))
postgres?.stop()
process.exit(0)
