import { StoreUnavailable } from "@att/core"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Logger, Ref, TestClock } from "effect"
import { DatabaseLink } from "../src/DatabaseLink.js"

/**
 * A scripted database: `down` says whether a check fails now (the reason names the check's number); every check's
 * time is recorded (TestClock milliseconds).
 */
const scriptedDatabase = Effect.gen(function* () {
  const down = yield* Ref.make(false)
  const checks = yield* Ref.make<ReadonlyArray<number>>([])
  const check = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const times = yield* Ref.updateAndGet(checks, (times) => [...times, now])
    if (yield* Ref.get(down)) return yield* new StoreUnavailable({ reason: `check ${times.length} refused` })
  })
  return { down, checks, check }
})

/** Lets the link's fiber run what is due now. */
const settle = TestClock.adjust("0 millis")

const logged = Effect.gen(function* () {
  const lines = yield* Ref.make<ReadonlyArray<string>>([])
  const logger = Logger.make(({ message }) => {
    const text = Array.isArray(message) ? message.join(" ") : String(message)
    Effect.runSync(Ref.update(lines, (all) => [...all, text]))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
})

const failure = new StoreUnavailable({ reason: "cannot save the server: connection refused" })

describe("DatabaseLink", () => {
  it.scoped("a reported loss: checks follow the schedule, failures counted, back to ok once the check answers", () =>
    Effect.gen(function* () {
      const db = yield* scriptedDatabase
      const log = yield* logged
      yield* Effect.gen(function* () {
        const link = yield* DatabaseLink.make(db.check)
        expect(yield* link.status).toEqual({ state: "ok" })

        yield* TestClock.adjust("1 second")
        yield* Ref.set(db.down, true)
        yield* link.lost(failure)
        yield* settle
        expect(yield* link.status).toEqual({
          state: "reconnecting",
          reason: "check 1 refused",
          attempts: 1,
          since: "1970-01-01T00:00:01.000Z"
        })
        expect(yield* link.isOk).toBe(false)

        // Exponential from 100 ms: the next checks at +100, +300, +700, +1500 ms.
        yield* TestClock.adjust("99 millis")
        expect(yield* Ref.get(db.checks)).toEqual([1000])
        yield* TestClock.adjust("1 millis")
        expect(yield* link.status).toMatchObject({ attempts: 2, reason: "check 2 refused" })
        yield* TestClock.adjust("600 millis")
        expect(yield* link.status).toMatchObject({ attempts: 4, since: "1970-01-01T00:00:01.000Z" })
        yield* Ref.set(db.down, false)
        yield* TestClock.adjust("799 millis")
        expect(yield* link.isOk).toBe(false)
        yield* TestClock.adjust("1 millis")
        expect(yield* link.status).toEqual({ state: "ok" })
        expect(yield* Ref.get(db.checks)).toEqual([1000, 1100, 1300, 1700, 2500])
      }).pipe(Effect.provide(log.layer))

      expect(yield* Ref.get(log.lines)).toEqual([
        "database link lost (a store operation failed: cannot save the server: connection refused): check 1 refused; reconnecting",
        "database link back after 4 failed checks in 1500 ms (lost since 1970-01-01T00:00:01.000Z)"
      ])
    })
  )

  it.scoped("the delay between checks doubles up to 5 s, then stays at 5 s", () =>
    Effect.gen(function* () {
      const db = yield* scriptedDatabase
      const link = yield* DatabaseLink.make(db.check)
      yield* Ref.set(db.down, true)
      yield* link.lost(failure)
      yield* settle
      yield* TestClock.adjust("30 seconds")
      const times = yield* Ref.get(db.checks)
      const delays = times.slice(1).map((time, i) => time - (times[i] ?? 0))
      expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000])
      expect(yield* link.status).toMatchObject({ state: "reconnecting", attempts: 11 })
    })
  )

  it.scoped("a failed operation while the database answers (that statement alone) leaves the link ok", () =>
    Effect.gen(function* () {
      const db = yield* scriptedDatabase
      const link = yield* DatabaseLink.make(db.check)
      yield* link.lost(failure)
      yield* settle
      expect(yield* Ref.get(db.checks)).toEqual([0])
      expect(yield* link.status).toEqual({ state: "ok" })
      // Reports while reconnecting start nothing more: one check at a time.
      yield* Ref.set(db.down, true)
      yield* link.lost(failure)
      yield* link.lost(failure)
      yield* settle
      yield* link.lost(failure)
      yield* settle
      expect(yield* Ref.get(db.checks)).toEqual([0, 0])
    })
  )

  it.scoped("a silent loss is seen by the periodic check while ok (every 5 s)", () =>
    Effect.gen(function* () {
      const db = yield* scriptedDatabase
      const link = yield* DatabaseLink.make(db.check)
      yield* TestClock.adjust("5 seconds")
      expect(yield* Ref.get(db.checks)).toEqual([5000])
      yield* Ref.set(db.down, true)
      yield* TestClock.adjust("5 seconds")
      // The periodic check failed, the one confirming it too: that one is the first attempt.
      expect(yield* Ref.get(db.checks)).toEqual([5000, 10000, 10000])
      expect(yield* link.status).toEqual({
        state: "reconnecting",
        reason: "check 3 refused",
        attempts: 1,
        since: "1970-01-01T00:00:10.000Z"
      })
      yield* Ref.set(db.down, false)
      yield* TestClock.adjust("100 millis")
      expect(yield* link.status).toEqual({ state: "ok" })
      // Watching again: the next periodic check 5 s later.
      yield* TestClock.adjust("5 seconds")
      expect(yield* Ref.get(db.checks)).toEqual([5000, 10000, 10000, 10100, 15100])
    })
  )
})
