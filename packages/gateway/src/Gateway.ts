import {
  EventJournal,
  Fleet,
  Manager,
  ManagerConfig,
  Probe,
  SessionBudget,
  Registry,
  ServerStore,
  SnapshotStore,
  type StoreUnavailable,
  type Transport
} from "@att/core"
import { HttpServer } from "@effect/platform"
import { Cause, Duration, Effect, Layer, Schedule } from "effect"
import { type ConfigFile, configuredServers, gatewaySettings, managerOptions } from "./config/ConfigFile.js"
import { GatewayOptions } from "./GatewayOptions.js"
import { HttpLive } from "./http/Http.js"
import { HostResolver } from "./security/HostResolver.js"
import { keepSnapshots, restoreSnapshots } from "./state/Snapshots.js"

/** The spacing of health checks: `health_interval_seconds`, each one drawn within ±`health_jitter` of it. */
export const healthSchedule = (config: Pick<ConfigFile, "health_interval_seconds" | "health_jitter">) => {
  const spaced = Schedule.spaced(Duration.seconds(config.health_interval_seconds))
  const jitter = config.health_jitter
  return jitter === 0 ? spaced : Schedule.jitteredWith(spaced, { min: 1 - jitter, max: 1 + jitter })
}

/**
 * Register the configured upstreams and those registered through the API before (the `ServerStore`; a stored name
 * the config file now declares is the config's), then connect them and keep health-checking them in the background, so the
 * service answers before its upstreams are up. Health checks run on a `Schedule`, a bounded number at a time.
 */
export const Lifecycle = (config: ConfigFile) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const manager = yield* Manager
      const registry = yield* Registry
      const configured = configuredServers(config)
      for (const server of configured) {
        yield* manager.register(server.name, server.upstream, {
          callTimeoutMs: server.callTimeoutMs,
          sessionMode: server.sessionMode
        })
      }
      const declared = new Set(configured.map((server) => server.name))
      for (const stored of yield* Effect.flatMap(ServerStore, (store) => store.load)) {
        if (declared.has(stored.name)) {
          yield* Effect.logWarning(
            `stored server ${stored.name} is declared in the config file: the config's is served`
          )
          continue
        }
        yield* manager.register(stored.name, stored.upstream, {
          callTimeoutMs: stored.call_timeout_ms ?? undefined,
          sessionMode: stored.session_mode
        })
      }
      // The capability snapshots of the last run until each server's next handshake; from now on each one is kept.
      yield* restoreSnapshots(registry).pipe(
        Effect.catchTag("StoreUnavailable", (error) => Effect.logWarning(error.reason))
      )
      yield* keepSnapshots(manager, registry)
      // On a fleet: follow the other replicas' registrations and keep health-check leases from here on.
      const fleet = yield* Fleet.current
      yield* fleet.join(manager, registry, declared)
      const concurrency = config.health_concurrency
      yield* manager.connectAll({ concurrency }).pipe(
        Effect.zipRight(
          // `schedule`, unlike `repeat`, waits one interval first: connect has just checked every server.
          fleet
            .healthCheckAll(manager, registry, { concurrency })
            .pipe(Effect.schedule(healthSchedule(config)))
        ),
        // The log line shows no configured secret (a defect's message may quote one).
        Effect.catchAllCause((cause) =>
          Effect.flatMap(registry.redactAll(Cause.pretty(cause)), (text) =>
            Effect.logError("background health checks stopped", text)
          )
        ),
        Effect.forkScoped
      )
    })
  )

/**
 * The manager, its transport and probe, the gateway options, the system's host resolver and the durable store
 * (in memory unless one is given, e.g. `storeLayer` of `@att/store`): everything that outlives the HTTP server.
 */
export const serviceCore = <E, R>(
  config: ConfigFile,
  authToken: string | null,
  transport: Layer.Layer<Transport, E, R>,
  boundHost: string | null = null,
  store: Layer.Layer<ServerStore | EventJournal | Fleet | SnapshotStore, StoreUnavailable> = Layer.mergeAll(
    ServerStore.memory,
    EventJournal.none,
    Fleet.single(),
    SnapshotStore.memory
  )
) =>
  Manager.layer.pipe(
    Layer.provideMerge(store),
    Layer.provideMerge(Probe.ping),
    Layer.provideMerge(transport),
    Layer.provideMerge(ManagerConfig.layer(managerOptions(config))),
    // `/mcp` sessions and the upstream sessions of a client's own share `max_mcp_sessions`.
    Layer.provideMerge(SessionBudget.layer(config.max_mcp_sessions)),
    Layer.provideMerge(GatewayOptions.layer(gatewaySettings(config, authToken, boundHost))),
    Layer.provideMerge(HostResolver.system())
  )

/**
 * The routes and the lifecycle, needing an `HttpServer` and the service core. Provide the server first and then
 * `serviceCore` (see the CLI), so shutdown runs the other way round: routes go, the server drains in-flight
 * requests, and only then are sessions and stdio children closed.
 */
export const gatewayRoutes = (config: ConfigFile) =>
  Layer.mergeAll(HttpLive, Lifecycle(config)).pipe(HttpServer.withLogAddress)
