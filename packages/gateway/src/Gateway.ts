import { Manager, ManagerConfig, Probe, type Transport } from "@att/core"
import { HttpServer } from "@effect/platform"
import { Duration, Effect, Layer, Schedule } from "effect"
import { type ConfigFile, configuredServers, gatewaySettings, managerOptions } from "./config/ConfigFile.js"
import { GatewayOptions } from "./GatewayOptions.js"
import { HttpLive } from "./http/Http.js"

/**
 * Register the configured upstreams, then connect them and keep health-checking them in the background, so the
 * service answers before its upstreams are up. Health checks run on a `Schedule`, a bounded number at a time.
 */
export const Lifecycle = (config: ConfigFile) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const manager = yield* Manager
      for (const server of configuredServers(config)) {
        yield* manager.register(server.name, server.upstream, { callTimeoutMs: server.callTimeoutMs })
      }
      const concurrency = config.health_concurrency
      yield* manager.connectAll({ concurrency }).pipe(
        Effect.zipRight(
          manager
            .healthCheckAll({ concurrency })
            .pipe(Effect.repeat(Schedule.spaced(Duration.seconds(config.health_interval_seconds))))
        ),
        Effect.catchAllCause((cause) => Effect.logError("background health checks stopped", cause)),
        Effect.forkScoped
      )
    })
  )

/**
 * The whole service for one config: HTTP API + lifecycle over the manager, on the provided `HttpServer` and
 * `Transport` (the CLI passes the SDK transport and a Node server).
 */
export const gatewayLayer = <E, R>(config: ConfigFile, authToken: string | null, transport: Layer.Layer<Transport, E, R>) =>
  Layer.mergeAll(HttpLive, Lifecycle(config)).pipe(
    Layer.provideMerge(Manager.layer),
    Layer.provideMerge(Probe.ping),
    Layer.provideMerge(transport),
    Layer.provideMerge(ManagerConfig.layer(managerOptions(config))),
    Layer.provideMerge(GatewayOptions.layer(gatewaySettings(config, authToken))),
    HttpServer.withLogAddress
  )
