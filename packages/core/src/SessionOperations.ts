import { Effect, Option } from "effect"
import { type ServerNotFound, SessionControlsUnavailable } from "./domain/Errors.js"
import type { AdapterSessionDiagnostics, AdapterSessionStatus } from "./domain/Events.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import type { Freshness } from "./domain/Status.js"
import { classifyFreshness } from "./Freshness.js"
import type { InitializeOptions } from "./Initialization.js"
import type { ManagerSettings } from "./ManagerConfig.js"
import { type Registry, now } from "./Registry.js"
import { tail } from "./RingBuffer.js"
import type { TransportShape } from "./Transport.js"

export interface SessionQuery {
  readonly server?: string | undefined
  readonly freshness?: Freshness | undefined
  readonly active_only?: boolean | undefined
  readonly limit?: number | undefined
}

/**
 * The manager's session controls: what the transport knows of each server's cached session, and closing or
 * replacing one. They need a transport that caches sessions (`Transport.sessions`); without one, reads answer
 * nothing and changes fail with `SessionControlsUnavailable`.
 */
export const makeSessionOperations = (
  settings: ManagerSettings,
  registry: Registry,
  transport: TransportShape,
  initializeServer: (name: string, options?: InitializeOptions) => Effect.Effect<ServerRecord, ServerNotFound>
) => {
  const requireControls = Option.match(transport.sessions, {
    onNone: () => Effect.fail(new SessionControlsUnavailable()),
    onSome: Effect.succeed
  })

  const sessionDiagnostics = (name: string) =>
    Effect.gen(function* () {
      yield* registry.get(name)
      if (Option.isNone(transport.sessions)) return Option.none<AdapterSessionDiagnostics>()
      const raw = yield* transport.sessions.value.diagnostics(name)
      const freshness = classifyFreshness(raw, yield* now, settings.sessionStaleAfter)
      return Option.some<AdapterSessionDiagnostics>({ ...raw, freshness })
    })

  const invalidateSession = Effect.fn("Manager.invalidateSession")(function* (name: string) {
    yield* registry.get(name)
    const controls = yield* requireControls
    const existed = yield* controls.invalidate(name)
    yield* registry.update(name, (record) => ({
      ...record,
      initialized: false,
      initialization_expires_at: null,
      protocol_version: null
    }))
    return existed
  })

  return {
    sessionControlsAvailable: Option.isSome(transport.sessions),
    sessionDiagnostics,
    listSessions: (query: SessionQuery = {}) =>
      Effect.gen(function* () {
        if (Option.isNone(transport.sessions)) return [] as ReadonlyArray<AdapterSessionStatus>
        const controls = transport.sessions.value
        const at = yield* now
        const names = yield* registry.names
        const statuses = yield* Effect.forEach(names, (server) =>
          Effect.map(
            controls.diagnostics(server),
            (raw): AdapterSessionStatus => ({
              server,
              ...raw,
              freshness: classifyFreshness(raw, at, settings.sessionStaleAfter)
            })
          )
        )
        return tail(
          statuses.filter(
            (status) =>
              (query.server === undefined || status.server === query.server) &&
              (query.freshness === undefined || status.freshness === query.freshness) &&
              (query.active_only !== true || status.active)
          ),
          query.limit
        )
      }),
    invalidateSession,
    refreshSession: Effect.fn("Manager.refreshSession")(function* (name: string) {
      yield* invalidateSession(name)
      return yield* initializeServer(name, { force: true })
    })
  }
}
