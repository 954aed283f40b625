import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EventJournal, type JournalEntry, ServerStore } from "@att/core"
import { JOURNAL_DEFAULTS, storeLayer } from "@att/store"
import { Context, DateTime, Effect, Layer, Logger } from "effect"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "att-journal-writer-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** libSQL in `dir`, the journal flushing every 5 ms (its writer thread commits while registrations do). */
const open = () =>
  storeLayer({ ephemeral: false, dataDir: join(dir, "data"), databaseUrl: null }, { ...JOURNAL_DEFAULTS, flushMs: 5 })

const BASE = 1_000_000
const entry = (position: number): JournalEntry => ({
  stream: "invocation",
  position,
  event: {
    server: "s",
    method: "tools/call",
    request_id: `r${position}`,
    phase: "invoke_success",
    timestamp: DateTime.unsafeMake(1_800_000_000_000 + position),
    error: null,
    error_category: null
  }
})

/** What the store logged (a batch that could not be written is logged, then retried). */
const logged: Array<string> = []
const collect = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ message }) => logged.push(String(message)))
)

const withStore = <A, E>(body: (store: ServerStore["Type"], journal: EventJournal["Type"]) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(Layer.build(open()), (context) =>
        body(Context.get(context, ServerStore), Context.get(context, EventJournal))
      )
    ).pipe(Effect.provide(collect))
  )

describe("the journal's writer thread beside the main connection (libSQL)", () => {
  it("registrations committed while event batches are written: none fails, no event lost, all there after a restart", async () => {
    const rounds = 40
    const perRound = 250
    const dropped = await withStore((store, journal) =>
      Effect.gen(function* () {
        let position = BASE
        for (let round = 0; round < rounds; round++) {
          for (let i = 0; i < perRound; i++) journal.unsafeOffer(entry(++position))
          yield* store.save({
            name: `s${round}`,
            upstream: { transport: "streamable-http", url: "http://127.0.0.1:9/mcp" },
            call_timeout_ms: null
          })
          yield* Effect.sleep("3 millis")
        }
        return yield* journal.dropped
      })
    )
    expect(dropped).toBe(0)
    // Neither connection was refused while the other wrote (SQLITE_BUSY: "database is locked").
    expect(logged).toEqual([])
    const after = await withStore((store, journal) =>
      Effect.gen(function* () {
        const servers = yield* store.load
        const events = yield* journal.page("invocation", 0, Number.MAX_SAFE_INTEGER, rounds * perRound + 1)
        return { servers: servers.length, newest: yield* journal.newest("invocation"), events }
      })
    )
    expect(after.servers).toBe(rounds)
    expect(after.newest).toBe(BASE + rounds * perRound)
    expect(after.events.map((event) => event.position)).toEqual(
      Array.from({ length: rounds * perRound }, (_, i) => BASE + i + 1)
    )
    expect(after.events[0]?.event).toEqual(entry(BASE + 1).event)
  })
})
