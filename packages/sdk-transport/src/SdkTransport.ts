import {
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type ListChange,
  type LogMessage,
  type Progress,
  type ResourceUpdate,
  type SendOptions,
  type SessionDiagnostics,
  Transport,
  TransportError,
  type UpstreamTarget
} from "@att/core"
import { currentUtc, now } from "@att/core/internal"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  InitializeResultSchema,
  LATEST_PROTOCOL_VERSION,
  GetPromptResultSchema,
  type JSONRPCMessage,
  ListPromptsResultSchema,
  ListResourceTemplatesResultSchema,
  ListResourcesResultSchema,
  ListToolsResultSchema,
  LoggingMessageNotificationSchema,
  type McpError,
  PromptListChangedNotificationSchema,
  ReadResourceResultSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { readFileSync } from "node:fs"
import { z } from "zod"
import { type DateTime, type Duration, Effect, Exit, Layer, Option, PubSub, Runtime, Scope } from "effect"
import { CallSignal } from "./CallSignal.js"
import { categorize, invalidatesSession, isUpstreamRpcError, neverSent, refusesReinitialize } from "./Categorize.js"
import { type UpstreamConnection, connectionFor } from "./Connection.js"
import { ObservedTransport } from "./ObservedTransport.js"
import { DEFAULT_MAX_RESULT_BYTES, oversizedLimit } from "./ResultLimit.js"

export interface SdkTransportOptions {
  /** Per-call timeout unless the target overrides it (default 10 s). */
  readonly callTimeoutMs?: number
  /**
   * Bound on opening a session (connect + initialize), a stdio child's start-up included; defaults to the call
   * timeout. Set it longer than a short call timeout when an upstream is slow to start.
   */
  readonly connectTimeoutMs?: number
  readonly clientInfo?: { readonly name: string; readonly version: string }
  /**
   * Asked about every address an HTTP upstream's connections go to (resolved names and literal addresses,
   * redirects included): a reason refuses the connection, and the call fails as `transport_error`, never sent.
   * The gateway refuses link-local and private addresses for servers registered over HTTP (G2).
   */
  readonly refuseAddress?: (target: UpstreamTarget, address: string) => string | null
  /**
   * Bound on one message from an upstream (a result; an SSE event; a line of a stdio child), default 16 MiB. A bigger
   * one is never held whole: the call it answered fails alone (`invalid_payload`, naming the limit), the session and
   * its other calls go on.
   */
  readonly maxResultBytes?: number
}

/**
 * The result schema of each method att forwards upstream. A list's items are passed on as they came: the SDK's item
 * schemas would reject the whole list for one malformed item, and the gateway judges each item on its own.
 */
const RESULT_SCHEMAS = {
  ping: EmptyResultSchema,
  "tools/call": CallToolResultSchema,
  "tools/list": ListToolsResultSchema.extend({ tools: z.array(z.unknown()) }),
  "resources/read": ReadResourceResultSchema,
  "resources/list": ListResourcesResultSchema.extend({ resources: z.array(z.unknown()) }),
  "resources/templates/list": ListResourceTemplatesResultSchema.extend({ resourceTemplates: z.array(z.unknown()) }),
  "prompts/list": ListPromptsResultSchema.extend({ prompts: z.array(z.unknown()) }),
  "prompts/get": GetPromptResultSchema,
  "completion/complete": CompleteResultSchema,
  "resources/subscribe": EmptyResultSchema,
  "resources/unsubscribe": EmptyResultSchema
} as const

type ForwardedMethod = keyof typeof RESULT_SCHEMAS
const isForwarded = (method: string): method is ForwardedMethod => Object.hasOwn(RESULT_SCHEMAS, method)

interface Session {
  readonly name: string
  readonly client: Client
  /** The client's transport, which keeps the responses to forwarded requests as received. */
  readonly transport: ObservedTransport
  readonly scope: Scope.CloseableScope
  /** The raw `result` of this session's latest initialize (kept current by the session's transport). */
  readonly handshake: { result: Record<string, unknown> }
  /** The SDK sent `notifications/initialized` during connect; the manager's own notify is then a no-op. */
  notificationPending: boolean
  /** An `initialize` request has used this session's handshake; the next one initializes it again (`reinitialize`). */
  claimed: boolean
  lastActivity: DateTime.Utc | null
  /** Requests sent on this session and not settled yet. */
  inFlight: number
  /** Requests the upstream has answered on this session (a result or an rpc error): evidence it is responsive. */
  answers: number
  /** Where this session's progress notifications go, by the progress token att put on the request. */
  readonly progress: Map<string, (progress: Progress) => void>
  /** How the session ends: with `terminate`, an HTTP session is ended at the upstream too (`DELETE`). */
  readonly ending: Ending
}

/** False once the upstream broke the session or went silent on it: telling it the session ended is pointless then. */
interface Ending {
  terminate: boolean
}

/**
 * An upstream's `notifications/progress` for a token att issued, delivered at once. The SDK's own `onprogress`
 * dispatches a notification a microtask late but settles a response at once, so a last progress notification that
 * arrives with the result (one stdio read) is dropped by it.
 */
const routeProgress = (routes: Session["progress"], message: JSONRPCMessage): boolean => {
  if (!("method" in message) || message.method !== "notifications/progress" || "id" in message) return false
  const { progressToken, ...progress } = (message.params ?? {}) as unknown as { progressToken?: unknown } & Progress
  const route = typeof progressToken === "string" ? routes.get(progressToken) : undefined
  if (route === undefined) return false
  route(progress)
  return true
}

/** Running and not a zombie. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z"
  } catch {
    return true
  }
}

const signal = (pid: number, name: NodeJS.Signals) =>
  Effect.sync(() => {
    if (isAlive(pid)) process.kill(pid, name)
  })

/**
 * Wait for a promise at most `limit`, whatever it does. Interruptible even inside a closing scope (finalizers run
 * uninterruptibly, and a timeout there would otherwise wait for the promise: a DELETE to a hung upstream, forever).
 */
const bounded = (run: () => Promise<unknown>, limit: Duration.DurationInput) =>
  Effect.promise(() => Promise.resolve().then(run).catch(() => undefined)).pipe(
    Effect.interruptible,
    Effect.timeout(limit),
    Effect.ignore
  )

/** The error object of a JSON-RPC error response, as the upstream sent it. */
const rpcErrorOf = ({ code, message, data }: McpError) => (data === undefined ? { code, message } : { code, message, data })

/**
 * Close a client and make sure its stdio child is gone before the scope closes. The stdio transport's close waits
 * seconds for the child to leave on its own before it signals it (and forgets the child as it starts closing, as when
 * a connect is interrupted), which can outlast a shutdown: att signals the pid it recorded at spawn, waits a bounded
 * time, and kills what is left.
 */
const closeClient = (client: Client, transport: ObservedTransport, connection: UpstreamConnection, ending: Ending) =>
  Effect.gen(function* () {
    const pid = transport.childPid
    if (pid !== null) yield* signal(pid, "SIGTERM")
    // Before the client closes: the DELETE goes over the session's pool, which closing destroys.
    if (ending.terminate) {
      yield* bounded(() => connection.terminate(), "1 second")
    }
    yield* bounded(() => client.close(), "3 seconds")
    yield* bounded(connection.dispose, "1 second")
    if (pid === null) return
    yield* Effect.sleep("20 millis").pipe(Effect.repeat({ until: () => !isAlive(pid), times: 100 }))
    yield* signal(pid, "SIGKILL")
  }).pipe(Effect.catchAllDefect(() => Effect.void))

const isInitializeResponse = (message: JSONRPCMessage): message is JSONRPCMessage & { result: Record<string, unknown> } =>
  "result" in message &&
  typeof message.result === "object" &&
  message.result !== null &&
  "protocolVersion" in message.result

/**
 * The production Transport on the official SDK `Client`: one cached session per server, opened single-flight as a
 * scoped resource, closed on release / invalidate / layer shutdown (stdio children included) and after a transport
 * failure or a timeout the upstream was silent through. Calls are interruptible: interruption aborts the request
 * and the SDK tells the upstream (`notifications/cancelled`), as it does when a call times out.
 */
export const makeSdkTransport = (options: SdkTransportOptions = {}) =>
  Effect.gen(function* () {
    const defaultTimeout = options.callTimeoutMs ?? 10_000
    const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES
    // The clock of the context the transport is built in (TestClock in tests), read synchronously per call.
    const clock = yield* Effect.clock
    const clientInfo = options.clientInfo ?? { name: "att", version: "0.1.0" }
    const sessions = new Map<string, Session>()
    const locks = new Map<string, Effect.Semaphore>()
    const listChanges = yield* PubSub.unbounded<ListChange>()
    const resourceUpdates = yield* PubSub.unbounded<ResourceUpdate>()
    const logMessages = yield* PubSub.unbounded<LogMessage>()

    /** Pass the upstream's notifications on (the SDK calls these handlers outside any fiber). */
    const announceNotifications = (client: Client, server: string) => {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        listChanges.unsafeOffer({ server, list: "tools" })
      })
      client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
        listChanges.unsafeOffer({ server, list: "resources" })
      })
      client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
        listChanges.unsafeOffer({ server, list: "prompts" })
      })
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        resourceUpdates.unsafeOffer({ server, uri: notification.params.uri })
      })
      client.setNotificationHandler(LoggingMessageNotificationSchema, ({ params }) => {
        logMessages.unsafeOffer({ server, level: params.level, logger: params.logger, data: params.data })
      })
    }

    const lockFor = (name: string) => {
      const existing = locks.get(name)
      if (existing !== undefined) return existing
      const lock = Effect.unsafeMakeSemaphore(1)
      locks.set(name, lock)
      return lock
    }

    const timeoutOf = (target: UpstreamTarget) => target.callTimeoutMs ?? defaultTimeout

    const connectTimeoutOf = (target: UpstreamTarget) => options.connectTimeoutMs ?? timeoutOf(target)

    /** Run one SDK promise: abortable; the SDK's own per-call timeout bounds it (and answers -32001). */
    const call = <A>(
      target: UpstreamTarget,
      run: (signal: AbortSignal, timeout: number) => Promise<A>,
      timeout = timeoutOf(target)
    ) => Effect.tryPromise({ try: (signal) => run(signal, timeout), catch: (error) => error })

    /** Per server, the session a new handshake replaced, closed once its last request settles (at most one). */
    const retired = new Map<string, Session>()
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())

    const closeSession = (session: Session) =>
      Effect.suspend(() => {
        if (retired.get(session.name) === session) retired.delete(session.name)
        return Scope.close(session.scope, Exit.void)
      })

    /** Close the server's session (only `only`, when given, retired or current); true if it was the current one. */
    const close = (name: string, only?: Session) =>
      Effect.suspend(() => {
        const session = sessions.get(name)
        if (only !== undefined && session !== only) {
          return retired.get(name) === only ? Effect.as(closeSession(only), false) : Effect.succeed(false)
        }
        if (session === undefined) return Effect.succeed(false)
        sessions.delete(name)
        return Effect.as(closeSession(session), true)
      })

    /** Close a session the upstream broke or went silent on: a DELETE would wait on it and delay the failover. */
    const closeBroken = (name: string, session: Session) =>
      Effect.suspend(() => {
        session.ending.terminate = false
        return close(name, session)
      })

    const closeRetired = (name: string) => {
      const draining = retired.get(name)
      return draining === undefined ? Effect.void : closeSession(draining)
    }

    /** Close the server's session and the retired one still draining (unregister, explicit invalidation). */
    const closeAll = (name: string) =>
      Effect.map(Effect.all([close(name), closeRetired(name)], { concurrency: "unbounded" }), ([current]) => current)

    /**
     * Take the server's session out of use for a new one. Requests in flight on it finish there (a re-initialize
     * must not fail the calls of other callers); it closes when the last one settles, bounded by the call timeout.
     * One session per server drains at a time: an older one still draining is closed now (no pile of stdio children).
     */
    const retire = (name: string) =>
      Effect.suspend(() => {
        const session = sessions.get(name)
        if (session === undefined) return Effect.void
        sessions.delete(name)
        if (session.inFlight === 0) return closeSession(session)
        // Retired before the older one is closed: a close can wait, and the last request may settle meanwhile.
        const older = retired.get(name)
        retired.set(name, session)
        return older === undefined ? Effect.void : closeSession(older)
      })

    /** A request on the session settled (called from the SDK's promise, outside any fiber). */
    const settled = (session: Session) => {
      session.inFlight -= 1
      if (session.inFlight === 0 && retired.get(session.name) === session) runFork(closeSession(session))
    }

    const open = (target: UpstreamTarget) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const handshake: Session["handshake"] = { result: {} }
        const progress: Session["progress"] = new Map()
        const ending: Ending = { terminate: true }
        const refuseAddress = options.refuseAddress
        const connection = connectionFor(
          target.upstream,
          refuseAddress === undefined ? undefined : (address) => refuseAddress(target, address),
          maxResultBytes
        )
        const transport = new ObservedTransport(connection.transport, (message) => {
          if (isInitializeResponse(message)) handshake.result = message.result
          return routeProgress(progress, message)
        })
        const client = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const client = new Client(clientInfo, { capabilities: {} })
            announceNotifications(client, target.name)
            return client
          }),
          (client) => closeClient(client, transport, connection, ending)
        ).pipe(Scope.extend(scope))
        yield* call(target, (signal, timeout) => client.connect(transport, { signal, timeout }), connectTimeoutOf(target)).pipe(
          // Nothing but the handshake was sent: a call that needed this session can safely go elsewhere.
          Effect.mapError((error) => {
            const { message, category } = categorize(error)
            return new TransportError({ message, category, unsent: true })
          }),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
        const session: Session = {
          name: target.name,
          client,
          transport,
          scope,
          handshake,
          notificationPending: true,
          claimed: false,
          lastActivity: yield* now,
          inFlight: 0,
          answers: 0,
          progress,
          ending
        }
        sessions.set(target.name, session)
        return session
      })

    /**
     * `use` on the cached session, or on a new one (two racing first calls open one session). The cache is read
     * synchronously: every forwarded call passes here.
     */
    const withSession = <A, E>(target: UpstreamTarget, use: (session: Session) => Effect.Effect<A, E>) =>
      Effect.suspend(() => {
        const cached = sessions.get(target.name)
        if (cached !== undefined) return use(cached)
        const opened = lockFor(target.name).withPermits(1)(
          Effect.suspend(() => {
            const raced = sessions.get(target.name)
            return raced !== undefined ? Effect.succeed(raced) : open(target)
          })
        )
        return Effect.flatMap(opened, use)
      })

    /**
     * `initialize` again on a live session: the upstream keeps its state (a stdio child is not restarted). The
     * manager's `notifications/initialized` that follows is sent for real. Fails with the SDK's error when the
     * upstream refuses it (an SDK server over Streamable HTTP answers 400 to a second initialize on a session).
     */
    const reinitialize = (session: Session, target: UpstreamTarget) =>
      Effect.tryPromise({
        try: (signal) =>
          session.client.request(
            { method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo } },
            InitializeResultSchema,
            { signal, timeout: connectTimeoutOf(target) }
          ),
        catch: (error) => error
      }).pipe(
        Effect.map((result) => {
          session.client.transport?.setProtocolVersion?.(result.protocolVersion)
          session.notificationPending = false
          return session
        })
      )

    const claim = (session: Session) => {
      session.claimed = true
      return session
    }

    /**
     * The handshake of an `initialize` request: a session opened implicitly (by a ping or a call) and not yet
     * claimed already did it; a claimed one is initialized again in place. An upstream that answers by refusing a
     * second initialize, and answers a ping on the session, keeps the session: it is alive, and MCP negotiates a
     * session's capabilities once, so its first handshake still holds (an SDK server over Streamable HTTP refuses
     * with 400; the state such a server keeps per session would otherwise be lost every
     * `max_initialization_age_seconds`). A session the upstream no longer knows, or a broken one, is replaced by a
     * new session (the old one retired); when the upstream does not answer in time, the handshake fails as a call
     * would (a new session would wait as long again before the caller can fail over).
     */
    const handshake = (target: UpstreamTarget) =>
      lockFor(target.name).withPermits(1)(
        Effect.suspend(() => {
          const cached = sessions.get(target.name)
          if (cached !== undefined && !cached.claimed) return Effect.succeed(claim(cached))
          const fresh = Effect.map(Effect.zipRight(retire(target.name), open(target)), claim)
          if (cached === undefined) return fresh
          const answersBefore = cached.answers
          // A session closed meanwhile (invalidated, unregistered) is neither kept nor replaced: the handshake fails.
          const closedMeanwhile = () =>
            sessions.get(target.name) === cached
              ? null
              : new TransportError({ message: "the session was closed during the handshake", category: "transport_error", unsent: true })
          const keep = Effect.suspend(() => {
            const closed = closedMeanwhile()
            if (closed !== null) return Effect.fail(closed)
            // No initialize took place, so the manager's `notifications/initialized` that follows is not sent.
            cached.notificationPending = true
            return Effect.succeed(cached)
          })
          const replace = Effect.suspend(() => {
            const closed = closedMeanwhile()
            if (closed !== null) return Effect.fail(closed)
            cached.ending.terminate = false // broken, or the upstream no longer knows it: nothing to DELETE
            return fresh
          })
          return Effect.catchAll(reinitialize(cached, target), (error) => {
            if (categorize(error).category === "network_timeout") return failed(cached, target, error, answersBefore)
            if (!refusesReinitialize(error)) return replace
            // Some servers answer 400 for a session they do not know, too: a ping on it tells the two apart.
            const ping = call(target, (signal, timeout) => cached.client.ping({ signal, timeout }), connectTimeoutOf(target))
            return Effect.matchEffect(ping, {
              onFailure: (pingError) => {
                if (isUpstreamRpcError(pingError)) return keep // answered, if with an error: alive
                if (categorize(pingError).category === "network_timeout") return failed(cached, target, pingError, answersBefore)
                return replace
              },
              onSuccess: () => keep
            })
          })
        })
      )

    let progressTokens = 0
    /** The request's params with a progress token of att's own, routed to `onProgress` until the token is released. */
    const withProgressToken = (session: Session, params: Record<string, unknown>, onProgress: SendOptions["onProgress"]) => {
      if (onProgress === undefined) return { value: params, token: null }
      const token = `att-progress-${++progressTokens}`
      session.progress.set(token, onProgress)
      const meta = (params._meta ?? {}) as Record<string, unknown>
      return { value: { ...params, _meta: { ...meta, progressToken: token } }, token }
    }
    const releaseToken = (session: Session, token: string | null) => {
      if (token !== null) session.progress.delete(token)
    }

    /**
     * The upstream answered (a result or an rpc error): that is activity on the session. The response is the one the
     * upstream sent, as received (its id is the one the SDK gave the request); `body` stands in only if none was kept.
     */
    const answered = (
      session: Session,
      request: JsonRpcRequest,
      received: JSONRPCMessage | undefined,
      body: { readonly result: unknown } | { readonly error: unknown }
    ): JsonRpcResponse => {
      heard(session)
      return received ?? { jsonrpc: "2.0", id: request.id, ...body }
    }

    /** The upstream answered on the session (a result, an rpc error, a result too large to keep). */
    const heard = (session: Session) => {
      session.lastActivity = currentUtc(clock)
      session.answers += 1
    }

    /**
     * A failed request as a categorized TransportError; a session it broke is closed. A timeout breaks the session
     * only when the upstream has been silent on it since the request went out: one slow call on a session that keeps
     * answering others is no reason to fail every call in flight on it (a deliberate departure from spec §9.3).
     */
    const failed = (session: Session, target: UpstreamTarget, cause: unknown, answersBefore: number) => {
      const categorized = categorize(cause)
      const error = neverSent(cause)
        ? new TransportError({ message: categorized.message, category: categorized.category, unsent: true })
        : categorized
      const answering = error.category === "network_timeout" && session.answers > answersBefore
      if (!invalidatesSession(error) || answering) return Effect.fail(error)
      return Effect.zipRight(closeBroken(target.name, session), Effect.fail(error))
    }

    /** One request on the session: abortable (interruption aborts it and the SDK tells the upstream), bounded by the SDK's timeout. */
    const forward = (session: Session, target: UpstreamTarget, request: JsonRpcRequest, options: SendOptions = {}) => {
      if (!isForwarded(request.method)) {
        return Effect.fail(new TransportError({ message: `Unsupported MCP method: ${request.method}`, category: "invalid_payload" }))
      }
      const schema = RESULT_SCHEMAS[request.method]
      const params = withProgressToken(session, request.params ?? {}, options.onProgress)
      return Effect.async<JsonRpcResponse, TransportError>((resume) => {
        const answersBefore = session.answers
        const signal = new CallSignal()
        session.inFlight += 1
        const pending = session.client.request({ method: request.method, params: params.value } as never, schema, {
          signal: signal.asAbortSignal,
          timeout: timeoutOf(target)
        })
        const sentAs = session.transport.keepResponse()
        pending.then(
          (result) => {
            releaseToken(session, params.token)
            settled(session)
            resume(Effect.succeed(answered(session, request, session.transport.takeResponse(sentAs), { result })))
          },
          (error: unknown) => {
            releaseToken(session, params.token)
            const received = session.transport.takeResponse(sentAs)
            if (oversizedLimit(error) !== null) heard(session) // answered, if too much: the session is fine
            // Before `settled`: a retired session this breaks closes at once there, and must know not to DELETE.
            const outcome = isUpstreamRpcError(error)
              ? Effect.succeed(answered(session, request, received, { error: rpcErrorOf(error) }))
              : failed(session, target, error, answersBefore)
            settled(session)
            resume(outcome)
          }
        )
        // Interruption aborts the request: the SDK drops its handler and sends `notifications/cancelled` upstream.
        return Effect.sync(() => signal.abort(new Error("The call was interrupted")))
      })
    }

    const send = (
      target: UpstreamTarget,
      request: JsonRpcRequest,
      options?: SendOptions
    ): Effect.Effect<JsonRpcResponse, TransportError> =>
      request.method === "initialize"
        ? Effect.map(handshake(target), (session) => ({ jsonrpc: "2.0", id: request.id, result: session.handshake.result }))
        : withSession(target, (session) => forward(session, target, request, options))

    const notify = (target: UpstreamTarget, notification: JsonRpcNotification) =>
      withSession(target, (session) => {
        if (notification.method === "notifications/initialized" && session.notificationPending) {
          session.notificationPending = false
          return Effect.void
        }
        return Effect.tryPromise({
          try: () => session.client.notification({ method: notification.method, params: notification.params } as never),
          catch: categorize
        }).pipe(
          Effect.tapError((error) => (invalidatesSession(error) ? closeBroken(target.name, session) : Effect.void))
        )
      })

    yield* Effect.addFinalizer(() =>
      Effect.forEach(new Set([...sessions.keys(), ...retired.keys()]), closeAll, {
        concurrency: "unbounded",
        discard: true
      })
    )

    return Transport.of({
      send,
      notify,
      release: (name) => Effect.asVoid(closeAll(name)),
      subscribeListChanges: PubSub.subscribe(listChanges),
      subscribeResourceUpdates: PubSub.subscribe(resourceUpdates),
      subscribeLogMessages: PubSub.subscribe(logMessages),
      sessions: Option.some({
        invalidate: closeAll,
        diagnostics: (name) =>
          Effect.sync((): SessionDiagnostics => {
            const session = sessions.get(name)
            return session === undefined
              ? { active: false, initialized: false, last_activity_at: null }
              : { active: true, initialized: true, last_activity_at: session.lastActivity }
          })
      })
    })
  })

/** The SDK transport as the `Transport` service; sessions live until the layer's scope closes. */
export const SdkTransport = {
  layer: (options: SdkTransportOptions = {}): Layer.Layer<Transport> => Layer.scoped(Transport, makeSdkTransport(options))
}
