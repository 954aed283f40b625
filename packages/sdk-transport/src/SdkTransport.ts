import { CLIENT_INFO, recordsSpans } from "@att/core/internal"
import {
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type SendOptions,
  Transport,
  type TransportError,
  type UpstreamTarget
} from "@att/core"
import { Effect, Layer, Option } from "effect"
import { categorize, invalidatesSession } from "./Categorize.js"
import { makeForwarding } from "./Forwarding.js"
import { makeNotifications } from "./Notifications.js"
import type { Timeouts } from "./Session.js"
import { makeSessionHandshake } from "./SessionHandshake.js"
import { makeSessionLifecycle } from "./SessionLifecycle.js"
import { traceContextOf, withTraceMeta } from "./TraceHeaders.js"

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
 * The production Transport on the official SDK `Client`: one cached session per server, opened single-flight as a
 * scoped resource, closed on release / invalidate / layer shutdown (stdio children included) and after a transport
 * failure or a timeout the upstream was silent through. Calls are interruptible: interruption aborts the request
 * and the SDK tells the upstream (`notifications/cancelled`), as it does when a call times out. The pieces: the
 * sessions' lifecycle (`SessionLifecycle.ts`), a re-initialize on a live session (`SessionHandshake.ts`), forwarding
 * a request (`Forwarding.ts`), the upstreams' notifications (`Notifications.ts`).
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
      announce: notifications.announce
    })
    const { withSession, closeBroken, closeAll, closeOwnedBy } = lifecycle
    const handshake = makeSessionHandshake(lifecycle, timeouts, clientInfo)
    const forward = makeForwarding(lifecycle, timeouts, clock)

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
            withSession(target, (session) => forward(session, target, withTrace, options)),
            span
          )
        }
      )

    const send = (
      target: UpstreamTarget,
      request: JsonRpcRequest,
      options?: SendOptions
    ): Effect.Effect<JsonRpcResponse, TransportError> =>
      request.method === "initialize"
        ? Effect.map(handshake(target), (session) => ({
            jsonrpc: "2.0",
            id: request.id,
            result: session.handshake.result
          }))
        : traced
          ? forwardTraced(target, request, options)
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
        }).pipe(Effect.tapError((error) => (invalidatesSession(error) ? closeBroken(session) : Effect.void)))
      })

    return Transport.of({
      send,
      notify,
      release: (name) => Effect.asVoid(closeAll(name)),
      releaseClient: closeOwnedBy,
      subscribeListChanges: notifications.subscribeListChanges,
      subscribeResourceUpdates: notifications.subscribeResourceUpdates,
      subscribeLogMessages: notifications.subscribeLogMessages,
      sessions: Option.some({ invalidate: closeAll, diagnostics: lifecycle.diagnostics })
    })
  })

/** The SDK transport as the `Transport` service; sessions live until the layer's scope closes. */
export const SdkTransport = {
  layer: (options: SdkTransportOptions = {}): Layer.Layer<Transport> =>
    Layer.scoped(Transport, makeSdkTransport(options))
}
