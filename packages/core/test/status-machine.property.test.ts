import type { ErrorCategory } from "@att/core"
import {
  type CheckResult,
  type ServerState,
  freshRecord,
  recordCheckResult,
  shouldRetry
} from "../src/StatusMachine.js"
import { classifyFreshness } from "../src/Freshness.js"
import { makeSettings } from "../src/ManagerConfig.js"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, FastCheck as fc, Option } from "effect"

const T0 = DateTime.unsafeMake("2026-01-01T00:00:00Z")
const fresh = (): ServerState => ({ record: freshRecord("s", "http://s.local/", "streamable-http"), generation: 0 })

const category = fc.constantFrom<ErrorCategory | null>(
  "health_check",
  "network_timeout",
  "http_status",
  "transport_error",
  "rpc_error",
  null
)
const result: fc.Arbitrary<CheckResult> = fc.oneof(
  fc.constant<CheckResult>({ healthy: true }),
  fc.record({ healthy: fc.constant<boolean>(false), error: fc.option(fc.string(), { nil: null }), category })
)
const policy = fc.record({
  unreachableAfter: fc.integer({ min: 1, max: 5 }),
  maxBackoff: fc.integer({ min: 0, max: 16 })
})
const steps = fc.array(fc.tuple(result, fc.integer({ min: 0, max: 20_000 })), { maxLength: 40 })

/** Replay results at increasing times; the states and events after each step. */
const replay = (
  options: { unreachableAfter: number; maxBackoff: number },
  input: ReadonlyArray<readonly [CheckResult, number]>
) => {
  const settings = makeSettings({
    unreachableAfter: options.unreachableAfter,
    maxBackoff: `${options.maxBackoff} seconds`
  })
  let state = fresh()
  let when = T0
  return input.map(([check, gapMillis]) => {
    when = DateTime.add(when, { millis: gapMillis })
    const before = state
    const transition = recordCheckResult(state, check, when, settings)
    state = transition.state
    return { before, after: state, event: transition.event, check, when, settings }
  })
}

describe("status machine properties (spec §4.1)", () => {
  it.prop("a success always resets", [policy, steps], ([options, input]) => {
    for (const step of replay(options, input)) {
      if (!step.check.healthy) continue
      expect(step.after.record).toMatchObject({
        status: "healthy",
        retry_count: 0,
        next_retry_at: null,
        last_error: null,
        last_error_category: null
      })
    }
  })

  it.prop(
    "an event is recorded iff the status changes, and it describes the change",
    [policy, steps],
    ([options, input]) => {
      for (const { before, after, event, when } of replay(options, input)) {
        expect(Option.isSome(event)).toBe(before.record.status !== after.record.status)
        if (Option.isSome(event)) {
          expect(event.value).toMatchObject({
            from_status: before.record.status,
            to_status: after.record.status,
            reason: after.record.last_error ?? "healthy",
            timestamp: when
          })
        }
      }
    }
  )

  it.prop(
    "retry_count counts consecutive failures; unreachable iff it reaches the threshold",
    [policy, steps],
    ([options, input]) => {
      let consecutive = 0
      for (const { after, check } of replay(options, input)) {
        consecutive = check.healthy ? 0 : consecutive + 1
        expect(after.record.retry_count).toBe(consecutive)
        const expected =
          consecutive === 0 ? "healthy" : consecutive >= options.unreachableAfter ? "unreachable" : "degraded"
        expect(after.record.status).toBe(expected)
      }
    }
  )

  it.prop(
    "windows are min(2^(n-1) s, cap) and never shrink while failures continue",
    [policy, steps],
    ([options, input]) => {
      let previous: number | null = null
      for (const { after, check, when } of replay(options, input)) {
        if (check.healthy) {
          previous = null
          continue
        }
        const window = DateTime.distance(when, after.record.next_retry_at as DateTime.Utc)
        const n = after.record.retry_count
        expect(window).toBe(Math.min(2 ** (n - 1), options.maxBackoff) * 1000)
        if (previous !== null) expect(window).toBeGreaterThanOrEqual(previous)
        previous = window
      }
    }
  )

  it.prop("every failure ends the handshake's validity", [policy, steps], ([options, input]) => {
    for (const { after, check } of replay(options, input)) {
      if (!check.healthy) {
        expect(after.record).toMatchObject({
          initialized: false,
          initialization_expires_at: null,
          protocol_version: null
        })
        expect(after.record.last_error).not.toBe("")
      }
    }
  })

  it.prop("backoff stays capped for huge retry counts", [fc.integer({ min: 3, max: 1_000_000 })], ([retries]) => {
    const settings = makeSettings()
    const state: ServerState = { record: { ...fresh().record, retry_count: retries }, generation: 1 }
    const next = recordCheckResult(state, { healthy: false, error: "x" }, T0, settings)
    expect(DateTime.distance(T0, next.state.record.next_retry_at as DateTime.Utc)).toBe(8000)
  })

  it.prop(
    "round rule: a failure that started before a recorded failure is folded",
    [fc.integer({ min: 1, max: 5 })],
    ([burst]) => {
      const settings = makeSettings()
      const started = fresh()
      let state = started
      for (let i = 0; i < burst; i++) {
        state = recordCheckResult(
          state,
          { healthy: false, error: "down", since: started.generation },
          T0,
          settings
        ).state
      }
      expect(state.record.retry_count).toBe(1)
      const later = recordCheckResult(state, { healthy: false, error: "down", since: state.generation }, T0, settings)
      expect(later.counted).toBe(true)
      expect(later.state.record.retry_count).toBe(2)
    }
  )

  it.prop(
    "shouldRetry opens inclusively at next_retry_at",
    [fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: -5_000, max: 5_000 })],
    ([offset, delta]) => {
      const opensAt = DateTime.add(T0, { millis: offset })
      const record = { ...fresh().record, next_retry_at: opensAt }
      expect(shouldRetry(record, DateTime.add(opensAt, { millis: delta }))).toBe(delta >= 0)
    }
  )

  it.prop(
    "freshness is inclusive at the stale boundary",
    [fc.integer({ min: 0, max: 600 }), fc.integer({ min: -3, max: 3 })],
    ([staleAfter, delta]) => {
      const now = DateTime.add(T0, { seconds: 10_000 })
      const lastActivity = DateTime.subtract(now, { seconds: staleAfter + delta })
      const freshness = classifyFreshness(
        { active: true, initialized: true, last_activity_at: lastActivity },
        now,
        Option.some(Duration.seconds(staleAfter))
      )
      expect(freshness).toBe(delta <= 0 ? "active_recent" : "stale")
      expect(
        classifyFreshness({ active: false, initialized: false, last_activity_at: lastActivity }, now, Option.none())
      ).toBe("unknown")
    }
  )
})
