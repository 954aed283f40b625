import { Command, Options } from "@effect/cli"
import { NodeHttpServer } from "@effect/platform-node"
import { SdkTransport } from "@att/sdk-transport"
import { Config, Console, Effect, Either, Layer, Logger, Option, RuntimeFlags, RuntimeFlagsPatch } from "effect"
import { transportOptions } from "../config/ConfigFile.js"
import { loadConfig } from "../config/LoadConfig.js"
import { DrainGuard } from "../http/DrainGuard.js"
import { makeNodeServer } from "../http/NodeServer.js"
import { gatewayRoutes, serviceCore } from "../Gateway.js"
import { HostResolver } from "../security/HostResolver.js"
import { bindsLoopbackOnly } from "./Args.js"
import { usageError } from "./Failure.js"

/** A flag that falls back to an environment variable, then to a default. */
const withEnv = (name: string, fallback: string) =>
  Options.withFallbackConfig(Config.string(name).pipe(Config.withDefault(fallback)))

/**
 * `att serve`'s flags, each with its environment variable (flag, then env, then default). A new flag is one line
 * here; the handler receives it by name.
 */
export const serveOptions = {
  config: Options.text("config").pipe(
    Options.withFallbackConfig(Config.string("ATT_CONFIG")),
    Options.optional,
    Options.withDescription(
      "config file (env ATT_CONFIG; default ./att.config.json when present, else a built-in demo)"
    )
  ),
  host: Options.text("host").pipe(
    withEnv("ATT_HOST", "127.0.0.1"),
    Options.withDescription("address to bind (env ATT_HOST)")
  ),
  port: Options.text("port").pipe(
    withEnv("ATT_PORT", "8080"),
    Options.withDescription("port to listen on (env ATT_PORT)")
  ),
  logFormat: Options.choice("log-format", ["text", "json"]).pipe(
    Options.withFallbackConfig(Config.literal("text", "json")("ATT_LOG_FORMAT").pipe(Config.withDefault("text"))),
    Options.withDescription("log lines as text or as JSON objects (env ATT_LOG_FORMAT; default text)")
  )
}

type ServeOptions = Command.Command.ParseConfig<typeof serveOptions>

// Effect 3 keeps fiber metrics by default: every fiber (one per request) updates four tagged metrics. att exports
// no metrics, so the service does not pay for them. Measured: 0.3 to 0.5 µs of CPU per fiber in process (an
// invocation in a fiber of its own, 32 at a time); a CPU profile of the service under 32 callers put Effect's runtime
// at ~70 µs per request with them and ~48 µs without (before the invoke routes moved to the HttpApi handlers).
const withoutFiberMetrics = Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.disable(RuntimeFlags.RuntimeMetrics))

const LOGGERS = { text: Logger.pretty, json: Logger.json } as const

/** Parse the flags, load the config, refuse unsafe binds, then run until SIGINT / SIGTERM. */
const serve = (options: ServeOptions) =>
  Effect.gen(function* () {
    const port = Number(options.port)
    if (!/^\s*\d+\s*$/.test(options.port) || !Number.isInteger(port) || port < 0 || port > 65535)
      return yield* usageError(`--port must be an integer from 0 to 65535, got ${options.port}`)
    const loaded = loadConfig(Option.getOrUndefined(options.config), process.cwd())
    if (Either.isLeft(loaded)) return yield* usageError(loaded.left.message)
    const { config, source } = loaded.right
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
    const App = gatewayRoutes(config).pipe(
      Layer.provideMerge(DrainGuard(server, config.drain_timeout_ms).pipe(Layer.provideMerge(nodeServer))),
      Layer.provideMerge(serviceCore(config, token, SdkTransport.layer(transportOptions(config)), options.host))
    )
    return yield* Layer.launch(App).pipe(withoutFiberMetrics, Effect.provide(LOGGERS[options.logFormat]))
  })

export const serveCommand = Command.make("serve", serveOptions, serve).pipe(
  Command.withDescription(
    "run the gateway until SIGINT / SIGTERM (the bearer token: the config's auth_token or env ATT_TOKEN)"
  )
)
