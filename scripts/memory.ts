/**
 * `npm run memory`: does att hold on to memory per call? Warm up, then run 100 000 invocations through the manager
 * and the SDK transport against a real stdio upstream, and compare RSS after a forced GC. Target: < 20 MB growth.
 * Run with `node --expose-gc` (the npm script does). The warm-up is long because RSS keeps growing for a while after
 * start (V8 and the allocator settle) even though the heap in use stays flat.
 */
import { join } from "node:path"
import { Manager, ManagerConfig, Probe } from "@att/core"
import { SdkTransport } from "@att/sdk-transport"
import { Effect, Layer, ManagedRuntime } from "effect"

const FIXTURE = join(import.meta.dirname, "..", "test", "fixtures", "upstream-server.ts")
const WARMUP = 50_000
const CALLS = 100_000
const CONCURRENCY = 16

const runtime = ManagedRuntime.make(
  Manager.layer.pipe(
    Layer.provideMerge(Probe.ping),
    Layer.provideMerge(SdkTransport.layer()),
    Layer.provideMerge(ManagerConfig.layer())
  )
)
const manager = await runtime.runPromise(Manager)
await runtime.runPromise(
  manager.register("memory", {
    transport: "stdio",
    command: process.execPath,
    args: ["--conditions=att-source", "--import", "tsx", FIXTURE, "memory", "stdio"]
  })
)
/** `CONCURRENCY` callers, each invoking in a loop until `count` calls were made in all. */
const run = (count: number) => {
  let next = 0
  const caller = Effect.suspend(() => manager.invokeTool("echo", { message: String(next++) })).pipe(
    Effect.repeat({ while: () => next < count })
  )
  return runtime.runPromise(
    Effect.all(
      Array.from({ length: CONCURRENCY }, () => caller),
      { concurrency: "unbounded", discard: true }
    )
  )
}
const rssMb = () => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const usage = process.memoryUsage()
  process.stdout.write(
    `  rss ${(usage.rss / 1048576).toFixed(1)} MB, heapUsed ${(usage.heapUsed / 1048576).toFixed(1)} MB\n`
  )
  return usage.rss / 1024 / 1024
}

await run(WARMUP)
const before = rssMb()
const started = performance.now()
await run(CALLS)
const after = rssMb()
const seconds = (performance.now() - started) / 1000
const growth = after - before
process.stdout.write(
  `${CALLS} invocations in ${seconds.toFixed(1)} s (${(CALLS / seconds).toFixed(0)}/s); RSS ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB: growth ${growth.toFixed(1)} MB (target < 20 MB) ${growth < 20 ? "OK" : "OVER"}\n`
)
await runtime.dispose()
process.exit(growth < 20 ? 0 : 1)
