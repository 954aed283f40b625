import type { ServerStoreShape, StoreUnavailable } from "@att/core"
import { SqlClient } from "@effect/sql"
import { Clock, Context, DateTime, Duration, Effect, Layer, Queue, Ref, Schedule, type Scope } from "effect"
import { unavailable } from "./Failure.js"

/** The link's state as `/ready` reports it (core's `DatabaseStatus`, the `ServerStore`'s `status`). */
type DatabaseStatus = Effect.Effect.Success<ServerStoreShape["status"]>

export interface LinkSettings {
  /** Between two checks of a link that is `ok` (a loss no store operation reported). */
  readonly watchEvery: Duration.DurationInput
  /** Between two checks while reconnecting (their input is the failure). */
  readonly reconnect: Schedule.Schedule<unknown, StoreUnavailable>
}

/** Exponential from 100 ms, then every 5 s once that is longer (`union` takes the shorter delay of the two). */
export const RECONNECT_SCHEDULE: Schedule.Schedule<unknown, StoreUnavailable> = Schedule.exponential("100 millis").pipe(
  Schedule.union(Schedule.spaced("5 seconds"))
)

export const LINK_DEFAULTS: LinkSettings = { watchEvery: "5 seconds", reconnect: RECONNECT_SCHEDULE }

/** A check of the database bounded by this: a partitioned network would otherwise hold it for the OS's timeout. */
const CHECK_TIMEOUT = Duration.seconds(2)

export interface DatabaseLinkShape {
  /** The link as last known: `ok`, or `reconnecting` with the reason, the failed checks and since when. */
  readonly status: Effect.Effect<DatabaseStatus>
  /** Whether the link is `ok` now (a read, no query). */
  readonly isOk: Effect.Effect<boolean>
  /** A store operation failed with `StoreUnavailable`: the link checks the database and reconnects if it is lost. */
  readonly lost: (error: StoreUnavailable) => Effect.Effect<void>
}

const OK: DatabaseStatus = { state: "ok" }

/**
 * The link between att and its database. While `ok`, it waits for a store operation to report a failure or for
 * its own check (every `watchEvery`) to fail; then it checks the database at once: a failure of that statement
 * alone (the database answers) changes nothing, otherwise the link is `reconnecting` and the check is retried on
 * the `reconnect` schedule, each failure counted, until the database answers. One log line each way.
 */
export class DatabaseLink extends Context.Tag("att/DatabaseLink")<DatabaseLink, DatabaseLinkShape>() {
  /** The link over `check` (one cheap statement), its fiber in the scope. */
  static readonly make = (
    check: Effect.Effect<void, StoreUnavailable>,
    settings: LinkSettings = LINK_DEFAULTS
  ): Effect.Effect<DatabaseLinkShape, never, Scope.Scope> =>
    Effect.gen(function* () {
      const state = yield* Ref.make<DatabaseStatus>(OK)
      // One report is enough to start a check; later ones while it runs add nothing.
      const reports = yield* Queue.sliding<StoreUnavailable>(1)
      let lostAtMs = 0

      const failed = (trigger: string) => (error: StoreUnavailable) =>
        Effect.gen(function* () {
          const current = yield* Ref.get(state)
          if (current.state === "reconnecting") {
            return yield* Ref.set(state, { ...current, reason: error.reason, attempts: current.attempts + 1 })
          }
          lostAtMs = yield* Clock.currentTimeMillis
          const since = DateTime.formatIso(yield* DateTime.now)
          yield* Ref.set(state, { state: "reconnecting", reason: error.reason, attempts: 1, since })
          yield* Effect.logWarning(`database link lost (${trigger}): ${error.reason}; reconnecting`)
        })

      const back = Effect.gen(function* () {
        const current = yield* Ref.get(state)
        if (current.state === "ok") return
        const tookMs = (yield* Clock.currentTimeMillis) - lostAtMs
        yield* Ref.set(state, OK)
        yield* Effect.logInfo(
          `database link back after ${current.attempts} failed checks in ${tookMs} ms (lost since ${current.since})`
        )
      })

      // The first check runs at once (it confirms the loss); the next ones follow the schedule.
      const recover = (trigger: string) =>
        check.pipe(
          Effect.tapError(failed(trigger)),
          Effect.retry(settings.reconnect),
          Effect.zipRight(back),
          Effect.withSpan("DatabaseLink.recover")
        )

      // While ok: the first of a reported failure and a failed check of the link's own (untraced: a span every few
      // seconds would only crowd the traces).
      const watched = Effect.race(
        Effect.map(Queue.take(reports), (error) => `a store operation failed: ${error.reason}`),
        Effect.forever(Effect.zipRight(Effect.sleep(settings.watchEvery), Effect.withTracerEnabled(check, false))).pipe(
          Effect.flip,
          Effect.map((error) => `the periodic check failed: ${error.reason}`)
        )
      )

      yield* watched.pipe(Effect.flatMap(recover), Effect.forever, Effect.forkScoped)

      return {
        status: Ref.get(state),
        isOk: Effect.map(Ref.get(state), (current) => current.state === "ok"),
        lost: (error) =>
          Effect.flatMap(Ref.get(state), (current) =>
            current.state === "ok" ? Queue.offer(reports, error) : Effect.void
          )
      }
    })

  /** The link of the store's `SqlClient`: its check is `SELECT 1`, bounded to 2 s. */
  static readonly layer = (
    secrets: ReadonlyArray<string> = [],
    settings: LinkSettings = LINK_DEFAULTS
  ): Layer.Layer<DatabaseLink, never, SqlClient.SqlClient> =>
    Layer.scoped(
      DatabaseLink,
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        DatabaseLink.make(
          sql`SELECT 1 AS ok`.pipe(
            Effect.timeoutFail({
              duration: CHECK_TIMEOUT,
              onTimeout: () => new Error(`the database did not answer within ${Duration.format(CHECK_TIMEOUT)}`)
            }),
            Effect.asVoid,
            Effect.mapError(unavailable("database unavailable", secrets))
          ),
          settings
        )
      )
    )
}

/** Tells the link of a `StoreUnavailable` on its way out (the operation fails as before). */
export const reportingTo =
  (link: DatabaseLinkShape) =>
  <A, R>(effect: Effect.Effect<A, StoreUnavailable, R>): Effect.Effect<A, StoreUnavailable, R> =>
    Effect.tapError(effect, link.lost)
