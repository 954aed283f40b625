import { Cause, type Clock, Deferred, Effect, Either, PubSub } from "effect"
import type { ServerNotFound } from "./domain/Errors.js"
import type { CallMetrics } from "./CallMetrics.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import { currentUtc } from "./CurrentUtc.js"
import {
  type StageFailure,
  classifyInitialize,
  failureOf,
  initializeRequest,
  initializedNotification,
  snapshotOf
} from "./Handshake.js"
import type { ManagerSettings } from "./ManagerConfig.js"
import { type Registry, now } from "./Registry.js"
import { type CheckResult, expiryOf, needsHandshake, shouldRetry } from "./StatusMachine.js"
import type { TransportShape } from "./Transport.js"

export interface InitializeOptions {
  /** Handshake even when the current one is valid. */
  readonly force?: boolean
  readonly correlationId?: string | null
  /** Leave the server alone while its retry window is closed (the initialize routes and connect). */
  readonly respectWindow?: boolean
}

/** A failed stage as the result recorded against the server; `since` is its generation when the attempt started. */
export const failedCheck = (failure: StageFailure, correlationId: string | null, since: number): CheckResult => ({
  healthy: false,
  error: failure.error,
  category: failure.category,
  correlationId,
  since
})

/**
 * The initialize handshake of every server, run when due and one at a time per server. `handshakes` carries the
 * name of each server as it completes one.
 */
export const makeInitialization = (
  settings: ManagerSettings,
  clock: Clock.Clock,
  registry: Registry,
  transport: TransportShape,
  metrics: CallMetrics
) =>
  Effect.gen(function* () {
    const inflight = new Map<string, Deferred.Deferred<ServerRecord, ServerNotFound>>()
    const handshakes = yield* PubSub.unbounded<string>()

    /**
     * `initialize`, then `notifications/initialized` as a real notification; a failure of either fails the whole
     * handshake (recorded once, so a server that always fails the notification escalates to unreachable). Counted,
     * and in a span of its own (handshakes are rare: the built-in tracer's cost does not matter here).
     */
    const handshake = (name: string, correlationId: string | null) =>
      Effect.gen(function* () {
        const target = yield* registry.target(name)
        const { generation } = yield* registry.state(name)
        const outcome = yield* transport.send(target, initializeRequest()).pipe(
          Effect.mapError(failureOf),
          Effect.map(classifyInitialize),
          Effect.flatMap((classified) =>
            "result" in classified
              ? transport
                  .notify(target, initializedNotification)
                  .pipe(Effect.mapError(failureOf), Effect.as(classified))
              : Effect.fail(classified)
          ),
          Effect.either
        )
        metrics.handshake(name, Either.isRight(outcome))
        if (Either.isLeft(outcome)) {
          yield* registry.record(name, failedCheck(outcome.left, correlationId, generation))
        } else {
          const at = yield* now
          const snapshot = snapshotOf(outcome.right.result, at)
          yield* registry.update(name, (record) => ({
            ...record,
            initialized: true,
            protocol_version: snapshot.protocol_version,
            last_initialized_at: at,
            initialization_expires_at: expiryOf(at, settings.maxInitializationAge),
            capability_snapshot: snapshot
          }))
          yield* registry.record(name, { healthy: true, correlationId }, at)
          yield* PubSub.publish(handshakes, name)
        }
        return yield* registry.get(name)
      }).pipe(Effect.withSpan("Manager.handshake", { captureStackTrace: false, attributes: { "att.server": name } }))

    /**
     * One handshake per server at a time: callers that arrive while one is in flight share its outcome. If the
     * owner is interrupted, a waiting caller runs `retry` (which decides afresh whether a handshake is due).
     */
    const singleFlight = (
      name: string,
      correlationId: string | null,
      retry: Effect.Effect<ServerRecord, ServerNotFound>
    ): Effect.Effect<ServerRecord, ServerNotFound> =>
      Effect.gen(function* () {
        const mine = yield* Deferred.make<ServerRecord, ServerNotFound>()
        const existing = inflight.get(name)
        if (existing !== undefined) {
          return yield* Deferred.await(existing).pipe(
            Effect.catchAllCause((cause) => (Cause.isInterruptedOnly(cause) ? retry : Effect.failCause(cause)))
          )
        }
        inflight.set(name, mine)
        return yield* handshake(name, correlationId).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => inflight.delete(name)).pipe(Effect.zipRight(Deferred.done(mine, exit)))
          )
        )
      })

    /**
     * Handshake when due (or forced), answering the raw record: a handshake that just succeeded counts for the
     * invocation that asked for it even if it expires at once. Untraced, because every invocation passes here.
     */
    const ensureInitialized = (
      name: string,
      options: InitializeOptions = {}
    ): Effect.Effect<ServerRecord, ServerNotFound> =>
      Effect.flatMap(registry.get(name), (record) => {
        const at = currentUtc(clock)
        if (options.force !== true) {
          if (!needsHandshake(record, at)) return Effect.succeed(record)
          if (options.respectWindow === true && !shouldRetry(record, at)) return Effect.succeed(record)
        }
        return singleFlight(name, options.correlationId ?? null, ensureInitialized(name, options))
      })

    return { ensureInitialized, handshakes }
  })
