import { NodeFileSystem, NodeHttpServer } from "@effect/platform-node"
import type { StoreUnavailable } from "@att/core"
import { SdkTransport } from "@att/sdk-transport"
import { isPostgresUrl, storeLayer } from "@att/store"
import { Config, Console, Effect, Either, Layer, Option, RuntimeFlags, RuntimeFlagsPatch } from "effect"
import { journalSettings, transportOptions } from "../config/ConfigFile.js"
import { ConfigWatch } from "../config/ConfigWatch.js"
import { loadConfig } from "../config/LoadConfig.js"
import { DrainGuard } from "../http/DrainGuard.js"
import { makeNodeServer } from "../http/NodeServer.js"
import { loggerLayer } from "../telemetry/Logging.js"
import { tracingLayer } from "../telemetry/Tracing.js"
import { gatewayRoutes, serviceCore } from "../Gateway.js"
import { HostResolver } from "../security/HostResolver.js"
import { bindsLoopbackOnly } from "./Args.js"
import { operationFailed, usageError } from "./Failure.js"
import type { ServeOptions } from "./Serve.js"

// Effect 3 keeps fiber metrics by default: every fiber (one per request) updates four tagged metrics. att exports
// none of them (its own metrics are recorded where things happen), so the service does not pay for them. Measured: 0.3 to 0.5 µs of CPU per fiber in process (an
// invocation in a fiber of its own, 32 at a time); a CPU profile of the service under 32 callers put Effect's runtime
// at ~70 µs per request with them and ~48 µs without (before the invoke routes moved to the HttpApi handlers).
const withoutFiberMetrics = Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.disable(RuntimeFlags.RuntimeMetrics))

/** Parse the flags, load the config, refuse unsafe binds, then run until SIGINT / SIGTERM. */
export const runServe = (options: ServeOptions) =>
  Effect.gen(function* () {
    const port = Number(options.port)
    if (!/^\s*\d+\s*$/.test(options.port) || !Number.isInteger(port) || port < 0 || port > 65535)
      return yield* usageError(`--port must be an integer from 0 to 65535, got ${options.port}`)
    const loaded = loadConfig(Option.getOrUndefined(options.config), process.cwd())
    if (Either.isLeft(loaded)) return yield* usageError(loaded.left.message)
    const { config, source } = loaded.right
    const databaseUrl = yield* Config.string("ATT_DATABASE_URL").pipe(Config.withDefault(""))
    if (databaseUrl !== "" && !isPostgresUrl(databaseUrl))
      return yield* usageError("ATT_DATABASE_URL must be a postgres:// URL")
    const envToken = yield* Config.string("ATT_TOKEN").pipe(Config.withDefault(""))
    const token = envToken === "" ? config.auth_token : envToken
    const loopback = yield* bindsLoopbackOnly(options.host).pipe(Effect.provide(HostResolver.system()))
    if (!loopback && token === null)
      return yield* usageError(
        `refusing to bind ${options.host} without a bearer token: set auth_token in the config or ATT_TOKEN`
      )
    yield* Console.error(`att: config from ${source}`)

    const server = makeNodeServer(config)
    const nodeServer = NodeHttpServer.layer(() => server, { host: options.host, port })
    // A config file is watched: its servers apply while running (not the embedded default's).
    const watch = source.startsWith("embedded default")
      ? Layer.empty
      : ConfigWatch(config, source).pipe(Layer.provide(NodeFileSystem.layer))
    const store = storeLayer(
      {
        ephemeral: options.ephemeral,
        dataDir: options.dataDir,
        databaseUrl: databaseUrl === "" ? null : databaseUrl,
        // Replicas on one Postgres form a fleet, each named by ATT_REPLICA_ID (default hostname:pid).
        leaseSeconds: config.lease_seconds
      },
      journalSettings(config)
    )
    const App = Layer.merge(gatewayRoutes(config), watch).pipe(
      Layer.provideMerge(DrainGuard(server, config.drain_timeout_ms).pipe(Layer.provideMerge(nodeServer))),
      Layer.provideMerge(serviceCore(config, token, SdkTransport.layer(transportOptions(config)), options.host, store)),
      // Beneath everything: the logger (with trace ids), and the tracer when OTEL_EXPORTER_OTLP_ENDPOINT asks for it.
      Layer.provide(Layer.merge(loggerLayer(options.logFormat), tracingLayer(process.env)))
    )
    // A database att cannot use at start (unwritable, corrupt, newer, refusing): one line and exit code 1.
    return yield* Layer.launch(App).pipe(
      Effect.catchTag("StoreUnavailable", (error: StoreUnavailable) => Effect.fail(operationFailed(error.reason))),
      withoutFiberMetrics
    )
  })
