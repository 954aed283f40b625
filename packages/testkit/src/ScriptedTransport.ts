import {
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type ListChange,
  type LogMessage,
  type RefusedRequest,
  type ResourceUpdate,
  Transport,
  type TransportError
} from "@att/core"
import { Context, type DateTime, Effect, Layer, type Option, PubSub } from "effect"
import { makeScriptedCluster } from "./ScriptedCluster.js"

export type ScriptAction = "ok" | "timeout" | "error"
export type ScriptedMethod = "initialize" | "tools/call" | "resources/read"

/** Set-based failure toggles: a server in a set fails that stage until removed. */
export type Toggle =
  | "timeoutInitialize"
  | "failToolCalls"
  | "timeoutToolCalls"
  | "failResourceReads"
  | "timeoutResourceReads"

export interface CallLogEntry {
  readonly server: string
  readonly session_id: string
  readonly method: string
}

/**
 * A custom behaviour for some requests: return an effect to answer (or fail) the request, or `undefined` to fall
 * back to the cluster behaviour. Notifications arrive as requests without an id; their successful answer is ignored.
 */
export type Responder = (
  server: string,
  request: JsonRpcRequest | JsonRpcNotification
) => Effect.Effect<JsonRpcResponse, TransportError> | undefined

/** An upstream's JSON-RPC error answer to `request` (`code` and `data` as given, left out when absent), for responders. */
export const rpcErrorAnswer = (
  request: JsonRpcRequest | JsonRpcNotification,
  error: { readonly code?: number; readonly message: string; readonly data?: unknown }
): Effect.Effect<JsonRpcResponse> => Effect.succeed({ jsonrpc: "2.0", id: "id" in request ? request.id : null, error })

export interface ScriptedTransportOptions {
  /** Offer session controls (invalidate, diagnostics); default true. */
  readonly sessionControls?: boolean
  readonly responder?: Responder
}

export interface ScriptedTransportControls {
  /** Replace the queue of `server`/`method` with a copy of `actions`. */
  readonly setScript: (server: string, method: ScriptedMethod, actions: ReadonlyArray<string>) => void
  /** What is left of a queue. */
  readonly script: (server: string, method: ScriptedMethod) => ReadonlyArray<string>
  /** Pop the head of a queue; `None` when empty or absent; throws on an unsupported action (it is removed first). */
  readonly consume: (server: string, method: ScriptedMethod) => Option.Option<ScriptAction>
  readonly toggle: (toggle: Toggle, server: string, on?: boolean) => void
  /** Every call, in order: `(server, session_id, method)`, notifications included. */
  readonly calls: () => ReadonlyArray<CallLogEntry>
  /** Calls restricted to initialize, ping, tools/call and resources/read, as `[server, method]` (the observed call order). */
  readonly observedCallOrder: () => ReadonlyArray<readonly [string, string]>
  readonly created: (server: string) => number
  readonly closed: (server: string) => number
  readonly sessionId: (server: string) => Option.Option<string>
  /** Move a session's last activity, e.g. to make it stale. */
  readonly setLastActivity: (server: string, at: DateTime.Utc) => void
  /** Act as if `server` sent `notifications/<list>/list_changed`. */
  readonly announceListChange: (change: ListChange) => Effect.Effect<void>
  /** Act as if `server` sent `notifications/resources/updated`. */
  readonly announceResourceUpdate: (update: ResourceUpdate) => Effect.Effect<void>
  /** Act as if `server` sent `notifications/message`. */
  readonly announceLogMessage: (message: LogMessage) => Effect.Effect<void>
  /** Act as if the transport refused a request of `server`'s for want of a call to name. */
  readonly announceRefusedRequest: (request: RefusedRequest) => Effect.Effect<void>
}

/**
 * Controls of the scripted transport; the same layer also provides `Transport` (the cluster fake itself is in
 * `ScriptedCluster.ts`).
 */
export class ScriptedTransport extends Context.Tag("att/testkit/ScriptedTransport")<
  ScriptedTransport,
  ScriptedTransportControls
>() {
  static readonly layer = (options: ScriptedTransportOptions = {}): Layer.Layer<ScriptedTransport | Transport> =>
    Layer.effectContext(
      Effect.all([
        PubSub.unbounded<ListChange>(),
        PubSub.unbounded<ResourceUpdate>(),
        PubSub.unbounded<LogMessage>(),
        PubSub.unbounded<RefusedRequest>()
      ]).pipe(
        Effect.map((announced) => {
          const { controls, transport } = makeScriptedCluster(options, ...announced)
          return Context.make(ScriptedTransport, controls).pipe(Context.add(Transport, transport))
        })
      )
    )
}
