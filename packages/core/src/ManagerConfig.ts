import { Chunk, Context, Duration, Effect, Layer, Option, Schedule } from "effect"

/** The retry-window policy: 1 s, 2 s, 4 s, ... capped at `cap` per delay. */
export const backoffSchedule = (cap: Duration.DurationInput): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential("1 second").pipe(Schedule.modifyDelay((delay) => Duration.min(delay, cap)))

/**
 * The first `steps` delays of a backoff schedule, read off the schedule once so the status machine can stay a pure
 * function. A capped schedule saturates; the last delay repeats beyond the table, so `retry_count` can grow forever
 * without an overflowing exponent.
 */
export const backoffTable = (schedule: Schedule.Schedule<unknown>, steps = 64): ReadonlyArray<Duration.Duration> =>
  Chunk.toReadonlyArray(
    Effect.runSync(
      Schedule.run(
        Schedule.delays(Schedule.intersect(schedule, Schedule.recurs(steps))),
        0,
        Array.from({ length: steps }, () => undefined)
      )
    )
  ).slice(0, steps)

/** The manager's defaults, in one place: `makeSettings` applies them, and the gateway's config file shows them. */
export const MANAGER_DEFAULTS = {
  maxBackoffSeconds: 8,
  unreachableAfter: 3,
  maxInitializationAgeSeconds: 300,
  sessionStaleAfterSeconds: 300,
  maxInvocationEvents: 500,
  maxConnectionEvents: 1000,
  maxConcurrentCallsPerServer: 256,
  metricsMaxTools: 200
} as const

export interface ManagerOptions {
  /** Cap of the exponential backoff (default 8 s; 0 makes failed servers retryable at once). */
  readonly maxBackoff?: Duration.DurationInput
  /** A custom retry-window schedule; overrides `maxBackoff`. */
  readonly backoff?: Schedule.Schedule<unknown>
  /** `unreachable` once `retry_count` reaches this (default 3). */
  readonly unreachableAfter?: number
  /** Lifetime of a successful initialize; `null` never expires (default 300 s). */
  readonly maxInitializationAge?: Duration.DurationInput | null
  /** Freshness window of transport sessions; `null` means always recent (default 300 s). */
  readonly sessionStaleAfter?: Duration.DurationInput | null
  /** Ring-buffer size of invocation events (default 500, at least 1). */
  readonly maxInvocationEvents?: number
  /** Ring-buffer size of connection events (default 1000, at least 1). */
  readonly maxConnectionEvents?: number
  /** The bulkhead: calls in flight per server at most (default 256); over it a server is passed over as busy. */
  readonly maxConcurrentCallsPerServer?: number
  /** Distinct values of the metrics' `tool` label at most (default 200); later tools are counted as `other`. */
  readonly metricsMaxTools?: number
}

export interface ManagerSettings {
  readonly unreachableAfter: number
  readonly backoffDelays: ReadonlyArray<Duration.Duration>
  readonly maxInitializationAge: Option.Option<Duration.Duration>
  readonly sessionStaleAfter: Option.Option<Duration.Duration>
  readonly maxInvocationEvents: number
  readonly maxConnectionEvents: number
  readonly maxConcurrentCallsPerServer: number
  readonly metricsMaxTools: number
}

const nonNegative = (input: Duration.DurationInput): Duration.Duration => {
  const duration = Duration.decode(input)
  return Duration.lessThan(duration, Duration.zero) ? Duration.zero : duration
}

const optionalWindow = (input: Duration.DurationInput | null | undefined, fallback: Duration.DurationInput) =>
  input === null ? Option.none() : Option.some(nonNegative(input ?? fallback))

export const makeSettings = (options: ManagerOptions = {}): ManagerSettings => ({
  unreachableAfter: options.unreachableAfter ?? MANAGER_DEFAULTS.unreachableAfter,
  backoffDelays: backoffTable(
    options.backoff ??
      backoffSchedule(nonNegative(options.maxBackoff ?? Duration.seconds(MANAGER_DEFAULTS.maxBackoffSeconds)))
  ),
  maxInitializationAge: optionalWindow(
    options.maxInitializationAge,
    Duration.seconds(MANAGER_DEFAULTS.maxInitializationAgeSeconds)
  ),
  sessionStaleAfter: optionalWindow(
    options.sessionStaleAfter,
    Duration.seconds(MANAGER_DEFAULTS.sessionStaleAfterSeconds)
  ),
  maxInvocationEvents: Math.max(1, Math.floor(options.maxInvocationEvents ?? MANAGER_DEFAULTS.maxInvocationEvents)),
  maxConnectionEvents: Math.max(1, Math.floor(options.maxConnectionEvents ?? MANAGER_DEFAULTS.maxConnectionEvents)),
  maxConcurrentCallsPerServer: Math.max(
    1,
    Math.floor(options.maxConcurrentCallsPerServer ?? MANAGER_DEFAULTS.maxConcurrentCallsPerServer)
  ),
  metricsMaxTools: Math.max(0, Math.floor(options.metricsMaxTools ?? MANAGER_DEFAULTS.metricsMaxTools))
})

/** The manager's settings, resolved once. */
export class ManagerConfig extends Context.Tag("att/ManagerConfig")<ManagerConfig, ManagerSettings>() {
  static readonly layer = (options: ManagerOptions = {}): Layer.Layer<ManagerConfig> =>
    Layer.succeed(ManagerConfig, makeSettings(options))
  static readonly Default: Layer.Layer<ManagerConfig> = ManagerConfig.layer()
}

/** The retry window after the `retryCount`-th consecutive failure. */
export const backoffFor = (settings: Pick<ManagerSettings, "backoffDelays">, retryCount: number): Duration.Duration => {
  const table = settings.backoffDelays
  if (table.length === 0) return Duration.zero
  return table[Math.min(Math.max(retryCount, 1), table.length) - 1] ?? Duration.zero
}
