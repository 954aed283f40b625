import { Context, type Effect, type Option, type Queue, type Scope } from "effect"
import type { RelayRefused, TransportError } from "./domain/Errors.js"
import type { SessionDiagnostics } from "./domain/Events.js"
import type { JsonRpcResponse } from "./domain/JsonRpc.js"
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

/** A request an upstream sent that att refused because no call of a client can be named for it (the standalone stream). */
export interface RefusedRequest {
  readonly server: string
  readonly method: UpstreamRequestMethod
  /** The upstream's id for its request. */
  readonly id: string | number
  readonly reason: string
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

/** The requests a client sends an upstream on a session (MCP 2025-11-25; `tasks/*` are not relayed). */
export const CLIENT_METHODS = [
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel"
] as const
export type ClientMethod = (typeof CLIENT_METHODS)[number]

type Meta = { readonly _meta?: Record<string, unknown> }
type Paged = Meta & { readonly cursor?: string }
type Empty = Meta & Record<string, unknown>
/** A list's page: its items as the upstream sent them (each is judged on its own by whoever uses it). */
type Page<K extends string> = Meta & { readonly [key in K]: ReadonlyArray<unknown> } & { readonly nextCursor?: string }

/**
 * What each client-to-server request takes and answers: att's own types of the MCP schema (no SDK type crosses the
 * seam, so a second implementation on another SDK or revision implements the same interface). Results are typed by
 * the members att reads; every other member passes through as the upstream sent it.
 */
export interface ClientRequests {
  readonly ping: { readonly params: Empty; readonly result: Empty }
  readonly "tools/list": { readonly params: Paged; readonly result: Page<"tools"> }
  readonly "tools/call": {
    readonly params: Meta & { readonly name: string; readonly arguments?: Record<string, unknown> }
    readonly result: Meta & { readonly content?: ReadonlyArray<unknown>; readonly isError?: boolean }
  }
  readonly "resources/list": { readonly params: Paged; readonly result: Page<"resources"> }
  readonly "resources/templates/list": { readonly params: Paged; readonly result: Page<"resourceTemplates"> }
  readonly "resources/read": {
    readonly params: Meta & { readonly uri: string }
    readonly result: Meta & { readonly contents: ReadonlyArray<unknown> }
  }
  readonly "resources/subscribe": { readonly params: Meta & { readonly uri: string }; readonly result: Empty }
  readonly "resources/unsubscribe": { readonly params: Meta & { readonly uri: string }; readonly result: Empty }
  readonly "prompts/list": { readonly params: Paged; readonly result: Page<"prompts"> }
  readonly "prompts/get": {
    readonly params: Meta & { readonly name: string; readonly arguments?: Record<string, string> }
    readonly result: Meta & { readonly messages: ReadonlyArray<unknown> }
  }
  readonly "completion/complete": {
    readonly params: Meta & { readonly ref: Record<string, unknown>; readonly argument: Record<string, unknown> }
    readonly result: Meta & { readonly completion: Record<string, unknown> }
  }
  readonly "logging/setLevel": { readonly params: Meta & { readonly level: LogLevel }; readonly result: Empty }
}
export type ParamsOf<M extends ClientMethod> = ClientRequests[M]["params"]
export type ResultOf<M extends ClientMethod> = ClientRequests[M]["result"]

/**
 * An upstream's answer to one request, as received: its `result` (typed by the method), or its JSON-RPC `error` as
 * the upstream sent it (code, message, data). Kept whole, so nothing the upstream said is lost on the way.
 */
export type ResponseOf<M extends ClientMethod> = JsonRpcResponse & { readonly result?: ResultOf<M> }

/**
 * What the upstream answered to the handshake that opened a session: the `initialize` result as sent (protocol
 * version, capabilities, server info, instructions), never one made up. A stateless revision's discovery answer
 * has the same members.
 */
export type HandshakeResult = Readonly<Record<string, unknown>>

/**
 * An MCP client's sessions with its upstreams, one per slot (a server's name, or a server and a client for a
 * client's own: `UpstreamTarget.clientSession`). The Manager opens every session (`open`: a new session and its
 * handshake) and sends every request on one (`request`); a transport never opens a session by itself. A request on a
 * slot without a session (never opened, closed after a failure, or one the upstream no longer knows) fails with
 * `sessionLost` and is not sent, so the Manager opens a new session and sends it again. A transport failure fails
 * with a categorized `TransportError`; an upstream's error answer is a response, not a failure.
 */
export interface TransportShape {
  /**
   * Open a new session in the target's slot and do the protocol's handshake on it (the 2025-11-25 `initialize` and
   * `notifications/initialized`, with the client capabilities att can honour there). A session already in the slot
   * is retired: the requests in flight on it finish there, then it closes. A failure leaves the slot empty.
   */
  readonly open: (target: UpstreamTarget) => Effect.Effect<HandshakeResult, TransportError>
  /** One request on the slot's session: the upstream's answer, as received. */
  readonly request: <M extends ClientMethod>(
    target: UpstreamTarget,
    method: M,
    params: ParamsOf<M>,
    options?: SendOptions
  ) => Effect.Effect<ResponseOf<M>, TransportError>
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
  /** Subscribe (for the enclosing scope) to the upstreams' requests refused for want of a call to name. */
  readonly subscribeRefusedRequests: Effect.Effect<Queue.Dequeue<RefusedRequest>, never, Scope.Scope>
}

export class Transport extends Context.Tag("att/Transport")<Transport, TransportShape>() {}
