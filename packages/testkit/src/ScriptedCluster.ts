/*
 * Over 300 lines on purpose: one fake of a whole cluster behind the Transport seam (sessions per slot, scripts and
 * toggles, the call log, the answers to every client method) and its controls share the same few maps; split, each
 * half would reach into the other's state.
 */
import {
  type JsonRpcRequest,
  type JsonRpcResponse,
  type ListChange,
  type LogMessage,
  type RefusedRequest,
  type ResourceUpdate,
  type SessionDiagnostics,
  Transport,
  TransportError,
  type UpstreamTarget,
  slotOf
} from "@att/core"
import { asJsonObject, now, rpcErrorText } from "@att/core/internal"
import { type DateTime, Effect, Option, PubSub } from "effect"
import type {
  CallLogEntry,
  ScriptAction,
  ScriptedMethod,
  ScriptedTransportControls,
  ScriptedTransportOptions,
  Toggle
} from "./ScriptedTransport.js"

interface Session {
  readonly id: string
  initialized: boolean
  lastActivity: DateTime.Utc | null
}

/** What a scripted upstream answers to the client requests it is not scripted for: empty lists, empty results. */
const OTHER_ANSWERS: Readonly<Record<string, unknown>> = {
  "tools/list": { tools: [] },
  "resources/list": { resources: [] },
  "resources/templates/list": { resourceTemplates: [] },
  "prompts/list": { prompts: [] },
  "prompts/get": { messages: [] },
  "completion/complete": { completion: { values: [] } },
  "resources/subscribe": {},
  "resources/unsubscribe": {},
  "logging/setLevel": {}
}

const ACTIONS: ReadonlySet<string> = new Set(["ok", "timeout", "error"])
const INVALIDATING: ReadonlySet<string> = new Set(["network_timeout", "http_status", "transport_error"])
const key = (server: string, method: string) => `${server}\u0000${method}`

/**
 * A scripted cluster of upstreams as a Transport: sessions named `<server>-session-<n>`, opened only by `open` (a
 * request on a slot without one fails with `sessionLost`, unsent), per-server and per-method scripts of `ok` /
 * `timeout` / `error` that take precedence over set-based toggles, a call log, and the SDK transport's rule that
 * timeouts and transport errors close the session.
 */
export const makeScriptedCluster = (
  options: ScriptedTransportOptions,
  changes: PubSub.PubSub<ListChange>,
  updates: PubSub.PubSub<ResourceUpdate>,
  logs: PubSub.PubSub<LogMessage>,
  refusals: PubSub.PubSub<RefusedRequest>
) => {
  const scripts = new Map<string, Array<string>>()
  const toggles = new Map<Toggle, Set<string>>()
  const sessions = new Map<string, Session>()
  const created = new Map<string, number>()
  const closed = new Map<string, number>()
  const log: Array<CallLogEntry> = []

  const toggled = (toggle: Toggle, server: string) => toggles.get(toggle)?.has(server) ?? false

  const consume = (server: string, method: ScriptedMethod): Option.Option<ScriptAction> => {
    const queue = scripts.get(key(server, method))
    if (queue === undefined || queue.length === 0) return Option.none()
    const action = queue.shift() as string
    if (!ACTIONS.has(action)) throw new Error(`unsupported scripted action: ${action}`)
    return Option.some(action as ScriptAction)
  }

  const session = (server: string): Session => {
    const existing = sessions.get(server)
    if (existing !== undefined) return existing
    const count = (created.get(server) ?? 0) + 1
    created.set(server, count)
    const fresh: Session = { id: `${server}-session-${count}`, initialized: false, lastActivity: null }
    sessions.set(server, fresh)
    return fresh
  }

  const invalidate = (server: string): boolean => {
    if (!sessions.delete(server)) return false
    closed.set(server, (closed.get(server) ?? 0) + 1)
    return true
  }

  const timeout = (message: string) => new TransportError({ message, category: "network_timeout" })
  const unavailable = (message: string) => new TransportError({ message, category: "transport_error" })

  /** The action decided by the script, else by the toggles (the timeout toggle wins). */
  const decide = (server: string, method: ScriptedMethod, timeoutToggle: Toggle, failToggle?: Toggle) => {
    const scripted = consume(server, method)
    if (Option.isSome(scripted)) return scripted.value
    if (toggled(timeoutToggle, server)) return "timeout"
    if (failToggle !== undefined && toggled(failToggle, server)) return "error"
    return "ok"
  }

  const initializeAnswer = (server: string): Effect.Effect<Record<string, unknown>, TransportError> => {
    const action = decide(server, "initialize", "timeoutInitialize")
    if (action === "timeout") return Effect.fail(timeout(`${server} initialize timed out`))
    if (action === "error") return Effect.fail(unavailable(`${server} initialize unavailable`))
    return Effect.succeed({
      protocolVersion: "2025-11-25",
      serverInfo: { name: server },
      capabilities: { tools: {}, resources: {} }
    })
  }

  /** The responder's initialize answer: its result, or its error as the failed handshake's. */
  const handshakeResult = (response: JsonRpcResponse): Effect.Effect<Record<string, unknown>, TransportError> => {
    const result = asJsonObject(response.result)
    if (response.error !== undefined && response.error !== null)
      return Effect.fail(
        new TransportError({ message: `rpc error: ${rpcErrorText(response.error)}`, category: "rpc_error" })
      )
    return result === null
      ? Effect.fail(
          new TransportError({ message: "rpc error: invalid initialize result", category: "invalid_payload" })
        )
      : Effect.succeed(result)
  }

  /**
   * A new session in the slot (the one there is closed): `initialize`, then `notifications/initialized`, each
   * answered by the responder when it has an answer, else by the script. A failure leaves the slot empty.
   */
  const open = (target: UpstreamTarget): Effect.Effect<Record<string, unknown>, TransportError> =>
    Effect.suspend(() => {
      const server = target.name
      const slot = slotOf(target)
      invalidate(slot)
      const current = session(slot)
      const initialize: JsonRpcRequest = {
        jsonrpc: "2.0",
        id: `initialize-${current.id}`,
        method: "initialize",
        params: {}
      }
      const logged = () => log.push({ server, session_id: current.id, method: "initialize" })
      // A responder's answer is logged as sent (it may fail); the script's only when it succeeded.
      const answered = options.responder?.(server, initialize)
      const handshake =
        answered === undefined
          ? Effect.tap(initializeAnswer(server), logged)
          : Effect.flatMap(Effect.zipRight(Effect.sync(logged), answered), handshakeResult)
      const initialized = { jsonrpc: "2.0", method: "notifications/initialized" } as const
      return handshake.pipe(
        Effect.tap(() => {
          log.push({ server, session_id: current.id, method: initialized.method })
          return options.responder?.(server, initialized) ?? Effect.void
        }),
        Effect.tap(() =>
          Effect.map(now, (at) => {
            current.initialized = true
            current.lastActivity = at
          })
        ),
        Effect.onError(() => Effect.sync(() => sessions.get(slot) === current && sessions.delete(slot)))
      )
    })

  const cluster = (
    server: string,
    current: Session,
    request: JsonRpcRequest
  ): Effect.Effect<unknown, TransportError> => {
    const params = request.params ?? {}
    switch (request.method) {
      case "ping":
        log.push({ server, session_id: current.id, method: "ping" })
        return Effect.succeed({})
      case "tools/call":
      case "resources/read": {
        const isTool = request.method === "tools/call"
        return Effect.suspend(() => {
          log.push({ server, session_id: current.id, method: request.method })
          const action = isTool
            ? decide(server, "tools/call", "timeoutToolCalls", "failToolCalls")
            : decide(server, "resources/read", "timeoutResourceReads", "failResourceReads")
          if (action === "timeout") return Effect.fail(timeout(`${server} timed out`))
          if (action === "error") return Effect.fail(unavailable(`${server} unavailable`))
          return Effect.succeed(
            isTool
              ? {
                  content: [{ type: "text", text: "ok" }],
                  structuredContent: {
                    session_id: current.id,
                    server,
                    tool: params.name,
                    arguments: params.arguments ?? {}
                  },
                  isError: false
                }
              : { contents: [{ uri: params.uri, mimeType: "text/plain", text: "data" }] }
          )
        })
      }
      default: {
        const answer = OTHER_ANSWERS[request.method]
        if (answer === undefined)
          return Effect.fail(
            new TransportError({ message: `Unsupported MCP method: ${request.method}`, category: "invalid_payload" })
          )
        log.push({ server, session_id: current.id, method: request.method })
        return Effect.succeed(answer)
      }
    }
  }

  /** Bookkeeping shared by every call: activity on success only, session closed on transport failures. */
  const settle = <A>(server: string, effect: Effect.Effect<A, TransportError>) =>
    effect.pipe(
      Effect.tap(() =>
        Effect.map(now, (at) => {
          const current = sessions.get(server)
          if (current !== undefined) current.lastActivity = at
        })
      ),
      Effect.tapError((error) => Effect.sync(() => INVALIDATING.has(error.category) && invalidate(server)))
    )

  const noSession = new TransportError({
    message: "no session with the upstream",
    category: "transport_error",
    unsent: true,
    sessionLost: true
  })

  /** A request on the slot's session: the responder's answer when it has one, else the cluster's; none there: lost. */
  const request = (target: UpstreamTarget, method: string, params: Record<string, unknown>) =>
    Effect.suspend((): Effect.Effect<JsonRpcResponse, TransportError> => {
      const slot = slotOf(target)
      const current = sessions.get(slot)
      if (current === undefined) return Effect.fail(noSession)
      const message: JsonRpcRequest = { jsonrpc: "2.0", id: `${method}-${log.length}`, method, params }
      const answer = options.responder?.(target.name, message)
      if (answer !== undefined) {
        log.push({ server: target.name, session_id: current.id, method })
        return settle(slot, answer)
      }
      return settle(
        slot,
        Effect.map(cluster(target.name, current, message), (result) => ({ jsonrpc: "2.0", id: message.id, result }))
      )
    })

  const transport = Transport.of({
    open,
    request: (target, method, params) => request(target, method, params as Record<string, unknown>) as never,
    release: (name: string) =>
      Effect.sync(() => {
        for (const slot of [...sessions.keys()]) if (slot === name || slot.startsWith(`${name}\u0000`)) invalidate(slot)
      }),
    releaseClient: (client: string) =>
      Effect.sync(() => {
        for (const slot of [...sessions.keys()]) if (slot.endsWith(`\u0000${client}`)) invalidate(slot)
      }),
    subscribeListChanges: PubSub.subscribe(changes),
    subscribeResourceUpdates: PubSub.subscribe(updates),
    subscribeLogMessages: PubSub.subscribe(logs),
    subscribeRefusedRequests: PubSub.subscribe(refusals),
    sessions:
      options.sessionControls === false
        ? Option.none()
        : Option.some({
            invalidate: (name: string) => Effect.sync(() => invalidate(name)),
            diagnostics: (name: string) =>
              Effect.sync((): SessionDiagnostics => {
                const current = sessions.get(name)
                return current === undefined
                  ? { active: false, initialized: false, last_activity_at: null }
                  : { active: true, initialized: current.initialized, last_activity_at: current.lastActivity }
              })
          })
  })

  const controls: ScriptedTransportControls = {
    setScript: (server, method, actions) => void scripts.set(key(server, method), [...actions]),
    script: (server, method) => [...(scripts.get(key(server, method)) ?? [])],
    consume,
    toggle: (toggle, server, on = true) => {
      const set = toggles.get(toggle) ?? new Set<string>()
      toggles.set(toggle, set)
      if (on) set.add(server)
      else set.delete(server)
    },
    calls: () => [...log],
    observedCallOrder: () =>
      log
        .filter(
          (entry) =>
            entry.method === "initialize" ||
            entry.method === "ping" ||
            entry.method === "tools/call" ||
            entry.method === "resources/read"
        )
        .map((entry) => [entry.server, entry.method] as const),
    created: (server) => created.get(server) ?? 0,
    closed: (server) => closed.get(server) ?? 0,
    sessionId: (server) => Option.fromNullable(sessions.get(server)?.id),
    setLastActivity: (server, at) => {
      const current = sessions.get(server)
      if (current !== undefined) current.lastActivity = at
    },
    announceListChange: (change) => Effect.asVoid(PubSub.publish(changes, change)),
    announceResourceUpdate: (update) => Effect.asVoid(PubSub.publish(updates, update)),
    announceLogMessage: (message) => Effect.asVoid(PubSub.publish(logs, message)),
    announceRefusedRequest: (request) => Effect.asVoid(PubSub.publish(refusals, request))
  }

  return { controls, transport }
}
