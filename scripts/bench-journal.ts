/**
 * `npx tsx --conditions=att-source scripts/bench-journal.ts [libsql|postgres] [events/s] [seconds]`: the event
 * journal's own cost, in process, without HTTP: events are offered at a steady rate (as invocations would, two per
 * call) and the script reports, per event beyond offering to no journal, the main thread's busy time (event loop
 * utilization: what requests compete with) and the CPU of all the process' threads, and how long the event loop was held (`monitorEventLoopDelay`: what a request waiting behind a batch write waits).
 * Not a test: numbers vary by machine.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"
import { EventJournal, type JournalEntry } from "@att/core"
import { storeLayer } from "@att/store"
import { DateTime, Effect, Layer } from "effect"
import { startPostgres } from "../test/support/postgres.js"

const [kind = "libsql", rateArg = "2000", secondsArg = "4"] = process.argv.slice(2)
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const TICK_MS = 5

const postgres = kind === "postgres" ? await startPostgres() : undefined
const layer = storeLayer({
  ephemeral: false,
  dataDir: join(mkdtempSync(join(tmpdir(), "att-bench-journal-")), "data"),
  databaseUrl: postgres?.database("bj") ?? null
})

/** Offer `rate` events/s for `seconds` (in ticks of 5 ms, as a steady load would); CPU µs and loop delay. */
const run = (offer: (entry: JournalEntry) => void) =>
  Effect.promise(async () => {
    const perTick = (rate * TICK_MS) / 1000
    const ticks = (seconds * 1000) / TICK_MS
    let position = Date.now() * 1000
    const histogram = monitorEventLoopDelay({ resolution: 1 })
    const cpu = process.cpuUsage()
    const loop = performance.eventLoopUtilization()
    histogram.enable()
    for (let tick = 0; tick < ticks; tick++) {
      for (let i = 0; i < perTick; i++) {
        position++
        offer({
          stream: "invocation",
          position,
          event: {
            server: "bench",
            method: "tools/call",
            request_id: `req-${position}`,
            phase: i % 2 === 0 ? "invoke_start" : "invoke_success",
            timestamp: DateTime.unsafeMake(Date.now()),
            error: null,
            error_category: null
          }
        })
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS))
    }
    histogram.disable()
    const used = process.cpuUsage(cpu)
    const busy = performance.eventLoopUtilization(loop)
    return {
      cpuPerEvent: (used.user + used.system) / (rate * seconds),
      loopPerEvent: (busy.active * 1000) / (rate * seconds),
      delayP99: histogram.percentile(99) / 1e6,
      delayMax: histogram.max / 1e6
    }
  })

interface Figures {
  readonly cpuPerEvent: number
  readonly loopPerEvent: number
  readonly delayP99: number
  readonly delayMax: number
}

const report = (label: string, figures: Figures) =>
  console.log(
    `${label.padEnd(12)} CPU (all threads) ${figures.cpuPerEvent.toFixed(1)} µs/event  main thread busy ${figures.loopPerEvent.toFixed(1)} µs/event  loop delay p99 ${figures.delayP99.toFixed(1)} ms  max ${figures.delayMax.toFixed(1)} ms`
  )

const ROUNDS = 4
const median = (values: ReadonlyArray<number>) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0
const summary = (runs: ReadonlyArray<Figures>): Figures => ({
  cpuPerEvent: median(runs.map((r) => r.cpuPerEvent)),
  loopPerEvent: median(runs.map((r) => r.loopPerEvent)),
  delayP99: median(runs.map((r) => r.delayP99)),
  delayMax: Math.max(...runs.map((r) => r.delayMax))
})

await Effect.runPromise(
  Effect.gen(function* () {
    const journal = yield* EventJournal
    yield* run(journal.unsafeOffer) // warm-up (JIT, the first batches)
    const without: Array<Figures> = []
    const withJournal: Array<Figures> = []
    for (let round = 0; round < ROUNDS; round++) {
      without.push(yield* run(() => {}))
      withJournal.push(yield* run(journal.unsafeOffer))
    }
    const baseline = summary(without)
    const journaled = summary(withJournal)
    report("no journal", baseline)
    report(kind, journaled)
    console.log(
      `journal cost at ${rate} events/s (medians of ${ROUNDS} rounds in turn): main thread ${(journaled.loopPerEvent - baseline.loopPerEvent).toFixed(1)} µs/event, all threads' CPU ${(journaled.cpuPerEvent - baseline.cpuPerEvent).toFixed(1)} µs/event`
    )
    console.log(`dropped: ${yield* journal.dropped}`)
  }).pipe(Effect.provide(Layer.orDie(layer)))
)
postgres?.stop()
