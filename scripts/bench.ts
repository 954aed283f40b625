/**
 * `npm run bench`: att's overhead against a floor, measured in one run.
 *   (a) the SDK client straight to the upstream;
 *   (b) the floor: a minimal node:http server forwarding each request to an already-connected SDK client;
 *   (b′) the floor with each forward in an Effect fiber and nothing else: Effect's own share of (c)'s overhead;
 *   (c) att: POST /api/v1/mcp/invoke/tool on the real service, run as `npm start` runs it: built once with
 *       `npm run build`, then `node packages/gateway/dist/cli/main.js serve` (no tsx, no source conditions);
 *   (d) an SDK client through att's MCP endpoint `/mcp`, on an `att serve` process of its own (as (c) is started);
 *   (e) (c) with always-on tracing exported over OTLP/HTTP to a receiver on loopback (in this process), metrics on;
 *   (f) (c) as built without metrics and tracing (`bench-baseline.ts`: the commit before they came);
 *   (g) att as (c) with its state on disk (libSQL in a temp data dir: every invocation's events journaled), and
 *   (h) with its state in Postgres (a throwaway postgresql 15 cluster; only when run as root with Debian's
 *       postgresql installed).
 * (c) has metrics on, tracing off and its state in memory (`--ephemeral`): c/f is what the off path costs (target
 * ≥ 0.98), e/f what metrics and always-on tracing cost together (target ≥ 0.95), g/c and h/c what persistence costs
 * (target ≥ 0.95, events dropped counted from att's log). Then the registration p50 on libSQL (200 sequential
 * `POST /servers`, each committed).
 * (b), (b′) and each att row run in a process of their own (`BENCH_ATT_PROCESSES` for more), as a gateway does;
 * this process only generates the load.
 * (a) and (d) each use one SDK client shared by all workers (one session), so they compare like for like.
 * For a Streamable HTTP and a stdio upstream, at concurrency 1 and 32, it prints calls/s, p50 and p99, the
 * ratios c/b, b′/b and c/b′ (how c/b splits between Effect and att), d/a, and the CPU time the floor's and att's
 * processes spend per call (Linux: from /proc), each against its target (met / NOT met). Every path gets an untimed
 * warm-up before its first timed round; a non-200 answer or a failed call is counted and shown, never fatal.
 * `BENCH_UPSTREAMS=stdio` (or `http`) runs one upstream only; `BENCH_SKIP_BUILD=1` skips `npm run build`.
 * Not a test: numbers vary by machine.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Agent as HttpAgent, request as httpRequest } from "node:http"
import type { Upstream } from "@att/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { baselineCli } from "./bench-baseline.js"
import {
  ROOT,
  type Sample,
  type Stats,
  cpuSeconds,
  measure,
  pooled,
  startProcess,
  startHttpUpstream,
  startOtlpSink
} from "./bench-support.js"
import { fetchWithoutSessionSignal } from "./fetchWithoutSessionSignal.js"
import { type TestPostgres, startPostgres } from "../test/support/postgres.js"

const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")
const BUILT_CLI = join(ROOT, "packages", "gateway", "dist", "cli", "main.js")
/**
 * Calls per path and concurrency, spread over `rounds` short rounds that take turns (a, b, b′, c, d, a, ...). At 32
 * callers every process competes for the same cores: 16 rounds, since with 8 two identical att processes read up to 5 %
 * apart, the margin of the persistence rows' target.
 */
const PLAN = { 1: { calls: 2_000, rounds: 20 }, 32: { calls: 16_000, rounds: 16 } } as const
/** Untimed load per path before its first timed round: at least this many calls and this many seconds. */
const WARMUP = { calls: 300, seconds: 1.5 } as const
/** Calls that did not succeed (a non-200 answer, a refused or reset connection, a failed SDK call), by path. */
const failures = new Map<string, number>()
const fail = (path: string, why: string) => failures.set(`${path}: ${why}`, (failures.get(`${path}: ${why}`) ?? 0) + 1)

const connectClient = async (upstream: Upstream): Promise<Client> => {
  const client = new Client({ name: "bench", version: "0.0.0" })
  await client.connect(
    upstream.transport === "stdio"
      ? new StdioClientTransport({ command: upstream.command, args: [...(upstream.args ?? [])], stderr: "ignore" })
      : new StreamableHTTPClientTransport(new URL(upstream.url), { fetch: fetchWithoutSessionSignal })
  )
  return client
}

const echo = (client: Client, path: string) => () =>
  client.callTool({ name: "echo", arguments: { message: "hi" } }).then(
    (result) => (result.isError === true ? fail(path, "isError") : undefined),
    (error: unknown) => fail(path, error instanceof Error ? error.message.slice(0, 60) : String(error))
  )

/** (b): the floor server process; (b′) with `fiber`: the same, each forward in an Effect fiber of its own. */
const startFloor = async (upstream: Upstream, mode: "plain" | "fiber" = "plain") => {
  const spec =
    upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url }
  const args = [join(ROOT, "scripts", "bench-floor.ts"), JSON.stringify(spec), ...(mode === "fiber" ? ["fiber"] : [])]
  const { child, port } = await startProcess(args, /listening (\d+)/)
  return { child, url: `http://127.0.0.1:${port}/invoke/tool` }
}

/**
 * (c): the real att service, started as `npm start` starts it: the built CLI on plain node (`npm start` is
 * `npm run build` then `node packages/gateway/dist/cli/main.js serve`; its npm and sh wrappers are idle while
 * serving). `ATT_BENCH_NODE_ARGS` adds node flags, e.g. `--cpu-prof` to profile att under the load.
 */
type Persistence = "ephemeral" | "libsql" | { readonly postgres: string }

/** Events att reported dropped (its journal's log line), per process. */
const droppedEvents = new Map<number, number>()

interface AttRun {
  /** The CLI to run: the built one, or the baseline build (`bench-baseline.ts`, which predates the state flags). */
  readonly cli?: string
  readonly env?: Readonly<Record<string, string>>
  readonly persistence?: Persistence
}

const startAtt = async (upstream: Upstream, run: AttRun = {}) => {
  const { cli = BUILT_CLI, env = {}, persistence = "ephemeral" } = run
  const dir = mkdtempSync(join(tmpdir(), "att-bench-"))
  const config = join(dir, "att.config.json")
  const entry =
    upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url }
  writeFileSync(config, JSON.stringify({ mcpServers: { bench: entry }, health_interval_seconds: 3600 }))
  const store =
    persistence === "ephemeral" ? ["--ephemeral"] : persistence === "libsql" ? ["--data-dir", join(dir, "data")] : []
  const { child, port } = await startProcess(
    [cli, "serve", "--config", config, "--port", "0", ...(cli === BUILT_CLI ? store : [])],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)/,
    (process.env.ATT_BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== ""),
    typeof persistence === "object" ? { ...env, ATT_DATABASE_URL: persistence.postgres } : env
  )
  const pid = child.pid ?? 0
  const onLog = (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/event journal: (\d+) events dropped/g))
      droppedEvents.set(pid, (droppedEvents.get(pid) ?? 0) + Number(match[1]))
  }
  child.stdout?.on("data", onLog)
  child.stderr?.on("data", onLog)
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/api/v1/mcp/invoke/tool`,
    mcp: `http://127.0.0.1:${port}/mcp`
  }
}

type StartedAtt = Awaited<ReturnType<typeof startAtt>>

/**
 * `BENCH_ATT_PROCESSES=N` runs each att row on N processes (default 1), each round's calls shared by them: two
 * identical att processes read up to 10 % apart for the whole of a run (JIT and heap layout, the cores they land
 * on), more than the 5 % a row's target allows, so with one process a row measures its process's luck too. With 3,
 * the ratios between att rows are steadier, but every att row's CPU per call reads about twice as high (15 att
 * processes on two cores; not yet explained), so the figures against the floor are not comparable: not the default.
 */
const ATT_PROCESSES = Math.max(1, Number(process.env.BENCH_ATT_PROCESSES ?? 1))
const startAtts = async (upstream: Upstream, run: AttRun | ((index: number) => AttRun) = {}) => {
  const started: Array<StartedAtt> = []
  for (let index = 0; index < ATT_PROCESSES; index++)
    started.push(await startAtt(upstream, typeof run === "function" ? run(index) : run))
  return started
}

/** A throwaway Postgres for (f), when this machine can run one (root, Debian's postgresql 15). */
const benchPostgres = async (): Promise<TestPostgres | undefined> => {
  if (process.getuid?.() !== 0 || !existsSync("/usr/lib/postgresql/15/bin/pg_ctl")) return undefined
  return startPostgres()
}

/** Registration latency on libSQL: `count` sequential `POST /servers`, each answered once committed. */
const registrationLatency = async (base: string, count: number): Promise<Stats> => {
  const times: Array<number> = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const response = await fetch(`${base}/api/v1/mcp/servers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `reg-${i}`, url: "http://127.0.0.1:9/mcp", transport: "streamable-http" })
    })
    await response.arrayBuffer()
    if (response.status !== 201) fail("registration", `status ${response.status}`)
    times.push(performance.now() - started)
  }
  times.sort((x, y) => x - y)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0
  return { rps: 0, p50: at(0.5), p99: at(0.99) }
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

const ECHO_BODY = JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })

/**
 * POST the echo call with node:http on keep-alive connections (one per worker): a light load generator, so the
 * bench process takes as little as it can of the CPU the servers share. A connection the server closed while it was
 * idle (its keep-alive timeout, while other paths ran) is retried once on a new one, as Node's documentation advises.
 * A non-200 answer (a 503 under load) or a connection error is counted against `path`, and the load goes on.
 */
const postJson = (url: string, concurrency: number, path: string) => {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency })
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(ECHO_BODY) }
  const post = (retry: boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      const request = httpRequest(url, { method: "POST", agent, headers }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => {
          if (response.statusCode !== 200) fail(path, `status ${response.statusCode}`)
          else JSON.parse(Buffer.concat(chunks).toString("utf8"))
          resolve()
        })
      })
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (retry && request.reusedSocket && error.code === "ECONNRESET") return resolve(post(false))
        fail(path, error.code ?? error.message)
        resolve()
      })
      request.end(ECHO_BODY)
    })
  return () => post(true)
}

/** A difference in ms with its sign. */
const signed = (ms: number) => `${ms < 0 ? "−" : "+"}${Math.abs(ms).toFixed(3)}`

const row = (label: string, stats: Stats) =>
  `  ${label.padEnd(26)} ${stats.rps.toFixed(0).padStart(8)} calls/s   p50 ${stats.p50.toFixed(3).padStart(7)} ms   p99 ${stats.p99.toFixed(3).padStart(7)} ms`

const verdict = (ok: boolean) => (ok ? "met" : "NOT met")

const baseline = baselineCli()
const otlp = await startOtlpSink()
/** Tracing on, every span sampled, exported in batches often enough that the queue keeps up with the load. */
const TRACING_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
  OTEL_TRACES_SAMPLER: "always_on",
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_BSP_MAX_QUEUE_SIZE: "65536",
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "2048"
}

const benchUpstream = async (kind: string, upstream: Upstream, postgres: TestPostgres | undefined) => {
  const direct = await connectClient(upstream)
  const floor = await startFloor(upstream)
  const fiberFloor = await startFloor(upstream, "fiber")
  const att = await startAtts(upstream)
  const traced = await startAtts(upstream, { env: TRACING_ENV })
  const without = await startAtts(upstream, { cli: baseline.cli })
  const onDisk = await startAtts(upstream, { persistence: "libsql" })
  const inPostgres =
    postgres === undefined
      ? undefined
      : await startAtts(upstream, (i) => ({
          persistence: { postgres: postgres.database(`bench_${kind.replace(/\W+/g, "_")}_${i}`) }
        }))
  // (d) has a process of its own: (c)'s process, had it also served (d)'s rounds, would be busier and warmer than the
  // att rows compared with it ((e) to (h) serve their own rounds only).
  const mcpAtt = await startAtt(upstream)
  const viaAtt = await connectViaAtt(mcpAtt.mcp)
  const results: Array<string> = []
  for (const concurrency of [1, 32] as const) {
    const { calls, rounds } = PLAN[concurrency]
    const tag = (path: string) => `${kind}, c=${concurrency}, ${path}`
    // Each path, with the server process behind (b), (b′) and (c) whose CPU time their rounds are charged with.
    const attRow = (processes: ReadonlyArray<StartedAtt>, label: string) => ({
      calls: processes.map((one) => postJson(one.url, concurrency, tag(label))),
      servers: processes.map((one) => one.child.pid)
    })
    const paths = [
      { calls: [echo(direct, tag("(a)"))], servers: [undefined] },
      { calls: [postJson(floor.url, concurrency, tag("(b)"))], servers: [floor.child.pid] },
      { calls: [postJson(fiberFloor.url, concurrency, tag("(b′)"))], servers: [fiberFloor.child.pid] },
      attRow(att, "(c)"),
      { calls: [echo(viaAtt, tag("(d)"))], servers: [undefined] },
      attRow(traced, "(e)"),
      attRow(without, "(f)"),
      attRow(onDisk, "(g)"),
      ...(inPostgres === undefined ? [] : [attRow(inPostgres, "(h)")])
    ].map((path) => ({ ...path, samples: [] as Array<Sample>, cpu: 0, done: 0 }))
    // Untimed warm-up before the first timed round (JIT, connection pools, the upstream): a cold first round reads
    // far below the later ones.
    for (const path of paths)
      for (const call of path.calls) await measure(concurrency, WARMUP.calls, call, WARMUP.seconds)
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) {
        // An att row's round is shared by its processes, one after the other: each serves in every round, so none
        // idles longer than a single process would (V8 drops the compiled code of functions left unused a while).
        for (const [at, call] of path.calls.entries()) {
          const before = cpuSeconds(path.servers[at])
          const share = Math.ceil(calls / rounds / path.calls.length)
          path.samples.push(await measure(concurrency, share, call))
          path.cpu += cpuSeconds(path.servers[at]) - before
          path.done += share
        }
      }
    }
    const [a, b, bFiber, c, d, e, f, g, h] = paths.map((path) => pooled(path.samples)) as [
      Stats,
      Stats,
      Stats,
      Stats,
      Stats,
      Stats,
      Stats,
      Stats,
      Stats | undefined
    ]
    const persisted = (label: string, stats: Stats, processes: ReadonlyArray<StartedAtt>) =>
      `  ratio ${label}/c (${label === "g" ? "libSQL" : "Postgres"} vs in memory): throughput ${(stats.rps / c.rps).toFixed(2)} (target >= 0.95: ${verdict(stats.rps / c.rps >= 0.95)}), p50 ${signed(stats.p50 - c.p50)} ms, events dropped ${processes.reduce((sum, one) => sum + (droppedEvents.get(one.child.pid ?? 0) ?? 0), 0)}`
    const [cpuB, cpuBFiber, cpuC, cpuE, cpuF] = [1, 2, 3, 5, 6].map(
      (i) => ((paths[i]?.cpu ?? 0) / (paths[i]?.done || calls)) * 1e6
    ) as [number, number, number, number, number]
    const cb = c.rps / b.rps
    const cbFiber = c.rps / bFiber.rps
    const throughputTarget = concurrency === 1 ? 0.9 : 0.85
    results.push(
      `${kind}, concurrency ${concurrency}:`,
      row("(a) SDK client direct", a),
      row("(b) floor: node:http + SDK", b),
      row("(b′) floor + Effect fiber", bFiber),
      row("(c) att invoke/tool", c),
      row("(d) att /mcp, SDK client", d),
      row("(e) (c) + always-on tracing", e),
      row(`(f) (c) built without (${baseline.commit})`, f),
      row("(g) att invoke/tool, libSQL", g),
      ...(h === undefined ? [] : [row("(h) att invoke/tool, Postgres", h)]),
      cpuB > 0
        ? `  server CPU per call: (b) ${cpuB.toFixed(0)} µs, (b′) ${cpuBFiber.toFixed(0)} µs, (c) ${cpuC.toFixed(0)} µs, c − b′ ${signed(cpuC - cpuBFiber).replace(/\.\d+$/, "")} µs` +
            (concurrency === 32 ? ` (target c <= b′ + 25 µs: ${verdict(cpuC <= cpuBFiber + 25)})` : "")
        : "  server CPU per call: n/a (read from /proc, Linux only)",
      `  ratio c/b: throughput ${cb.toFixed(2)} (target >= ${throughputTarget}: ${verdict(cb >= throughputTarget)})` +
        (concurrency === 1
          ? `, p50 ${signed(c.p50 - b.p50)} ms (target <= +0.300: ${verdict(c.p50 - b.p50 <= 0.3)})`
          : `, p50 ${signed(c.p50 - b.p50)} ms`),
      `  ratio b′/b (Effect's runtime alone): throughput ${(bFiber.rps / b.rps).toFixed(2)}, p50 ${signed(bFiber.p50 - b.p50)} ms`,
      `  ratio c/b′ (att's own work): throughput ${cbFiber.toFixed(2)}` +
        (concurrency === 32 ? ` (target >= 0.95: ${verdict(cbFiber >= 0.95)})` : "") +
        `, p50 ${signed(c.p50 - bFiber.p50)} ms`,
      `  ratio d/a: throughput ${(d.rps / a.rps).toFixed(2)}` +
        (upstream.transport === "stdio"
          ? " (target: >= 1.2× mcp-hub, outside harness only)"
          : ` (target >= 0.55: ${verdict(d.rps / a.rps >= 0.55)})`) +
        `, p50 ${signed(d.p50 - a.p50)} ms`,
      `  ratio c/f (metrics on, tracing off, vs a build without either): throughput ${(c.rps / f.rps).toFixed(2)} (target >= 0.98: ${verdict(c.rps / f.rps >= 0.98)}), p50 ${signed(c.p50 - f.p50)} ms` +
        (cpuF > 0 ? `, CPU per call ${signed(cpuC - cpuF).replace(/\.\d+$/, "")} µs` : ""),
      `  ratio e/f (metrics and always-on tracing, vs both off): throughput ${(e.rps / f.rps).toFixed(2)} (target >= 0.95: ${verdict(e.rps / f.rps >= 0.95)}), p50 ${signed(e.p50 - f.p50)} ms` +
        (cpuF > 0 ? `, CPU per call ${signed(cpuE - cpuF).replace(/\.\d+$/, "")} µs` : ""),
      persisted("g", g, onDisk),
      ...(h === undefined || inPostgres === undefined ? [] : [persisted("h", h, inPostgres)])
    )
  }
  const registration = await registrationLatency(onDisk[0]?.base ?? "", 200)
  results.push(
    `  registration on libSQL (200 sequential): p50 ${registration.p50.toFixed(2)} ms (target <= 5: ${verdict(registration.p50 <= 5)}), p99 ${registration.p99.toFixed(2)} ms`
  )
  for (const one of [...att, ...traced, ...without, ...onDisk, ...(inPostgres ?? [])]) one.child.kill("SIGTERM")
  await viaAtt.close()
  mcpAtt.child.kill("SIGTERM")
  floor.child.kill("SIGTERM")
  fiberFloor.child.kill("SIGTERM")
  await direct.close()
  return results
}

// `npm start` builds before it serves: so does the bench, once.
if (process.env.BENCH_SKIP_BUILD !== "1")
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" })
const only = process.env.BENCH_UPSTREAMS ?? "http,stdio"
const http = await startHttpUpstream()
const postgres = await benchPostgres()
const lines = [
  `node ${process.version}, att built (${BUILT_CLI.slice(ROOT.length + 1)}), warm-up ${WARMUP.calls} calls / ${WARMUP.seconds} s per path, rounds ${PLAN[1].rounds} (c=1) / ${PLAN[32].rounds} (c=32)`,
  ...(only.includes("http")
    ? await benchUpstream("streamable-http upstream", { transport: "streamable-http", url: http.url }, postgres)
    : []),
  ...(only.includes("stdio")
    ? await benchUpstream(
        "stdio upstream",
        {
          transport: "stdio",
          command: process.execPath,
          args: ["--conditions=att-source", "--import", "tsx", FIXTURE, "bench", "stdio"]
        },
        postgres
      )
    : []),
  `spans received by the loopback OTLP receiver from (e): ${otlp.received.spans} in ${otlp.received.exports} exports`,
  failures.size === 0
    ? "failed calls: none"
    : `failed calls (counted, not fatal):\n${[...failures].map(([key, n]) => `  ${key}: ${n}`).join("\n")}`
]
http.child.kill("SIGTERM")
otlp.close()
postgres?.stop()
process.stdout.write(`${lines.join("\n")}\n`)
process.exit(0)
