/** What `npm run bench` and `npm run bench:stack` share: load, timing, server processes and their CPU time. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

export const ROOT = join(import.meta.dirname, "..")

export interface Sample {
  readonly latencies: Array<number>
  readonly seconds: number
}

export interface Stats {
  readonly rps: number
  readonly p50: number
  readonly p99: number
}

/** Run `total` calls with `concurrency` workers: each call's latency (ms) and the wall time. */
export const measure = async (
  concurrency: number,
  total: number,
  call: () => Promise<unknown>,
  until = 0
): Promise<Sample> => {
  const latencies: Array<number> = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total || performance.now() - started < until * 1000) {
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
export const pooled = (samples: ReadonlyArray<Sample>): Stats => {
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
export const track = (child: ChildProcess) => {
  children.push(child)
  return child
}

/** Start a server process and wait for the port it prints. */
export const startProcess = async (
  args: ReadonlyArray<string>,
  pattern: RegExp,
  runtime: ReadonlyArray<string> = ["--conditions=att-source", "--import", "tsx"],
  env: Readonly<Record<string, string>> = {}
): Promise<{ child: ChildProcess; port: string }> => {
  const child = track(
    spawn(process.execPath, [...runtime, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: ROOT,
      env: { ...process.env, ...env }
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
export const cpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return 0
  }
}

/**
 * CPU seconds the whole machine has been busy so far (every process, the kernel's work for them included; idle and
 * I/O wait apart), from /proc/stat (Linux); 0 when unknown. What a database server spends shows here and nowhere else.
 */
export const machineBusySeconds = (): number => {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
  } catch {
    return 0
  }
}

const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")

/** The test fixture as a Streamable HTTP upstream on a free port (its `bench` mode), tracked for the end. */
export const startHttpUpstream = async (): Promise<{ child: ChildProcess; url: string }> => {
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

/**
 * An OTLP/HTTP receiver on loopback for the tracing rows: it reads each export whole, counts its spans (their
 * `"spanId"` keys) and bytes, and answers 200 as a collector would.
 */
export const startOtlpSink = async () => {
  const received = { spans: 0, exports: 0, bytes: 0 }
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const body = Buffer.concat(chunks)
      received.bytes += body.length
      for (let at = body.indexOf('"spanId"'); at >= 0; at = body.indexOf('"spanId"', at + 8)) received.spans++
      received.exports++
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return { endpoint: `http://127.0.0.1:${port}`, received, close: () => server.close() }
}
