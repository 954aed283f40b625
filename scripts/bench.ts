/**
 * `npm run bench`: att's overhead against a floor, measured in one run.
 *   (a) the SDK client straight to the upstream;
 *   (b) the floor: a minimal node:http server forwarding each request to an already-connected SDK client;
 *   (b′) the floor with each forward in an Effect fiber and nothing else: Effect's own share of (c)'s overhead;
 *   (c) att: POST /api/v1/mcp/invoke/tool on the real service (`att serve`);
 *   (d) an SDK client through att's MCP endpoint `/mcp` (same `att serve` process as (c)).
 * (b), (b′) and (c)/(d) each run in a process of their own, as a gateway does; this process only generates the load.
 * (a) and (d) each use one SDK client shared by all workers (one session), so they compare like for like.
 * For a Streamable HTTP and a stdio upstream, at concurrency 1 and 32, it prints calls/s, p50 and p99, the
 * ratios c/b (targets: throughput ≥ 0.8, p50 within 0.3 ms), b′/b and c/b′ (how c/b splits between Effect and
 * att), d/a (throughput; p50 as d−a, no target), and the
 * CPU time the floor's and att's processes spend per call (Linux: from /proc).
 * Not a test: numbers vary by machine.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Agent as HttpAgent, request as httpRequest } from "node:http"
import { performance } from "node:perf_hooks"
import type { Upstream } from "@att/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { fetchWithoutSessionSignal } from "./fetchWithoutSessionSignal.js"

const ROOT = join(import.meta.dirname, "..")
const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")
/** Calls per path and concurrency, spread over `rounds` short rounds that take turns (a, b, b′, c, d, a, ...). */
const PLAN = { 1: { calls: 2_000, rounds: 20 }, 32: { calls: 8_000, rounds: 8 } } as const
const WARMUP = 300

interface Sample {
  readonly latencies: Array<number>
  readonly seconds: number
}

interface Stats {
  readonly rps: number
  readonly p50: number
  readonly p99: number
}

/** Run `total` calls with `concurrency` workers: each call's latency (ms) and the wall time. */
const measure = async (concurrency: number, total: number, call: () => Promise<unknown>): Promise<Sample> => {
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
  return { latencies, seconds: (performance.now() - started) / 1000 }
}

/**
 * One path's figures over all its rounds pooled: calls per second of its own wall time, percentiles of all its
 * latencies. Short rounds in turn put every path through the same moments of a busy machine.
 */
const pooled = (samples: ReadonlyArray<Sample>): Stats => {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((x, y) => x - y)
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) }
}

/** Every process the bench started, stopped when it exits, also when a measurement fails half-way. */
const children: Array<ChildProcess> = []
process.on("exit", () => {
  for (const child of children) child.kill("SIGTERM")
})
const track = (child: ChildProcess) => {
  children.push(child)
  return child
}

const startHttpUpstream = async (): Promise<{ child: ChildProcess; url: string }> => {
  const child = track(
    spawn(process.execPath, ["--conditions=att-source", "--import", "tsx", FIXTURE, "bench", "0"], {
      stdio: ["ignore", "pipe", "inherit"]
    })
  )
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
const startProcess = async (
  args: ReadonlyArray<string>,
  pattern: RegExp
): Promise<{ child: ChildProcess; port: string }> => {
  const child = track(
    spawn(process.execPath, ["--conditions=att-source", "--import", "tsx", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: ROOT
    })
  )
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

/** (b): the floor server process; (b′) with `fiber`: the same, each forward in an Effect fiber of its own. */
const startFloor = async (upstream: Upstream, mode: "plain" | "fiber" = "plain") => {
  const spec =
    upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url }
  const args = [join(ROOT, "scripts", "bench-floor.ts"), JSON.stringify(spec), ...(mode === "fiber" ? ["fiber"] : [])]
  const { child, port } = await startProcess(args, /listening (\d+)/)
  return { child, url: `http://127.0.0.1:${port}/invoke/tool` }
}

/** (c): the real att service, started like a user starts it. */
const startAtt = async (upstream: Upstream) => {
  const dir = mkdtempSync(join(tmpdir(), "att-bench-"))
  const config = join(dir, "att.config.json")
  const entry =
    upstream.transport === "stdio" ? { command: upstream.command, args: upstream.args } : { url: upstream.url }
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

/** Clock ticks per second, the unit of /proc's CPU times (100 on nearly every Linux). */
const clockTicks = (): number => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100
  } catch {
    return 100
  }
}
const CLOCK_TICKS = clockTicks()

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 when unknown. */
const cpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return 0
  }
}

const ECHO_BODY = JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })

/**
 * POST the echo call with node:http on keep-alive connections (one per worker): a light load generator, so the
 * bench process takes as little as it can of the CPU the servers share. A connection the server closed while it was
 * idle (its keep-alive timeout, while other paths ran) is retried once on a new one, as Node's documentation advises.
 */
const postJson = (url: string, concurrency: number) => {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency })
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(ECHO_BODY) }
  const post = (retry: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const request = httpRequest(url, { method: "POST", agent, headers }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => {
          if (response.statusCode !== 200) return reject(new Error(`status ${response.statusCode}`))
          JSON.parse(Buffer.concat(chunks).toString("utf8"))
          resolve()
        })
      })
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (retry && request.reusedSocket && error.code === "ECONNRESET") return resolve(post(false))
        reject(error)
      })
      request.end(ECHO_BODY)
    })
  return () => post(true)
}

/** A difference in ms with its sign. */
const signed = (ms: number) => `${ms < 0 ? "−" : "+"}${Math.abs(ms).toFixed(3)}`

const row = (label: string, stats: Stats) =>
  `  ${label.padEnd(26)} ${stats.rps.toFixed(0).padStart(8)} calls/s   p50 ${stats.p50.toFixed(3).padStart(7)} ms   p99 ${stats.p99.toFixed(3).padStart(7)} ms`

const benchUpstream = async (kind: string, upstream: Upstream) => {
  const direct = await connectClient(upstream)
  const floor = await startFloor(upstream)
  const fiberFloor = await startFloor(upstream, "fiber")
  const att = await startAtt(upstream)
  const viaAtt = await connectViaAtt(att.mcp)
  const results: Array<string> = []
  for (const concurrency of [1, 32] as const) {
    const { calls, rounds } = PLAN[concurrency]
    // Each path, with the server process behind (b), (b′) and (c) whose CPU time their rounds are charged with.
    const paths = [
      { call: echo(direct), server: undefined },
      { call: postJson(floor.url, concurrency), server: floor.child.pid },
      { call: postJson(fiberFloor.url, concurrency), server: fiberFloor.child.pid },
      { call: postJson(att.url, concurrency), server: att.child.pid },
      { call: echo(viaAtt), server: undefined }
    ].map((path) => ({ ...path, samples: [] as Array<Sample>, cpu: 0 }))
    for (const path of paths) await measure(concurrency, WARMUP, path.call)
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) {
        const before = cpuSeconds(path.server)
        path.samples.push(await measure(concurrency, calls / rounds, path.call))
        path.cpu += cpuSeconds(path.server) - before
      }
    }
    const [a, b, bFiber, c, d] = paths.map((path) => pooled(path.samples)) as [Stats, Stats, Stats, Stats, Stats]
    const [cpuB, cpuBFiber, cpuC] = [1, 2, 3].map((i) => ((paths[i]?.cpu ?? 0) / calls) * 1e6) as [
      number,
      number,
      number
    ]
    results.push(
      `${kind}, concurrency ${concurrency}:`,
      row("(a) SDK client direct", a),
      row("(b) floor: node:http + SDK", b),
      row("(b′) floor + Effect fiber", bFiber),
      row("(c) att invoke/tool", c),
      row("(d) att /mcp, SDK client", d),
      cpuB > 0
        ? `  server CPU per call: (b) ${cpuB.toFixed(0)} µs, (b′) ${cpuBFiber.toFixed(0)} µs, (c) ${cpuC.toFixed(0)} µs, c/b ${(cpuC / cpuB).toFixed(2)}`
        : "  server CPU per call: n/a (read from /proc, Linux only)",
      `  ratio c/b: throughput ${(c.rps / b.rps).toFixed(2)} (target >= 0.80), p50 ${signed(c.p50 - b.p50)} ms (target <= 0.300)`,
      `  ratio b′/b (Effect's runtime alone): throughput ${(bFiber.rps / b.rps).toFixed(2)}, p50 ${signed(bFiber.p50 - b.p50)} ms`,
      `  ratio c/b′ (att's own work): throughput ${(c.rps / bFiber.rps).toFixed(2)}, p50 ${signed(c.p50 - bFiber.p50)} ms`,
      `  ratio d/a: throughput ${(d.rps / a.rps).toFixed(2)}, p50 ${signed(d.p50 - a.p50)} ms`
    )
  }
  await viaAtt.close()
  att.child.kill("SIGTERM")
  floor.child.kill("SIGTERM")
  fiberFloor.child.kill("SIGTERM")
  await direct.close()
  return results
}

const http = await startHttpUpstream()
const lines = [
  ...(await benchUpstream("streamable-http upstream", { transport: "streamable-http", url: http.url })),
  ...(await benchUpstream("stdio upstream", {
    transport: "stdio",
    command: process.execPath,
    args: ["--conditions=att-source", "--import", "tsx", FIXTURE, "bench", "stdio"]
  }))
]
http.child.kill("SIGTERM")
process.stdout.write(`${lines.join("\n")}\n`)
process.exit(0)
