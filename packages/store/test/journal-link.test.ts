import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EventJournal, type InvocationEvent, StoreUnavailable } from "@att/core"
import { describe, expect, it } from "@effect/vitest"
import { Context, DateTime, Effect, Layer, Ref, TestClock } from "effect"
import { afterAll } from "vitest"
import { DatabaseLink } from "../src/DatabaseLink.js"
import type { BatchWriter } from "../src/EventBatch.js"
import { libsqlClient } from "../src/Libsql.js"
import { SqlEventJournal } from "../src/SqlEventJournal.js"
import { StoreWriter } from "../src/Writer.js"

const dir = mkdtempSync(join(tmpdir(), "att-journal-link-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const event = (i: number): InvocationEvent => ({
  server: "alpha",
  method: "tools/call",
  request_id: `r-${i}`,
  phase: "invoke_success",
  timestamp: DateTime.unsafeMake(1_800_000_000_000 + i),
  error: null,
  error_category: null
})

const settings = { flushMs: 100, retentionCount: 1000, retentionDays: 7, queueCapacity: 5 }

describe("the event journal and the database link", () => {
  it.scoped("while the link reconnects no batch is sent; the queued events go in the first batch once it is back", () =>
    Effect.gen(function* () {
      // A database that is down while `down` holds: its batches and its checks fail alike.
      const down = yield* Ref.make(false)
      const attempts = yield* Ref.make<ReadonlyArray<ReadonlyArray<number>>>([])
      const refused = new StoreUnavailable({ reason: "connection refused" })
      const batches: BatchWriter = {
        write: (batch) =>
          Effect.gen(function* () {
            yield* Ref.update(attempts, (all) => [...all, batch.positions])
            if (yield* Ref.get(down)) return yield* refused
          })
      }
      const check = Effect.flatMap(Ref.get(down), (isDown) => (isDown ? refused : Effect.void))
      const link = Layer.scoped(DatabaseLink, DatabaseLink.make(check))
      const context = yield* Layer.build(
        SqlEventJournal(settings, [], { id: "r", ownOnly: false }, Effect.succeed(batches)).pipe(
          Layer.provideMerge(link),
          Layer.provide(StoreWriter.Default),
          Layer.provide(libsqlClient(join(dir, "data")))
        )
      )
      const journal = Context.get(context, EventJournal)
      const status = Context.get(context, DatabaseLink).status

      // The journal's first flush (at once, nothing queued) is done before the database goes.
      yield* TestClock.adjust("0 millis")
      yield* Ref.set(down, true)
      for (const i of [1, 2, 3]) journal.unsafeOffer({ stream: "invocation", position: i, event: event(i) })
      yield* TestClock.adjust("100 millis")
      expect(yield* Ref.get(attempts)).toEqual([[1, 2, 3]])
      expect(yield* status).toMatchObject({ state: "reconnecting", attempts: 1 })

      // Three seconds of reconnecting: 30 flush ticks, no batch sent; the queue keeps 5 events, 2 dropped (counted).
      for (const i of [4, 5, 6, 7]) journal.unsafeOffer({ stream: "invocation", position: i, event: event(i) })
      yield* TestClock.adjust("3 seconds")
      expect(yield* Ref.get(attempts)).toEqual([[1, 2, 3]])
      expect(yield* status).toMatchObject({ state: "reconnecting", attempts: 5 })
      expect(yield* journal.dropped).toBe(2)

      // Back at the next check (3.2 s: 3.1 s after the loss), the next flush tick writes what waited.
      yield* Ref.set(down, false)
      yield* TestClock.adjust("200 millis")
      expect(yield* status).toEqual({ state: "ok" })
      expect(yield* Ref.get(attempts)).toEqual([
        [1, 2, 3],
        [1, 2, 3, 4, 5]
      ])
      expect(yield* journal.dropped).toBe(2)
    })
  )
})
