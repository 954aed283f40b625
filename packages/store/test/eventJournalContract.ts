import {
  type CapabilityEvent,
  Diagnostics,
  type EventJournal,
  type InvocationEvent,
  ManagerConfig,
  type StoreUnavailable
} from "@att/core"
import { type CapabilityHistory, makeCapabilityHistory } from "@att/core/internal"
import { DateTime, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"

const event = (i: number): InvocationEvent => ({
  server: i % 2 === 0 ? "even" : "odd",
  method: "tools/call",
  request_id: `r${i}`,
  phase: "invoke_success",
  timestamp: DateTime.unsafeMake(1_800_000_000_000 + i),
  error: null,
  error_category: null
})

/** The diagnostics of one run of att over `store`: a ring of 10 invocation events, the journal behind it. */
const run = <A, E>(
  store: Layer.Layer<EventJournal, StoreUnavailable>,
  body: (diagnostics: Diagnostics) => Effect.Effect<A, E>
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(
        Layer.build(
          Diagnostics.Default.pipe(
            Layer.provide(ManagerConfig.layer({ maxInvocationEvents: 10 })),
            Layer.provide(store)
          )
        ),
        (context) => body(Effect.runSync(Effect.provide(Diagnostics, context)))
      )
    )
  )

/** Every page after `cursor`, `limit` at a time, following the cursor until a page comes back empty. */
const follow = (diagnostics: Diagnostics, cursor: number, limit: number, query: { server?: string } = {}) =>
  Effect.gen(function* () {
    const seen: Array<string> = []
    let at = cursor
    for (;;) {
      const page = yield* diagnostics.invocationEventPage({ ...query, cursor: at, limit })
      if (page.items.length === 0) return { seen, cursor: page.cursor }
      seen.push(...page.items.map((item) => item.request_id))
      at = page.cursor
    }
  })

const settle = Effect.sleep("150 millis")

/** A capability event whose `added` names it, `c<i>`; even ones `drift` of tools, odd ones `rejected` prompts. */
const capability = (i: number): CapabilityEvent => ({
  kind: i % 2 === 0 ? "drift" : "rejected",
  server: "s",
  list: i % 2 === 0 ? "tools" : "prompts",
  added: [`c${i}`],
  removed: [],
  changed: [],
  rejected: i % 2 === 0 ? [] : [{ name: `p${i}`, reason: "a control character in its name" }],
  timestamp: DateTime.unsafeMake(1_800_000_000_000 + i)
})

/** The capability history of one run of att over `store`, a ring of 10 (as the gateway's catalog makes it). */
const runCapabilities = <A, E>(
  store: Layer.Layer<EventJournal, StoreUnavailable>,
  body: (history: CapabilityHistory) => Effect.Effect<A, E>
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(Layer.build(store), (context) =>
        Effect.flatMap(Effect.provide(makeCapabilityHistory(10), context), body)
      )
    )
  )

/** Every capability page after `cursor`, `limit` at a time, until one comes back empty. */
const followCapabilities = (
  history: CapabilityHistory,
  cursor: number,
  limit: number,
  query: { kind?: "drift" | "rejected" } = {}
) =>
  Effect.gen(function* () {
    const seen: Array<string> = []
    let at = cursor
    for (;;) {
      const page = yield* history.page({ ...query, cursor: at, limit })
      if (page.items.length === 0) return { seen, cursor: page.cursor }
      seen.push(...page.items.flatMap((item) => item.added))
      at = page.cursor
    }
  })

/** Flush every 20 ms, keep 25 events per stream. */
export const journalSettings = { flushMs: 20, retentionCount: 25, retentionDays: 7, queueCapacity: 1000 }

/**
 * The history contract, the same on every durable store: `open()` opens the same database each time (a restart).
 * The journal flushes every 20 ms and keeps 25 events per stream.
 */
export const eventJournalContract = (label: string, open: () => Layer.Layer<EventJournal, StoreUnavailable>) =>
  describe(`event history: ${label}`, () => {
    it("a reader following the cursor sees every event once, past the ring and across a restart; retention holds", async () => {
      const first = await run(open(), (diagnostics) =>
        Effect.gen(function* () {
          for (let i = 0; i < 20; i++) yield* diagnostics.recordInvocation(event(i))
          yield* settle
          // From before this run: the ring keeps 10, the other 10 come from the database, in order, once each.
          const all = yield* follow(diagnostics, 0, 3)
          const odd = yield* follow(diagnostics, 0, 4, { server: "odd" })
          return { all, odd }
        })
      )
      expect(first.all.seen).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`))
      expect(first.odd.seen).toEqual(Array.from({ length: 10 }, (_, i) => `r${2 * i + 1}`))

      const second = await run(open(), (diagnostics) =>
        Effect.gen(function* () {
          for (let i = 20; i < 30; i++) yield* diagnostics.recordInvocation(event(i))
          yield* settle
          // The previous run's cursor reads on with exactly this run's events: positions kept increasing.
          const onward = yield* follow(diagnostics, first.all.cursor, 4)
          // Retention: 25 kept in the database (the 5 oldest gone), the ring's 10 among them.
          const kept = yield* follow(diagnostics, 0, 7)
          return { onward, kept }
        })
      )
      expect(second.onward.seen).toEqual(Array.from({ length: 10 }, (_, i) => `r${20 + i}`))
      expect(second.kept.seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${5 + i}`))
    })

    it("an event's text comes back as written: quotes, backslashes, newlines, control and non-ASCII characters", async () => {
      const odd: InvocationEvent = {
        ...event(0),
        server: 'a,b{c} "d"',
        request_id: "NULL",
        error: 'he said "no" \\ C:\\dir\n\ttab \u0001 ü 😀 {x,y}',
        error_category: "invalid_payload"
      }
      const read = await run(open(), (diagnostics) =>
        Effect.gen(function* () {
          // Recorded first, then pushed out of the ring of 10: it is read back from the database.
          const before = yield* diagnostics.invocationEventPage({ limit: 0 })
          yield* diagnostics.recordInvocation(odd)
          for (let i = 1; i <= 10; i++) yield* diagnostics.recordInvocation(event(1000 + i))
          yield* settle
          const page = yield* diagnostics.invocationEventPage({ cursor: before.cursor, limit: 1 })
          return page.items[0]
        })
      )
      expect(read).toEqual(odd)
    })

    it("capability events: the third stream, past the ring and across a restart, filtered, retention as the others", async () => {
      const first = await runCapabilities(open(), (history) =>
        Effect.gen(function* () {
          for (let i = 0; i < 20; i++) history.unsafeRecord(capability(i))
          yield* settle
          const all = yield* followCapabilities(history, 0, 3)
          const rejected = yield* followCapabilities(history, 0, 4, { kind: "rejected" })
          // Each rejected event comes back whole, its items and timestamp included.
          const one = yield* history.page({ cursor: 0, limit: 2 })
          return { all, rejected, second: one.items[1] }
        })
      )
      expect(first.all.seen).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`))
      expect(first.rejected.seen).toEqual(Array.from({ length: 10 }, (_, i) => `c${2 * i + 1}`))
      expect(first.second).toEqual(capability(1))

      const second = await runCapabilities(open(), (history) =>
        Effect.gen(function* () {
          // Nothing recorded yet in this run: the earlier run's cursor finds nothing new, and no error.
          const none = yield* followCapabilities(history, first.all.cursor, 5)
          for (let i = 20; i < 30; i++) history.unsafeRecord(capability(i))
          yield* settle
          const onward = yield* followCapabilities(history, first.all.cursor, 4)
          const kept = yield* followCapabilities(history, 0, 7)
          return { none, onward, kept }
        })
      )
      expect(second.none.seen).toEqual([])
      expect(second.onward.seen).toEqual(Array.from({ length: 10 }, (_, i) => `c${20 + i}`))
      expect(second.kept.seen).toEqual(Array.from({ length: 25 }, (_, i) => `c${5 + i}`))
    })
  })
