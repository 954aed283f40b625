import { DateTime, type Duration, Option } from "effect"
import type { ConnectionEvent } from "./domain/Events.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import type { ErrorCategory } from "./domain/Status.js"
import { type ManagerSettings, backoffFor } from "./ManagerConfig.js"

/**
 * A server record plus the bookkeeping that never goes on the wire: `generation` counts recorded results, so an
 * attempt can tell whether another one recorded a failure while it was in flight (the round rule below).
 */
export interface ServerState {
  readonly record: ServerRecord
  readonly generation: number
}

/** One outcome to record against a server. */
export interface CheckResult {
  readonly healthy: boolean
  readonly error?: string | null | undefined
  readonly category?: ErrorCategory | null | undefined
  readonly correlationId?: string | null | undefined
  /**
   * The server's `generation` when the attempt that produced this result started. A failure of an attempt that
   * started before another failure was recorded belongs to the same outage round and is not counted again (a
   * burst of N concurrent failures is one failure, not N). Manual marks and health checks leave it out.
   */
  readonly since?: number | undefined
}

export interface Transition {
  readonly state: ServerState
  readonly event: Option.Option<ConnectionEvent>
  /** False when the result was folded into the current failure round and changed nothing. */
  readonly counted: boolean
}

export type StatusPolicy = Pick<ManagerSettings, "unreachableAfter" | "backoffDelays">

/** A failure whose attempt overlapped an already-recorded failure of the same round. */
export const isSameRound = (state: ServerState, result: CheckResult): boolean =>
  !result.healthy && result.since !== undefined && result.since !== state.generation && state.record.retry_count > 0

/**
 * The status transition of one check result, as a pure function: a success resets the server to healthy; a failure
 * counts, opens a backoff window, and makes the server unreachable once it has failed `unreachableAfter` times.
 */
export const recordCheckResult = (
  state: ServerState,
  result: CheckResult,
  when: DateTime.Utc,
  policy: StatusPolicy
): Transition => {
  if (isSameRound(state, result)) return { state, event: Option.none(), counted: false }
  const old = state.record
  const next: ServerRecord = result.healthy
    ? {
        ...old,
        status: "healthy",
        last_error: null,
        last_error_category: null,
        retry_count: 0,
        next_retry_at: null,
        last_checked_at: when
      }
    : failed(old, result, when, policy)
  const event: Option.Option<ConnectionEvent> =
    next.status === old.status
      ? Option.none()
      : Option.some({
          server: old.name,
          from_status: old.status,
          to_status: next.status,
          reason: next.last_error ?? "healthy",
          timestamp: when,
          correlation_id: result.correlationId ?? null
        })
  return { state: { record: next, generation: state.generation + 1 }, event, counted: true }
}

const failed = (old: ServerRecord, result: CheckResult, when: DateTime.Utc, policy: StatusPolicy): ServerRecord => {
  const retryCount = old.retry_count + 1
  return {
    ...old,
    // Every failure ends the handshake's validity; the live protocol version goes with it.
    initialized: false,
    initialization_expires_at: null,
    protocol_version: null,
    retry_count: retryCount,
    status: retryCount >= policy.unreachableAfter ? "unreachable" : "degraded",
    last_error: typeof result.error === "string" && result.error.length > 0 ? result.error : "health check failed",
    last_error_category: result.category ?? "unknown",
    next_retry_at: DateTime.addDuration(when, backoffFor(policy, retryCount)),
    last_checked_at: when
  }
}

/** The retry window opens inclusively at `next_retry_at`. */
export const shouldRetry = (record: ServerRecord, now: DateTime.Utc): boolean =>
  record.next_retry_at === null || DateTime.greaterThanOrEqualTo(now, record.next_retry_at)

/** The handshake has expired. */
export const isExpired = (record: ServerRecord, now: DateTime.Utc): boolean =>
  record.initialization_expires_at !== null && DateTime.greaterThanOrEqualTo(now, record.initialization_expires_at)

/** A handshake is due: never done, expired, or done while the server was not healthy. */
export const needsHandshake = (record: ServerRecord, now: DateTime.Utc): boolean =>
  !record.initialized || record.status !== "healthy" || isExpired(record, now)

/** A fresh record, optimistically healthy. */
export const freshRecord = (name: string, url: string, transport: ServerRecord["transport"]): ServerRecord => ({
  name,
  url,
  transport,
  status: "healthy",
  last_error: null,
  last_error_category: null,
  retry_count: 0,
  last_checked_at: null,
  next_retry_at: null,
  initialized: false,
  protocol_version: null,
  last_initialized_at: null,
  initialization_expires_at: null,
  capability_snapshot: null
})

/** The expiry of a handshake done at `at`, or null when handshakes never expire. */
export const expiryOf = (at: DateTime.Utc, maxAge: Option.Option<Duration.Duration>): DateTime.Utc | null =>
  Option.match(maxAge, { onNone: () => null, onSome: (age) => DateTime.addDuration(at, age) })
