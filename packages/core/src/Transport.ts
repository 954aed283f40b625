import { Context, type Effect, type Option, type Queue, type Scope } from "effect"
import type { RelayRefused, TransportError } from "./domain/Errors.js"
import type { SessionDiagnostics } from "./domain/Events.js"
import type { JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from "./domain/JsonRpc.js"
import type { UpstreamTarget } from "./domain/Upstream.js"

/** Controls over cached sessions, offered only by transports that cache sessions. */
export interface SessionControls {
  /** Close the cached session of `name`, if any; true when one existed. */
  readonly invalidate: (name: string) => Effect.Effect<boolean>
  readonly diagnostics: (name: string) => Effect.Effect<SessionDiagnostics>
}

/** A progress notification the upstream sent for a request (`notifications/progress` without the token). */
export interface Progress {
  readonly progress: number
  readonly total?: number | undefined
  readonly message?: string | undefined
}

/** The requests an upstream may send its client while serving a call. */
export const UPSTREAM_REQUEST_METHODS = ["sampling/createMessage", "elicitation/create", "roots/list"] as const
export type UpstreamRequestMethod = (typeof UPSTREAM_REQUEST_METHODS)[number]

/** A request an upstream sent while serving a call, for the client the call came from. */
export interface UpstreamRequest {
  readonly method: UpstreamRequestMethod
  readonly params: Record<string, unknown>
}

export interface SendOptions {
  /** Ask the upstream for progress notifications and hand each to this callback. */
  readonly onProgress?: (progress: Progress) => void
  /**
   * Answer the requests the upstream sends while serving this call (sampling, elicitation, roots), when the transport
   * can tell they belong to it: the result goes back to the upstream, a `RelayRefused` as its error response.
   * Without it, or when the transport cannot tell, the upstream's request is refused.
   */
  readonly onRequest?: (request: UpstreamRequest) => Effect.Effect<Record<string, unknown>, RelayRefused>
}

/** An upstream said one of its lists changed (`notifications/{tools,resources,prompts}/list_changed`). */
export interface ListChange {
  readonly server: string
  readonly list: "tools" | "resources" | "prompts"
}

/** An upstream said a resource it was subscribed to changed (`notifications/resources/updated`). */
export interface ResourceUpdate {
  readonly server: string
  readonly uri: string
}

/** The MCP logging levels, least severe first (RFC 5424 order). */
export const LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** An upstream's log message (`notifications/message`). */
export interface LogMessage {
  readonly server: string
  readonly level: LogLevel
  readonly logger?: string | undefined
  readonly data: unknown
}

/**
 * One upstream session per server, behind one interface. `send` carries `initialize`, `ping`, `tools/call`,
 * `resources/read` and the list methods; a response is returned raw (with `result` or `error`), a transport failure
 * fails with a categorized `TransportError`. A transport that caches sessions opens one on first use, single-flight.
 */
export interface TransportShape {
  readonly send: (
    target: UpstreamTarget,
    request: JsonRpcRequest,
    options?: SendOptions
  ) => Effect.Effect<JsonRpcResponse, TransportError>
  /** Send a real JSON-RPC notification (no id, no response). */
  readonly notify: (target: UpstreamTarget, notification: JsonRpcNotification) => Effect.Effect<void, TransportError>
  /** Close whatever is cached for `name` (unregister, endpoint change). Never fails. */
  readonly release: (name: string) => Effect.Effect<void>
  /** Close the upstream sessions opened for one client (`UpstreamTarget.clientSession`) as it goes. Never fails. */
  readonly releaseClient: (client: string) => Effect.Effect<void>
  readonly sessions: Option.Option<SessionControls>
  /** Subscribe (for the enclosing scope) to the upstreams' list-changed notifications, as they arrive. */
  readonly subscribeListChanges: Effect.Effect<Queue.Dequeue<ListChange>, never, Scope.Scope>
  /** Subscribe (for the enclosing scope) to the upstreams' resource-updated notifications. */
  readonly subscribeResourceUpdates: Effect.Effect<Queue.Dequeue<ResourceUpdate>, never, Scope.Scope>
  /** Subscribe (for the enclosing scope) to the upstreams' log messages. */
  readonly subscribeLogMessages: Effect.Effect<Queue.Dequeue<LogMessage>, never, Scope.Scope>
}

export class Transport extends Context.Tag("att/Transport")<Transport, TransportShape>() {}
