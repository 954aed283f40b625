import { DEFAULT_DATA_DIR } from "@att/store"
import { Command, Options } from "@effect/cli"
import { Config, Effect } from "effect"

/** A flag that falls back to an environment variable, then to a default. */
const withEnv = (name: string, fallback: string) =>
  Options.withFallbackConfig(Config.string(name).pipe(Config.withDefault(fallback)))

/** Where att keeps its state: the flag, `ATT_DATA_DIR`, `./.att/` (`ATT_DATABASE_URL` names Postgres instead). */
export const dataDirOption = Options.text("data-dir").pipe(
  withEnv("ATT_DATA_DIR", DEFAULT_DATA_DIR),
  Options.withDescription(
    "where servers registered through the API and the event history are kept (env ATT_DATA_DIR; default ./.att/); ATT_DATABASE_URL=postgres://... keeps them in Postgres instead"
  )
)

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
  dataDir: dataDirOption,
  ephemeral: Options.boolean("ephemeral").pipe(
    Options.withDescription("keep everything in memory: nothing survives a restart")
  ),
  logFormat: Options.choice("log-format", ["text", "json"]).pipe(
    Options.withFallbackConfig(Config.literal("text", "json")("ATT_LOG_FORMAT").pipe(Config.withDefault("text"))),
    Options.withDescription("log lines as text or as JSON objects (env ATT_LOG_FORMAT; default text)")
  )
}

export type ServeOptions = Command.Command.ParseConfig<typeof serveOptions>

/** The service's modules load only when it serves: the client commands start faster without them. */
const serve = (options: ServeOptions) =>
  Effect.flatMap(
    Effect.promise(() => import("./ServeRun.js")),
    (module) => module.runServe(options)
  )

// Not traced as a command: a span around the service's lifetime would be the parent of every request's trace.
export const serveCommand = Command.make("serve", serveOptions, serve).pipe(
  Command.withDescription(
    "run the gateway until SIGINT / SIGTERM (the bearer token: the config's auth_token or env ATT_TOKEN)"
  )
)
