import { Cause, type Clock, Deferred, Effect, Either, Option, PubSub } from "effect"
import type { CallMetrics } from "./CallMetrics.js"
import { currentUtc } from "./CurrentUtc.js"
import { type ServerNotFound, TransportError } from "./domain/Errors.js"
import { asJsonObject } from "./domain/JsonRpc.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import { type UpstreamTarget, slotOf } from "./domain/Upstream.js"
import { type StageFailure, failureOf, snapshotOf } from "./Handshake.js"
import type { ManagerSettings } from "./ManagerConfig.js"
import { type Registry, now } from "./Registry.js"
import { type CheckResult, expiryOf, needsHandshake, shouldRetry } from "./StatusMachine.js"
import type { SessionBudgetShape } from "./SessionBudget.js"
import type { TransportShape } from "./Transport.js"

export interface InitializeOptions {
  /** A new session and its handshake even when the current one is valid. */
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

/** The budget has no place for a client's own session: that call fails alone, and the server's health is unchanged. */
const noPlace = (max: number) =>
  new TransportError({
    message: `no upstream session of its own for this client: every place is taken (max_mcp_sessions ${max})`,
    category: "transport_error",
    unsent: true,
    callOnly: true
  })

/** A session could not be opened again; `recorded` when the failure is already on the server's record. */
export interface ReopenFailure {
  readonly failure: StageFailure
  readonly recorded: boolean
}

/**
 * The Manager's sessions with its upstreams: it opens every one (the transport never does) and records what the
 * upstream answered to its handshake. A handshake is due when the server was never initialized, is not healthy, or
 * its initialization expired; then the live session is asked (`ping`) and, if it still answers, its handshake holds:
 * no second `initialize` on a session, only with a new one. Opens are single-flight per slot. `handshakes` carries
 * a server's name each time a new session is opened for it (its snapshot recorded); `refreshes`, each time its
 * lists may have changed (a new session, or a live one verified).
 */
export const makeInitialization = (
  settings: ManagerSettings,
  clock: Clock.Clock,
  registry: Registry,
  transport: TransportShape,
  metrics: CallMetrics,
  budget: Option.Option<SessionBudgetShape>
) =>
  Effect.gen(function* () {
    const inflight = new Map<string, Deferred.Deferred<ServerRecord, ServerNotFound>>()
    const clientOpens = new Map<string, Deferred.Deferred<void, TransportError>>()
    /** Per slot, how many sessions the Manager opened there: a lost session is replaced once, by whoever sees it first. */
    const opened = new Map<string, number>()
    /** The client slots open, each holding a place of the budget: by slot, the server and the client. */
    const clientSlots = new Map<string, { readonly server: string; readonly client: string }>()
    const handshakes = yield* PubSub.unbounded<string>()
    const refreshes = yield* PubSub.unbounded<string>()

    const countOpen = (slot: string) => opened.set(slot, (opened.get(slot) ?? 0) + 1)

    /**
     * A new shared session for the server: the upstream's answer to its handshake is the server's snapshot. Counted,
     * and in a span of its own (handshakes are rare: the built-in tracer's cost does not matter here).
     */
    const handshake = (name: string, correlationId: string | null) =>
      Effect.gen(function* () {
        const target = yield* registry.target(name)
        const { generation } = yield* registry.state(name)
        const outcome = yield* Effect.either(transport.open(target))
        const result = Either.isRight(outcome) ? asJsonObject(outcome.right) : null
        metrics.handshake(name, result !== null)
        if (result === null) {
          const failure: StageFailure = Either.isLeft(outcome)
            ? failureOf(outcome.left)
            : { error: "rpc error: invalid initialize result", category: "invalid_payload" }
          yield* registry.record(name, failedCheck(failure, correlationId, generation))
          return yield* registry.get(name)
        }
        countOpen(name)
        const at = yield* now
        const snapshot = snapshotOf(result, at)
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
        yield* PubSub.publish(refreshes, name)
        return yield* registry.get(name)
      }).pipe(Effect.withSpan("Manager.handshake", { captureStackTrace: false, attributes: { "att.server": name } }))

    /**
     * The handshake of the server's live session still holds if the session answers a `ping` (an error answer is an
     * answer): valid for another `max_initialization_age`, its lists fetched again. Without a session, a new one.
     */
    const refresh = (name: string, correlationId: string | null) =>
      Effect.gen(function* () {
        const target = yield* registry.target(name)
        const { generation } = yield* registry.state(name)
        const pinged = yield* Effect.either(transport.request(target, "ping", {}))
        if (Either.isLeft(pinged)) {
          if (pinged.left.sessionLost === true) return yield* handshake(name, correlationId)
          yield* registry.record(name, failedCheck(failureOf(pinged.left), correlationId, generation))
          return yield* registry.get(name)
        }
        const at = yield* now
        yield* registry.update(name, (record) => ({
          ...record,
          initialized: true,
          initialization_expires_at: expiryOf(at, settings.maxInitializationAge)
        }))
        yield* registry.record(name, { healthy: true, correlationId }, at)
        yield* PubSub.publish(refreshes, name)
        return yield* registry.get(name)
      })

    /**
     * One handshake per server at a time: callers that arrive while one is in flight share its outcome. If the
     * owner is interrupted, a waiting caller runs `retry` (which decides afresh whether a handshake is due).
     */
    const singleFlight = (
      name: string,
      run: Effect.Effect<ServerRecord, ServerNotFound>,
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
        return yield* run.pipe(
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
        const force = options.force === true
        if (!force) {
          if (!needsHandshake(record, at)) return Effect.succeed(record)
          if (options.respectWindow === true && !shouldRetry(record, at)) return Effect.succeed(record)
        }
        const correlationId = options.correlationId ?? null
        return singleFlight(
          name,
          force ? handshake(name, correlationId) : refresh(name, correlationId),
          ensureInitialized(name, options)
        )
      })

    /** A place of the budget for a new client slot (one already open keeps its place); false when none is left. */
    const placeFor = (slot: string) => clientSlots.has(slot) || Option.isNone(budget) || budget.value.tryAcquire()

    /** Give back the places of the client slots `ending` picks (their sessions are closed). */
    const releaseClientSlots = (ending: (server: string, client: string) => boolean) =>
      Effect.sync(() => {
        for (const [slot, { server, client }] of clientSlots) {
          if (!ending(server, client)) continue
          clientSlots.delete(slot)
          if (Option.isSome(budget)) budget.value.release()
        }
      })

    /**
     * A new session of one client's own (`UpstreamTarget.clientSession`), single-flight per slot; no snapshot. It
     * takes a place of the session budget (shared with `/mcp` sessions) until the client goes or the server does;
     * with none left, the call fails alone.
     */
    const openClientSession = (target: UpstreamTarget, slot: string): Effect.Effect<void, TransportError> =>
      Effect.flatMap(Deferred.make<void, TransportError>(), (mine) => {
        const existing = clientOpens.get(slot)
        if (existing !== undefined) return Deferred.await(existing)
        const counted = clientSlots.has(slot)
        if (!placeFor(slot))
          return Effect.fail(noPlace(Option.match(budget, { onNone: () => 0, onSome: (b) => b.max })))
        clientOpens.set(slot, mine)
        return transport.open(target).pipe(
          Effect.tapBoth({
            onFailure: () =>
              Effect.sync(() => {
                if (!counted && Option.isSome(budget)) budget.value.release()
                metrics.handshake(target.name, false)
              }),
            onSuccess: () =>
              Effect.sync(() => {
                countOpen(slot)
                clientSlots.set(slot, { server: target.name, client: target.clientSession ?? "" })
                metrics.handshake(target.name, true)
              })
          }),
          Effect.asVoid,
          Effect.onExit((exit) =>
            Effect.sync(() => clientOpens.delete(slot)).pipe(Effect.zipRight(Deferred.done(mine, exit)))
          )
        )
      })

    /**
     * Replace the session a request found missing (`sessionLost`), unless another caller already did since `seen`
     * (the slot's count of opens when the request was sent). A shared session is opened by a new handshake,
     * recorded against the server; a client's own, on its own.
     */
    const reopen = (
      target: UpstreamTarget,
      seen: number,
      correlationId: string | null
    ): Effect.Effect<void, ReopenFailure> =>
      Effect.suspend(() => {
        const slot = slotOf(target)
        if ((opened.get(slot) ?? 0) !== seen) return Effect.void
        if (target.clientSession !== undefined)
          return Effect.mapError(openClientSession(target, slot), (error) => ({
            failure: failureOf(error),
            recorded: false
          }))
        return Effect.catchAll(
          ensureInitialized(target.name, { force: true, correlationId }),
          (): Effect.Effect<ServerRecord, ReopenFailure> =>
            Effect.fail({ failure: { error: "server not found", category: "initialize_error" }, recorded: true })
        ).pipe(
          Effect.flatMap((record) =>
            record.initialized && (opened.get(slot) ?? 0) !== seen
              ? Effect.void
              : Effect.fail<ReopenFailure>({
                  failure: {
                    error: record.last_error ?? "initialize failed",
                    category: record.last_error_category ?? "initialize_error",
                    unsent: true
                  },
                  recorded: true
                })
          )
        )
      })

    return {
      ensureInitialized,
      reopen,
      /** The slot's count of opens, read when a request is sent (see `reopen`). */
      opens: (target: UpstreamTarget) => opened.get(slotOf(target)) ?? 0,
      releaseClientSlots,
      handshakes,
      refreshes
    }
  })
