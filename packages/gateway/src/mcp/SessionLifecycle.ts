import type { SessionBudgetShape } from "@att/core"
import { recordEventsDropped } from "@att/core/internal"
import { Clock, Duration, Effect, Queue, Runtime, type Scope } from "effect"
import type { GatewaySettings } from "../GatewayOptions.js"
import { type ConnectableServer, McpSessions } from "./McpSessions.js"

/**
 * A session id's prefix naming replica `replicaId`: `<replica>.` with every character outside `[A-Za-z0-9_.:-]`
 * replaced (`%`-escaped), so the id stays visible ASCII as MCP requires.
 */
export const sessionIdPrefix = (replicaId: string): string =>
  `${replicaId.replace(/[^A-Za-z0-9_.:-]/g, (c) => encodeURIComponent(c))}.`

/**
 * `/mcp`'s sessions for the life of the scope, bounded as the settings say. Idle sessions end: the sweeper sleeps
 * until the session idle longest would expire, and waits for a session to open when there is none (no timer runs
 * while att has no sessions). Every session is closed with the scope.
 */
export const scopedSessions = (
  makeServer: () => ConnectableServer,
  settings: GatewaySettings,
  budget: SessionBudgetShape,
  idPrefix = ""
): Effect.Effect<McpSessions, never, Scope.Scope> =>
  Effect.gen(function* () {
    const opened = yield* Queue.sliding<void>(1)
    const runtime = yield* Effect.runtime<never>()
    const sessions = new McpSessions(
      makeServer,
      {
        budget,
        idleMs: settings.mcpSessionIdleSeconds * 1000,
        events: { events: settings.mcpEventStoreSize, bytes: settings.mcpEventStoreBytes },
        idPrefix
      },
      () => opened.unsafeOffer(undefined),
      (dropped) => {
        recordEventsDropped("mcp_session_events", dropped)
        void Runtime.runFork(runtime)(
          Effect.logWarning(`an /mcp session's event store dropped ${dropped} events (bounded)`)
        )
      }
    )
    const sweepOnce = Effect.gen(function* () {
      const expiry = sessions.nextExpiry()
      if (expiry === null) return yield* Queue.take(opened)
      const now = yield* Clock.currentTimeMillis
      if (expiry > now) return yield* Effect.sleep(Duration.millis(expiry - now))
      yield* Effect.promise(() => sessions.endIdle(now))
    })
    yield* sweepOnce.pipe(Effect.forever, Effect.forkScoped)
    yield* Effect.addFinalizer(() => Effect.promise(() => sessions.closeAll()))
    return sessions
  })
