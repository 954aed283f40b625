import { Effect, Layer, Option, PubSub, Queue } from "effect"
import type { ServerNotFound } from "./domain/Errors.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import type { Upstream } from "./domain/Upstream.js"
import { sameEndpoint } from "./domain/Upstream.js"
import { chooseServer } from "./Candidates.js"
import { Bulkhead } from "./Bulkhead.js"
import { CallMetrics } from "./CallMetrics.js"
import { Diagnostics } from "./Diagnostics.js"
import { type InitializeOptions, makeInitialization } from "./Initialization.js"
import { type InvokeOptions, makeInvoke } from "./Invocation.js"
import { ManagerConfig } from "./ManagerConfig.js"
import { Probe, runProbe } from "./Probe.js"
import { type RegisterOptions, Registry, now } from "./Registry.js"
import { SessionBudget } from "./SessionBudget.js"
import { makeSessionOperations } from "./SessionOperations.js"
import { type CheckResult, isExpired, shouldRetry } from "./StatusMachine.js"
import { type ParamsOf, Transport } from "./Transport.js"
import type { InvocationMethod } from "./domain/Status.js"

export type { InitializeOptions } from "./Initialization.js"
export { type InvokeOptions, NO_SERVERS_MESSAGE } from "./Invocation.js"
export type { SessionQuery } from "./SessionOperations.js"

/** How many registrations a reader of `subscribeRegistrations` may fall behind before names are dropped. */
const REGISTRATIONS_BUFFER = 4096

export interface FleetOptions {
  /** How many servers are visited at once (default 1: in name order). */
  readonly concurrency?: number
}

/**
 * The MCP client manager: registry operations, health checks, the initialize handshake, invocation
 * with ordered failover, and session controls, over whichever Transport and Probe are provided. The handshake is
 * in `Initialization.ts`, the invocation walk in `Invocation.ts`, the session controls in `SessionOperations.ts`.
 */
export class Manager extends Effect.Service<Manager>()("att/Manager", {
  scoped: Effect.gen(function* () {
    const settings = yield* ManagerConfig
    // The clock of the context the manager is built in (TestClock in tests): read synchronously on the hot path.
    const clock = yield* Effect.clock
    const registry = yield* Registry
    const diagnostics = yield* Diagnostics
    const transport = yield* Transport
    const probe = yield* Probe
    const metrics = new CallMetrics(clock, settings.metricsMaxTools)
    const budget = yield* Effect.serviceOption(SessionBudget)
    const { ensureInitialized, reopen, opens, releaseClientSlots, handshakes, refreshes } = yield* makeInitialization(
      settings,
      clock,
      registry,
      transport,
      metrics,
      budget
    )
    const bulkhead = new Bulkhead(settings.maxConcurrentCallsPerServer)
    // The names registered (or replaced), for what follows every registration off its path (the gateway's restore
    // of stored capability snapshots). Bounded: a reader that falls this far behind loses names, counted and logged.
    const registrations = yield* PubSub.dropping<string>(REGISTRATIONS_BUFFER)
    let registrationsDropped = 0
    const invoke = makeInvoke({
      registry,
      diagnostics,
      transport,
      bulkhead,
      metrics,
      clock,
      ensureInitialized,
      reopen,
      opens
    })

    /** A read view: once the handshake has expired, reads show `initialized: false`. */
    const view = (record: ServerRecord, at: Parameters<typeof isExpired>[1]): ServerRecord =>
      record.initialized && isExpired(record, at) ? { ...record, initialized: false } : record

    const get = (name: string) => Effect.zipWith(registry.get(name), now, view)
    const list = Effect.zipWith(registry.list, now, (records, at) => records.map((record) => view(record, at)))

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
      // No session to ask: the health check is a handshake on a new one (the Manager opens every session).
      if (result.sessionLost === true) return yield* initializeServer(name, { force: true })
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

    const sessions = makeSessionOperations(settings, registry, transport, initializeServer)

    // An upstream's request refused for want of a call to name is an invocation event of its own (the request's id
    // is the upstream's): visible where the calls' events are, beside the transport's log line.
    const refusals = yield* transport.subscribeRefusedRequests
    yield* Queue.take(refusals).pipe(
      Effect.flatMap((refused) =>
        Effect.map(now, (timestamp) =>
          diagnostics.unsafeRecordInvocation({
            server: refused.server,
            method: refused.method,
            request_id: String(refused.id),
            phase: "upstream_request_refused",
            timestamp,
            error: refused.reason,
            error_category: null
          })
        )
      ),
      Effect.forever,
      Effect.forkScoped
    )

    return {
      register: Effect.fn("Manager.register")(function* (
        name: string,
        upstream: Upstream,
        options: RegisterOptions = {}
      ) {
        const { record, previous } = yield* registry.register(name, upstream, options)
        // A name re-registered at another endpoint must not keep talking to the old endpoint's session.
        if (Option.isSome(previous) && !sameEndpoint(previous.value.upstream, upstream)) {
          yield* transport.release(name)
          yield* releaseClientSlots((server) => server === name)
        }
        if (!(yield* PubSub.publish(registrations, name))) {
          registrationsDropped += 1
          yield* Effect.logWarning(
            `registration of ${name} not announced: ${registrationsDropped} dropped (a reader fell behind)`
          )
        }
        return record
      }),
      unregister: Effect.fn("Manager.unregister")(function* (name: string) {
        const removed = yield* registry.unregister(name)
        if (Option.isSome(removed)) {
          yield* transport.release(name)
          yield* releaseClientSlots((server) => server === name)
        }
        return Option.isSome(removed)
      }),
      get,
      list,
      recordCheckResult: (name: string, result: CheckResult) => registry.record(name, result),
      markDegraded: (name: string, reason = "manual degrade") =>
        registry.record(name, { healthy: false, error: reason }),
      markHealthy: (name: string) => registry.record(name, { healthy: true }),
      shouldRetry: (name: string) =>
        Effect.zipWith(
          registry.find(name),
          now,
          (record, at) => Option.isSome(record) && shouldRetry(record.value, at)
        ),
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
      ) =>
        invoke(
          "prompts/get",
          args === undefined || args === null ? { name } : { name, arguments: args },
          preferred,
          options
        ),
      /** `completion/complete` (params as MCP has them) with the same failover. */
      complete: (params: Record<string, unknown>, preferred?: ReadonlyArray<string> | null, options?: InvokeOptions) =>
        invoke("completion/complete", params, preferred, options),

      /**
       * One request of a client's on one server (a list's page, a subscription, the log level), through the same
       * walk as a call: its session opened when due, the bulkhead, the timeout, invocation events, the server's
       * health. Never fails over: the request is about that server.
       */
      request: <M extends InvocationMethod>(
        server: string,
        method: M,
        params: ParamsOf<M>,
        options?: Omit<InvokeOptions, "only">
      ) => invoke(method, params as Record<string, unknown>, null, { ...options, only: [server] }),

      /** Subscribe (for the enclosing scope) to the names of servers as a new session is opened for each. */
      subscribeHandshakes: PubSub.subscribe(handshakes),
      /** Subscribe (for the enclosing scope) to the names of servers as each is registered or replaced. */
      subscribeRegistrations: PubSub.subscribe(registrations),
      /** Subscribe (for the enclosing scope) to the names of servers whose lists may have changed (see `refreshes`). */
      subscribeRefreshes: PubSub.subscribe(refreshes),
      /** The upstreams' notifications, as they arrive (for the enclosing scope). */
      subscribeListChanges: transport.subscribeListChanges,
      subscribeResourceUpdates: transport.subscribeResourceUpdates,
      subscribeLogMessages: transport.subscribeLogMessages,
      /** Close the upstream sessions of one client's own, as it goes (their places of the session budget freed). */
      releaseClient: (client: string) =>
        Effect.zipRight(
          transport.releaseClient(client),
          releaseClientSlots((_, owner) => owner === client)
        ),

      listEvents: diagnostics.listConnectionEvents,
      listInvocationEvents: diagnostics.listInvocationEvents,
      connectionEventPage: diagnostics.connectionEventPage,
      invocationEventPage: diagnostics.invocationEventPage,

      ...sessions
    }
  })
}) {
  /** The manager with its Registry and Diagnostics, which stay reachable for callers; needs Transport, Probe, ManagerConfig. */
  static readonly layer = Manager.Default.pipe(
    Layer.provideMerge(Registry.Default),
    Layer.provideMerge(Diagnostics.Default)
  )
}
