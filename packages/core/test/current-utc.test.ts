import { currentUtc, utcAt } from "../src/CurrentUtc.js"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, FastCheck as fc, TestClock } from "effect"

describe("currentUtc", () => {
  it("is the DateTime of the millisecond, whatever was asked before", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { minLength: 1, maxLength: 20 }),
        (millis) => {
          for (const ms of millis) expect(DateTime.toEpochMillis(utcAt(ms))).toBe(ms)
        }
      )
    )
  })

  it("shares one value within a millisecond", () => {
    expect(utcAt(1_000)).toBe(utcAt(1_000))
    expect(utcAt(1_001)).not.toBe(utcAt(1_000))
  })

  it.effect("follows the context's clock (TestClock)", () =>
    Effect.gen(function* () {
      const clock = yield* Effect.clock
      yield* TestClock.setTime(5_000)
      expect(DateTime.toEpochMillis(currentUtc(clock))).toBe(5_000)
      yield* TestClock.adjust("1 second")
      expect(DateTime.toEpochMillis(currentUtc(clock))).toBe(6_000)
    })
  )
})
