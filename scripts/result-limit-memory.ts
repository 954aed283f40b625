/**
 * How much memory att takes while a result over `max_result_bytes` arrives: RSS above a baseline (after a forced GC),
 * sampled every few milliseconds during a call whose result is 3× the default cap (16 MiB), over Streamable HTTP (SSE
 * answers) and over stdio, each upstream in its own process (`test/fixtures/upstream-server.ts`, tool `big`). Target:
 * the peak stays under twice the cap. A result just under the cap is measured too, for comparison.
 * Run: `node --expose-gc --import tsx scripts/result-limit-memory.ts`.
 */
import { spawn } from "node:child_process"
import { once } from "node:events"
import { join } from "node:path"
import { Manager, ManagerConfig, Probe, httpUpstream } from "@att/core"
import { SdkTransport } from "@att/sdk-transport"
import { Effect, Either, Layer, ManagedRuntime } from "effect"

const ROOT = join(import.meta.dirname, "..")
const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")
const MB = 1024 * 1024
const CAP = 16 * MB

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc")

const http = spawn(process.execPath, ["--conditions=att-source", "--import", "tsx", FIXTURE, "memory-http", "0"], {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "inherit"]
})
const [line] = (await once(http.stdout, "data")) as [Buffer]
const port = /listening (\d+)/.exec(line.toString())?.[1]

const runtime = ManagedRuntime.make(
  Manager.layer.pipe(
    Layer.provideMerge(Probe.ping),
    Layer.provideMerge(SdkTransport.layer({ callTimeoutMs: 60_000 })),
    Layer.provideMerge(ManagerConfig.layer({ maxBackoff: 0 }))
  )
)
const manager = await runtime.runPromise(Manager)
await runtime.runPromise(manager.register("http", httpUpstream(`http://127.0.0.1:${port}/mcp`)))
await runtime.runPromise(
  manager.register("stdio", {
    transport: "stdio",
    command: process.execPath,
    args: ["--conditions=att-source", "--import", "tsx", FIXTURE, "memory-stdio", "stdio"],
    cwd: ROOT
  })
)

const big = (server: string, bytes: number) =>
  runtime.runPromise(Effect.either(manager.invokeTool("big", { bytes }, [server])))

/** Peak RSS above the baseline while one `big` call runs, and what the call ended with. */
const measure = async (server: string, bytes: number) => {
  gc()
  await new Promise((resolve) => setTimeout(resolve, 100))
  gc()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 2)
  const started = performance.now()
  const outcome = await big(server, bytes)
  const ms = performance.now() - started
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().rss)
  const ended = Either.isLeft(outcome)
    ? `failed: ${outcome.left._tag === "InvocationError" ? outcome.left.attempts.at(-1)?.error : outcome.left.message}`
    : "succeeded"
  return { above: (peak - baseline) / MB, ms, ended }
}

for (const server of ["http", "stdio"]) {
  // Warm up: the session open, and one result under the cap (allocator and V8 settle).
  await big(server, 1024)
  await big(server, 12 * MB)
  for (const [label, bytes] of [
    ["12 MiB (under the cap)", 12 * MB],
    ["48 MiB (3x the cap)", 3 * CAP]
  ] as const) {
    const { above, ms, ended } = await measure(server, bytes)
    const verdict = bytes > CAP ? (above < 2 * (CAP / MB) ? " OK (< 2x cap)" : " OVER 2x cap") : ""
    process.stdout.write(
      `${server.padEnd(5)} ${label.padEnd(24)} peak RSS +${above.toFixed(1)} MB in ${ms.toFixed(0)} ms, ${ended}${verdict}\n`
    )
  }
}

await runtime.dispose()
http.kill("SIGTERM")
