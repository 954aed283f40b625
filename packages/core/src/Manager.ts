import { Cause, Deferred, Effect, Either, Layer, Option, PubSub, Tracer } from "effect"
import { InvocationError, type ServerNotFound, SessionControlsUnavailable, UpstreamRejected } from "./domain/Errors.js"
import type {
  AdapterSessionDiagnostics,
  AdapterSessionStatus,
  InvocationResult
} from "./domain/Events.js"
import type { JsonRpcRequest, JsonRpcResponse } from "./domain/JsonRpc.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import type { ErrorCategory, Freshness, InvocationMethod } from "./domain/Status.js"
import type { Upstream } from "./domain/Upstream.js"
import { sameEndpoint } from "./domain/Upstream.js"
import { chooseServer, eligibleCandidates, orderCandidates } from "./Candidates.js"
import { Bulkhead } from "./Bulkhead.js"
import { currentUtc } from "./CurrentUtc.js"
import { Diagnostics } from "./Diagnostics.js"
import { classifyFreshness } from "./Freshness.js"
import {
  type Rejection,
  type StageFailure,
  classifyInitialize,
  classifyInvoke,
  failureOf,
  initializeRequest,
  initializedNotification,
  rejectionOf,
  snapshotOf
} from "./Handshake.js"
import { ManagerConfig } from "./ManagerConfig.js"
import { Probe, runProbe } from "./Probe.js"
import { type RegisterOptions, Registry, type RegistryEntry, now } from "./Registry.js"
import { InvocationLog } from "./InvocationLog.js"
import { tail } from "./RingBuffer.js"
import { type CheckResult, expiryOf, isExpired, needsHandshake, shouldRetry } from "./StatusMachine.js"
import { type SendOptions, Transport } from "./Transport.js"

/** Effect's default tracer, which records spans nowhere. */
const BUILT_IN_TRACER = Effect.runSync(Effect.tracer)

/**
 * `Effect.matchEffect` / `matchCauseEffect` with the handlers as arguments, for the invocation's hot path: tsx
 * (esbuild's keepNames) names every function written as an object key, at a `defineProperty` per closure per call.
 */
const match = <A, E, R, B, E2, R2>(
  self: Effect.Effect<A, E, R>,
  onFailure: (error: E) => Effect.Effect<B, E2, R2>,
  onSuccess: (value: A) => Effect.Effect<B, E2, R2>
) => Effect.matchEffect(self, { onFailure, onSuccess })
const matchCause = <A, E, R, B, E2, R2>(
  self: Effect.Effect<A, E, R>,
  onFailure: (cause: Cause.Cause<E>) => Effect.Effect<B, E2, R2>,
  onSuccess: (value: A) => Effect.Effect<B, E2, R2>
) => Effect.matchCauseEffect(self, { onFailure, onSuccess })

export const NO_SERVERS_MESSAGE = "No reachable MCP servers are currently available"

export interface InitializeOptions {
  /** Handshake even when the current one is valid (spec `force`). */
  readonly force?: boolean
  readonly correlationId?: string | null
  /** Leave the server alone while its retry window is closed (routes and connect: fixes G17). */
  readonly respectWindow?: boolean
}

export interface FleetOptions {
  /** How many servers are visited at once (default 1: in name order). */
  readonly concurrency?: number
}

export interface InvokeOptions {
  /** Try only these servers (still in preferred order); the seed's `preferred` only orders (G15). */
  readonly only?: ReadonlyArray<string>
  /**
   * Move on to the next server after a failure that may have reached the upstream (a timeout, a dropped
   * connection, an rpc error that is not the caller's). Default true, as the spec. False for calls that are not
   * safe to repeat: then only failures before the request was sent (initialize, a session that could not be opened)
   * fail over.
   */
  readonly failoverAfterSend?: boolean
  /** Relay the serving upstream's progress notifications (the gateway passes them to its own client). */
  readonly onProgress?: SendOptions["onProgress"]
}

export interface SessionQuery {
  readonly server?: string | undefined
  readonly freshness?: Freshness | undefined
  readonly active_only?: boolean | undefined
  readonly limit?: number | undefined
}

/**
 * The MCP client manager (spec §3–§10): registry operations, health checks, the initialize handshake, invocation
 * with ordered failover, and session controls, over whichever Transport and Probe are provided.
 */
export class Manager extends Effect.Service<Manager>()("att/Manager", {
  effect: Effect.gen(function* () {
    const settings = yield* ManagerConfig
    // The clock of the context the manager is built in (TestClock in tests): read synchronously on the hot path.
    const clock = yield* Effect.clock
    const registry = yield* Registry
    const diagnostics = yield* Diagnostics
    const transport = yield* Transport
    const probe = yield* Probe
    const inflight = new Map<string, Deferred.Deferred<ServerRecord, ServerNotFound>>()
    const bulkhead = new Bulkhead(settings.maxConcurrentCallsPerServer)
    const handshakes = yield* PubSub.unbounded<string>()

    /** A read view: an expired handshake is not shown as initialized (G16). */
    const view = (record: ServerRecord, at: Parameters<typeof isExpired>[1]): ServerRecord =>
      record.initialized && isExpired(record, at) ? { ...record, initialized: false } : record

    const get = (name: string) => Effect.zipWith(registry.get(name), now, view)
    const list = Effect.zipWith(registry.list, now, (records, at) => records.map((record) => view(record, at)))

    const failedCheck = (failure: StageFailure, correlationId: string | null, since: number): CheckResult => ({
      healthy: false,
      error: failure.error,
      category: failure.category,
      correlationId,
      since
    })
    const fail = (name: string, failure: StageFailure, correlationId: string | null, since: number) =>
      registry.record(name, failedCheck(failure, correlationId, since))

    /** Spec §5 a–d with the notification as a real notification; its failure fails the whole handshake (G10, G12). */
    const handshake = (name: string, correlationId: string | null) =>
      Effect.gen(function* () {
        const target = yield* registry.target(name)
        const { generation } = yield* registry.state(name)
        const outcome = yield* transport.send(target, initializeRequest()).pipe(
          Effect.mapError(failureOf),
          Effect.map(classifyInitialize),
          Effect.flatMap((classified) =>
            "result" in classified
              ? transport.notify(target, initializedNotification).pipe(Effect.mapError(failureOf), Effect.as(classified))
              : Effect.fail(classified)
          ),
          Effect.either
        )
        if (Either.isLeft(outcome)) {
          yield* fail(name, outcome.left, correlationId, generation)
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
      })

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

    const initializeServer = Effect.fn("Manager.initializeServer")(function* (
      name: string,
      options: InitializeOptions = {}
    ) {
      return view(yield* ensureInitialized(name, options), yield* now)
    })

    const healthCheckServer = Effect.fn("Manager.healthCheckServer")(function* (name: string) {
      const record = yield* registry.get(name)
      if (!shouldRetry(record, yield* now)) return yield* get(name)
      const result = yield* runProbe(probe, yield* registry.target(name))
      yield* registry.record(name, {
        healthy: result.healthy,
        error: result.error,
        category: result.healthy ? null : "health_check"
      })
      return yield* get(name)
    })

    const connectServer = Effect.fn("Manager.connectServer")(function* (name: string, force = false) {
      const checked = yield* healthCheckServer(name)
      if (!force && (checked.status === "unreachable" || !shouldRetry(checked, yield* now))) return checked
      return yield* initializeServer(name, { force, respectWindow: !force })
    })

    /** Visit every registered server; one that vanished meanwhile is left out. */
    const forAll = (f: (name: string) => Effect.Effect<ServerRecord, ServerNotFound>, options: FleetOptions = {}) =>
      registry.names.pipe(
        Effect.flatMap((names) =>
          Effect.forEach(names, (name) => Effect.option(f(name)), { concurrency: options.concurrency ?? 1 })
        ),
        Effect.map((records) => records.flatMap(Option.toArray))
      )

    /**
     * One invocation, spec §7.4: candidates in order, each initialized when due, until one answers. A class with
     * plain continuations (no generators): a call allocates one object instead of a named closure per step, which
     * matters on the hot path (tsx names every named closure it creates, at a `defineProperty` each). Every method
     * is called while the invocation runs (from a continuation), so its bookkeeping and registry reads happen then.
     */
    class Invocation {
      readonly sendOptions: SendOptions | undefined

      constructor(
        readonly candidates: ReadonlyArray<ServerRecord>,
        readonly request: JsonRpcRequest,
        readonly options: InvokeOptions,
        readonly log: InvocationLog
      ) {
        this.sendOptions = options.onProgress === undefined ? undefined : { onProgress: options.onProgress }
      }

      /**
       * From the candidate at `index` on; the invocation error when none is left (or a failure must not repeat), the
       * upstream's rejection when one answers that the request itself is at fault.
       */
      from(index: number): Effect.Effect<InvocationResult, InvocationError | UpstreamRejected> {
        const candidate = this.candidates[index]
        if (candidate === undefined || this.log.stopAt !== null) return Effect.fail(this.log.exhausted())
        const name = candidate.name
        // The bulkhead: a saturated server is passed over without a health failure (it is busy, not broken).
        if (!bulkhead.tryAcquire(name)) {
          this.log.busy(name, bulkhead.limit)
          return this.from(index + 1)
        }
        // The slot is released however the attempt ends (interruption included); the next candidate runs with
        // the caller's interruptibility, outside the mask.
        return Effect.uninterruptibleMask((restore) =>
          matchCause(
            restore(this.attempt(name)),
            (cause) => {
              bulkhead.release(name)
              return Effect.failCause(cause)
            },
            (served) => {
              bulkhead.release(name)
              return served === null ? restore(this.from(index + 1)) : Effect.succeed(served)
            }
          )
        )
      }

      /**
       * One candidate: the invocation result, or null to go on to the next candidate (or the upstream's rejection).
       * A server whose handshake is valid goes straight to the invoke stage, read in the same synchronous step (what
       * `ensureInitialized` would answer, without its effects); otherwise the handshake runs first.
       */
      attempt(name: string): Effect.Effect<InvocationResult | null, UpstreamRejected> {
        this.log.event(name, "initialize_start")
        const entry = registry.unsafeEntry(name)
        if (entry === undefined) return this.initializeFailed(name, null)
        if (!needsHandshake(entry.state.record, currentUtc(clock))) {
          return this.invokeOn(name, entry)
        }
        return Effect.flatMap(Effect.either(ensureInitialized(name, { correlationId: this.log.requestId })), (initialized) =>
          Either.isLeft(initialized)
            ? this.initializeFailed(name, null)
            : initialized.right.initialized
              ? this.invokeOn(name, registry.unsafeEntry(name))
              : this.initializeFailed(name, initialized.right)
        )
      }

      initializeFailed(name: string, record: ServerRecord | null) {
        const failure: StageFailure =
          record === null
            ? { error: "server not found", category: "initialize_error" }
            : {
                error: record.last_error ?? "initialize failed",
                category: (record.last_error_category ?? "initialize_error") satisfies ErrorCategory
              }
        this.log.event(name, "initialize_failure", failure)
        this.log.failed(name, "initialize", failure, record === null ? "server not found" : `initialize failed (${failure.error})`)
        return Effect.succeed(null)
      }

      /** The invoke stage on an initialized server (spec §7.4 steps 3–5); `entry` is the server as read just now. */
      invokeOn(name: string, entry: RegistryEntry | undefined): Effect.Effect<InvocationResult | null, UpstreamRejected> {
        this.log.event(name, "initialize_success")
        this.log.succeeded(name, "initialize")
        this.log.event(name, "invoke_start")
        if (entry === undefined) return this.invokeFailed(name, { error: "server not found", category: "initialize_error" }, null)
        const generation = entry.state.generation
        return match(
          transport.send(entry.target, this.request, this.sendOptions),
          (error) => this.invokeFailed(name, failureOf(error), generation),
          (response) => {
            const failure = classifyInvoke(response)
            if (failure === null) return this.invokeSucceeded(name, response)
            const rejection = rejectionOf(response)
            return rejection === null ? this.invokeFailed(name, failure, generation) : this.invokeRejected(name, failure, rejection)
          }
        )
      }

      invokeFailed(name: string, failure: StageFailure, generation: number | null) {
        this.log.event(name, "invoke_failure", failure)
        this.log.failed(name, "invoke", failure, failure.error)
        // A failure of this call alone says nothing about the server, and another server would fail the same way.
        if (failure.callOnly === true) {
          this.log.stop(name, "callOnly")
          return Effect.succeed(null)
        }
        if (this.options.failoverAfterSend === false && failure.unsent !== true) this.log.stop(name, "unsafe")
        if (generation !== null) registry.unsafeRecord(name, failedCheck(failure, this.log.requestId, generation))
        return Effect.succeed(null)
      }

      /**
       * The upstream answered that the request itself is at fault: the answer is the caller's, as sent. The server
       * answered, so its health is unchanged, and another server would answer the same: no failover.
       */
      invokeRejected(name: string, failure: StageFailure, rejection: Rejection) {
        this.log.event(name, "invoke_failure", failure)
        const { method, requestId } = this.log
        return Effect.fail(new UpstreamRejected({ server: name, method, request_id: requestId, ...rejection }))
      }

      invokeSucceeded(name: string, response: JsonRpcResponse) {
        this.log.event(name, "invoke_success")
        this.log.succeeded(name, "invoke")
        const requestId = this.log.requestId
        const served: InvocationResult = { server: name, method: this.log.method, request_id: requestId, result: response.result, raw_response: response }
        registry.unsafeRecord(name, { healthy: true, correlationId: requestId })
        return Effect.succeed(served)
      }
    }

    /** Spec §7: the candidates in order (§7.1, §7.2), then the invocation over them. */
    const invokeUntraced = (
      method: InvocationMethod,
      params: Record<string, unknown>,
      preferred: ReadonlyArray<string> | null | undefined,
      options: InvokeOptions = {}
    ): Effect.Effect<InvocationResult, InvocationError | UpstreamRejected> =>
      Effect.suspend(() => {
        const registered = registry.unsafeList()
        const startedAt = currentUtc(clock)
        const only = options.only === undefined ? null : new Set(options.only)
        const records = only === null ? registered : registered.filter((record) => only.has(record.name))
        const candidates = eligibleCandidates(orderCandidates(records, preferred), startedAt)
        if (candidates.length === 0) {
          return Effect.fail(new InvocationError({ message: NO_SERVERS_MESSAGE, method, request_id: null, attempts: [] }))
        }
        const requestId = crypto.randomUUID()
        const request: JsonRpcRequest = { jsonrpc: "2.0", id: requestId, method, params }
        const log = new InvocationLog(method, requestId, diagnostics.unsafeRecordInvocation, clock, registry.unsafeRedact)
        return new Invocation(candidates, request, options, log).from(0)
      })
    /**
     * Spec §7, traced: one span per invocation, without a stack trace, when a tracer is installed (Effect's built-in
     * tracer keeps spans nowhere, so none is made for it: a span is a fifth of the hot path's allocations). The span
     * is not made the parent of what runs inside (nothing inside opens spans), which saves a context swap per call.
     */
    const invoke = (...args: Parameters<typeof invokeUntraced>) =>
      Tracer.tracerWith((tracer) =>
        tracer === BUILT_IN_TRACER
          ? invokeUntraced(...args)
          : Effect.useSpan("Manager.invoke", { captureStackTrace: false, attributes: { method: args[0] } }, () =>
              invokeUntraced(...args)
            )
      )

    const requireControls = Option.match(transport.sessions, {
      onNone: () => Effect.fail(new SessionControlsUnavailable()),
      onSome: Effect.succeed
    })

    const sessionDiagnostics = (name: string) =>
      Effect.gen(function* () {
        yield* registry.get(name)
        if (Option.isNone(transport.sessions)) return Option.none<AdapterSessionDiagnostics>()
        const raw = yield* transport.sessions.value.diagnostics(name)
        const freshness = classifyFreshness(raw, yield* now, settings.sessionStaleAfter)
        return Option.some<AdapterSessionDiagnostics>({ ...raw, freshness })
      })

    const invalidateSession = Effect.fn("Manager.invalidateSession")(function* (name: string) {
      yield* registry.get(name)
      const controls = yield* requireControls
      const existed = yield* controls.invalidate(name)
      yield* registry.update(name, (record) => ({
        ...record,
        initialized: false,
        initialization_expires_at: null,
        protocol_version: null
      }))
      return existed
    })

    return {
      register: Effect.fn("Manager.register")(function* (
        name: string,
        upstream: Upstream,
        options: RegisterOptions = {}
      ) {
        const { record, previous } = yield* registry.register(name, upstream, options)
        // A replaced endpoint must not keep talking to the old session (G6).
        if (Option.isSome(previous) && !sameEndpoint(previous.value.upstream, upstream)) {
          yield* transport.release(name)
        }
        return record
      }),
      unregister: Effect.fn("Manager.unregister")(function* (name: string) {
        const removed = yield* registry.unregister(name)
        if (Option.isSome(removed)) yield* transport.release(name)
        return Option.isSome(removed)
      }),
      get,
      list,
      recordCheckResult: (name: string, result: CheckResult) => registry.record(name, result),
      markDegraded: (name: string, reason = "manual degrade") =>
        registry.record(name, { healthy: false, error: reason }),
      markHealthy: (name: string) => registry.record(name, { healthy: true }),
      shouldRetry: (name: string) =>
        Effect.zipWith(registry.find(name), now, (record, at) => Option.isSome(record) && shouldRetry(record.value, at)),
      chooseServer: (preferred?: ReadonlyArray<string> | null) =>
        Effect.map(registry.list, (records) => Option.fromNullable(chooseServer(records, preferred))),

      initializeServer,
      initializeAll: (options: InitializeOptions & FleetOptions = {}) =>
        forAll((name) => initializeServer(name, { ...options, correlationId: null }), options),
      healthCheckServer,
      healthCheckAll: (options: FleetOptions = {}) => forAll(healthCheckServer, options),
      connectServer,
      connectAll: (options: FleetOptions = {}) => forAll((name) => connectServer(name), options),

      invokeTool: (
        toolName: string,
        args?: Record<string, unknown> | null,
        preferred?: ReadonlyArray<string> | null,
        options?: InvokeOptions
      ) => invoke("tools/call", { name: toolName, arguments: args ?? {} }, preferred, options),
      readResource: (uri: string, preferred?: ReadonlyArray<string> | null, options?: InvokeOptions) =>
        invoke("resources/read", { uri }, preferred, options),
      /** `prompts/get` with the same failover as tools and resources (used by the gateway's `/mcp`). */
      getPrompt: (
        name: string,
        args?: Record<string, string> | null,
        preferred?: ReadonlyArray<string> | null,
        options?: InvokeOptions
      ) => invoke("prompts/get", args === undefined || args === null ? { name } : { name, arguments: args }, preferred, options),
      /** `completion/complete` (params as MCP has them) with the same failover. */
      complete: (params: Record<string, unknown>, preferred?: ReadonlyArray<string> | null, options?: InvokeOptions) =>
        invoke("completion/complete", params, preferred, options),

      /** Subscribe (for the enclosing scope) to the names of servers as each completes a handshake. */
      subscribeHandshakes: PubSub.subscribe(handshakes),

      listEvents: diagnostics.listConnectionEvents,
      listInvocationEvents: diagnostics.listInvocationEvents,
      connectionEventPage: diagnostics.connectionEventPage,
      invocationEventPage: diagnostics.invocationEventPage,

      sessionControlsAvailable: Option.isSome(transport.sessions),
      sessionDiagnostics,
      listSessions: (query: SessionQuery = {}) =>
        Effect.gen(function* () {
          if (Option.isNone(transport.sessions)) return [] as ReadonlyArray<AdapterSessionStatus>
          const controls = transport.sessions.value
          const at = yield* now
          const names = yield* registry.names
          const statuses = yield* Effect.forEach(names, (server) =>
            Effect.map(controls.diagnostics(server), (raw): AdapterSessionStatus => ({
              server,
              ...raw,
              freshness: classifyFreshness(raw, at, settings.sessionStaleAfter)
            }))
          )
          return tail(
            statuses.filter(
              (status) =>
                (query.server === undefined || status.server === query.server) &&
                (query.freshness === undefined || status.freshness === query.freshness) &&
                (query.active_only !== true || status.active)
            ),
            query.limit
          )
        }),
      invalidateSession,
      refreshSession: Effect.fn("Manager.refreshSession")(function* (name: string) {
        yield* invalidateSession(name)
        return yield* initializeServer(name, { force: true })
      })
    }
  })
}) {
  /** The manager with its Registry and Diagnostics, which stay reachable for callers; needs Transport, Probe, ManagerConfig. */
  static readonly layer = Manager.Default.pipe(
    Layer.provideMerge(Registry.Default),
    Layer.provideMerge(Diagnostics.Default)
  )
}
