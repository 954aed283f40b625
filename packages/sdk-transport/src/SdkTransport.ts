import { CLIENT_INFO, recordsSpans } from "@att/core/internal"
import {
  type ClientMethod,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type ParamsOf,
  type ResponseOf,
  type SendOptions,
  Transport,
  TransportError,
  type UpstreamTarget,
  slotOf
} from "@att/core"
import { Effect, Layer, Option } from "effect"
import { makeForwarding } from "./Forwarding.js"
import { makeNotifications } from "./Notifications.js"
import type { Session, Timeouts } from "./Session.js"
import { makeSessionLifecycle } from "./SessionLifecycle.js"
import { traceContextOf, withTraceMeta } from "./TraceHeaders.js"

const NO_SESSION = new TransportError({
  message: "no session with the upstream",
  category: "transport_error",
  unsent: true,
  sessionLost: true
})

/** The SDK transport's defaults, in one place: the transport applies them, and the gateway's config file shows them. */
export const SDK_TRANSPORT_DEFAULTS = {
  callTimeoutMs: 10_000,
  /** The bound on one message from an upstream (a result, a notification, an SSE event): 16 MiB. */
  maxResultBytes: 16 * 1024 * 1024
} as const

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
   * The gateway refuses link-local and private addresses for servers registered over HTTP.
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
 * The production Transport on the official SDK `Client` (MCP 2025-11-25): one session per slot, opened when the
 * Manager asks (the SDK's `connect` is the handshake; its answer is kept as received) as a scoped resource, closed on
 * release / invalidate / layer shutdown (stdio children included) and after a transport failure or a timeout the
 * upstream was silent through. Calls are interruptible: interruption aborts the request and the SDK tells the
 * upstream (`notifications/cancelled`), as it does when a call times out. The pieces: the sessions' lifecycle
 * (`SessionLifecycle.ts`), forwarding a request (`Forwarding.ts`), the upstreams' notifications (`Notifications.ts`).
 */
export const makeSdkTransport = (options: SdkTransportOptions = {}) =>
  Effect.gen(function* () {
    const timeouts: Timeouts = {
      callTimeoutMs: options.callTimeoutMs ?? SDK_TRANSPORT_DEFAULTS.callTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs
    }
    // The clock of the context the transport is built in (TestClock in tests), read synchronously per call.
    const clock = yield* Effect.clock
    const clientInfo = options.clientInfo ?? CLIENT_INFO
    // Decided once, when the transport is built: with no tracer recording, calls pay nothing for tracing.
    const traced = yield* recordsSpans
    const notifications = yield* makeNotifications
    const lifecycle = yield* makeSessionLifecycle({
      timeouts,
      clientInfo,
      refuseAddress: options.refuseAddress,
      maxResultBytes: options.maxResultBytes ?? SDK_TRANSPORT_DEFAULTS.maxResultBytes,
      traced,
      announce: notifications.announce,
      refused: notifications.refused
    })
    const { current, openAnew, closeAll, closeOwnedBy } = lifecycle
    const forward = makeForwarding(lifecycle, timeouts, clock)

    /** A request on the slot's session; none there: `sessionLost`, not sent (the Manager opens sessions). */
    const onSession = (
      target: UpstreamTarget,
      use: (session: Session) => Effect.Effect<JsonRpcResponse, TransportError>
    ) =>
      Effect.suspend(() => {
        const session = current(slotOf(target))
        return session === undefined ? Effect.fail(NO_SESSION) : use(session)
      })

    /**
     * A forwarded request in a client span of its own, whose trace context goes upstream in the request's `_meta`
     * (and, over HTTP, as `traceparent` / `tracestate` headers: see `Connection.ts`).
     */
    const forwardTraced = (target: UpstreamTarget, request: JsonRpcRequest, options?: SendOptions) =>
      Effect.useSpan(
        `MCP ${request.method}`,
        {
          kind: "client",
          captureStackTrace: false,
          attributes: { "att.server": target.name, "rpc.system": "jsonrpc", "rpc.method": request.method }
        },
        (span) => {
          const withTrace = { ...request, params: withTraceMeta(request.params ?? {}, traceContextOf(span)) }
          return Effect.withParentSpan(
            onSession(target, (session) => forward(session, target, withTrace, options)),
            span
          )
        }
      )

    const request = <M extends ClientMethod>(
      target: UpstreamTarget,
      method: M,
      params: ParamsOf<M>,
      options?: SendOptions
    ): Effect.Effect<ResponseOf<M>, TransportError> => {
      const message: JsonRpcRequest = { jsonrpc: "2.0", id: 0, method, params: params as Record<string, unknown> }
      return traced
        ? forwardTraced(target, message, options)
        : onSession(target, (session) => forward(session, target, message, options))
    }

    return Transport.of({
      open: (target) => Effect.map(openAnew(target), (session) => session.handshake.result),
      request,
      release: (name) => Effect.asVoid(closeAll(name)),
      releaseClient: closeOwnedBy,
      subscribeListChanges: notifications.subscribeListChanges,
      subscribeResourceUpdates: notifications.subscribeResourceUpdates,
      subscribeLogMessages: notifications.subscribeLogMessages,
      subscribeRefusedRequests: notifications.subscribeRefusedRequests,
      sessions: Option.some({ invalidate: closeAll, diagnostics: lifecycle.diagnostics })
    })
  })

/** The SDK transport as the `Transport` service; sessions live until the layer's scope closes. */
export const SdkTransport = {
  layer: (options: SdkTransportOptions = {}): Layer.Layer<Transport> =>
    Layer.scoped(Transport, makeSdkTransport(options))
}
