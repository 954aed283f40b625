import { TransportError, type UpstreamTarget } from "@att/core"
import { InitializeResultSchema, LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { categorize, isUpstreamRpcError, refusesReinitialize } from "./Categorize.js"
import { type Session, type Timeouts, call, connectTimeoutOf } from "./Session.js"
import { type SessionLifecycle, slotOf } from "./SessionLifecycle.js"

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
export const makeSessionHandshake = (
  lifecycle: SessionLifecycle,
  timeouts: Timeouts,
  clientInfo: { readonly name: string; readonly version: string }
) => {
  const { current, lockFor, retire, open, failed } = lifecycle

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
          { signal, timeout: connectTimeoutOf(timeouts, target) }
        ),
      catch: (error) => error
    }).pipe(
      Effect.map((result) => {
        session.client.transport?.setProtocolVersion?.(result.protocolVersion)
        session.notificationPending = false
        return session
      })
    )

  return (target: UpstreamTarget) =>
    lockFor(slotOf(target)).withPermits(1)(
      Effect.suspend(() => {
        const slot = slotOf(target)
        const cached = current(slot)
        if (cached !== undefined && !cached.claimed) return Effect.succeed(claim(cached))
        const fresh = Effect.map(Effect.zipRight(retire(slot), open(target)), claim)
        if (cached === undefined) return fresh
        const answersBefore = cached.answers
        // A session closed meanwhile (invalidated, unregistered) is neither kept nor replaced: the handshake fails.
        const closedMeanwhile = () =>
          current(slot) === cached
            ? null
            : new TransportError({
                message: "the session was closed during the handshake",
                category: "transport_error",
                unsent: true
              })
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
          if (categorize(error).category === "network_timeout") return failed(cached, error, answersBefore)
          if (!refusesReinitialize(error)) return replace
          // Some servers answer 400 for a session they do not know, too: a ping on it tells the two apart.
          const ping = call(
            (signal, timeout) => cached.client.ping({ signal, timeout }),
            connectTimeoutOf(timeouts, target)
          )
          return Effect.matchEffect(ping, {
            onFailure: (pingError) => {
              if (isUpstreamRpcError(pingError)) return keep // answered, if with an error: alive
              if (categorize(pingError).category === "network_timeout") return failed(cached, pingError, answersBefore)
              return replace
            },
            onSuccess: () => keep
          })
        })
      })
    )
}
