import type { Progress, UpstreamTarget } from "@att/core"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import type { DateTime, Scope } from "effect"
import { Effect } from "effect"
import type { ObservedTransport } from "./ObservedTransport.js"
import type { Relays } from "./Relay.js"

/** One upstream session: the SDK client on it, and what att tracks about it. */
export interface Session {
  /** The server's name. */
  readonly name: string
  /** Where the session is kept (`slotOf`): the server's name, or the name and the client for a client's own. */
  readonly slot: string
  /** The client of att's whose own session this is; undefined for the session its clients share. */
  readonly owner: string | undefined
  readonly client: Client
  /** The client's transport, which keeps the responses to forwarded requests as received. */
  readonly transport: ObservedTransport
  readonly scope: Scope.CloseableScope
  /** The raw `result` of this session's initialize, as the upstream sent it (kept by the session's transport). */
  readonly handshake: { result: Record<string, unknown> }
  lastActivity: DateTime.Utc | null
  /** Requests sent on this session and not settled yet. */
  inFlight: number
  /** Requests the upstream has answered on this session (a result or an rpc error): evidence it is responsive. */
  answers: number
  /** Where this session's progress notifications go, by the progress token att put on the request. */
  readonly progress: Map<string, (progress: Progress) => void>
  /** How the session ends: with `terminate`, an HTTP session is ended at the upstream too (`DELETE`). */
  readonly ending: Ending
  /** The relays of the upstream's requests to the clients of calls in flight; null when the transport cannot tell. */
  readonly relays: Relays | null
}

/** False once the upstream broke the session or went silent on it: telling it the session ended is pointless then. */
export interface Ending {
  terminate: boolean
}

/**
 * An upstream's `notifications/progress` for a token att issued, delivered at once. The SDK's own `onprogress`
 * dispatches a notification a microtask late but settles a response at once, so a last progress notification that
 * arrives with the result (one stdio read) is dropped by it.
 */
export const routeProgress = (routes: Session["progress"], message: JSONRPCMessage): boolean => {
  if (!("method" in message) || message.method !== "notifications/progress" || "id" in message) return false
  const { progressToken, ...progress } = (message.params ?? {}) as unknown as { progressToken?: unknown } & Progress
  const route = typeof progressToken === "string" ? routes.get(progressToken) : undefined
  if (route === undefined) return false
  route(progress)
  return true
}

export const isInitializeResponse = (
  message: JSONRPCMessage
): message is JSONRPCMessage & { result: Record<string, unknown> } =>
  "result" in message &&
  typeof message.result === "object" &&
  message.result !== null &&
  "protocolVersion" in message.result

/** How long a request to an upstream may take: the call timeout, and the bound on opening a session. */
export interface Timeouts {
  readonly callTimeoutMs: number
  readonly connectTimeoutMs: number | undefined
}

export const timeoutOf = (timeouts: Timeouts, target: UpstreamTarget) => target.callTimeoutMs ?? timeouts.callTimeoutMs

export const connectTimeoutOf = (timeouts: Timeouts, target: UpstreamTarget) =>
  timeouts.connectTimeoutMs ?? timeoutOf(timeouts, target)

/** Run one SDK promise: abortable; the SDK's own per-call timeout bounds it (and answers -32001). */
export const call = <A>(run: (signal: AbortSignal, timeout: number) => Promise<A>, timeout: number) =>
  Effect.tryPromise({ try: (signal) => run(signal, timeout), catch: (error) => error })
