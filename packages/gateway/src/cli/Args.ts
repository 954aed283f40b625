import { parseArgs } from "node:util"
import { DEFAULT_DATA_DIR, type StoreOptions, defaultReplicaId } from "@att/store"
import { Effect, Either } from "effect"
import { isHostName, isLoopbackAddress } from "../security/AddressPolicy.js"
import { HostResolver } from "../security/HostResolver.js"

export interface ServeArgs {
  readonly config: string | undefined
  readonly host: string
  readonly port: number
  readonly token: string | null
  /** Where state is kept: `storeLayer`'s options (`@att/store`). */
  readonly store: StoreOptions
}

export const USAGE = `usage: att serve [--config FILE] [--host HOST] [--port PORT] [--data-dir DIR | --ephemeral]
  --config FILE  config file (env ATT_CONFIG; default ./att.config.json when present, else a built-in demo)
  --host HOST    address to bind (env ATT_HOST; default 127.0.0.1)
  --port PORT    port to listen on (env ATT_PORT; default 8080)
  --data-dir DIR where servers registered through the API are kept (env ATT_DATA_DIR; default ./.att/)
  --ephemeral    keep everything in memory: nothing survives a restart
  ATT_DATABASE_URL=postgres://... keeps them in Postgres instead of the data directory; replicas on one
  database form a fleet, each named by ATT_REPLICA_ID (default hostname:pid).
  The bearer token comes from the config's auth_token or env ATT_TOKEN.`

/**
 * Whether binding `host` serves this machine only (then att may run without a token): a loopback address, or a name
 * that resolves to loopback addresses only. Judged by what it resolves to, never by its spelling (`127.0.0.1.nip.io`
 * is a name like any other); a name that does not resolve is not loopback.
 */
export const bindsLoopbackOnly = Effect.fn("Args.bindsLoopbackOnly")(function* (host: string) {
  const bare = host.replace(/^\[|\]$/g, "")
  if (!isHostName(bare)) return isLoopbackAddress(bare)
  const addresses = yield* Effect.flatMap(HostResolver, (resolver) => resolver.addresses(bare))
  return addresses.length > 0 && addresses.every(isLoopbackAddress)
})

/** `bindsLoopbackOnly` by the system resolver. */
export const isLoopbackHost = (host: string): Promise<boolean> =>
  Effect.runPromise(bindsLoopbackOnly(host).pipe(Effect.provide(HostResolver.system())))

const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value)

/** Flags win over the environment, which wins over the defaults. */
export const parseServeArgs = (
  argv: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv
): Either.Either<ServeArgs, string> => {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "data-dir": { type: "string" },
        ephemeral: { type: "boolean" },
        help: { type: "boolean" }
      }
    })
  } catch (error) {
    return Either.left(`${(error as Error).message}\n${USAGE}`)
  }
  const [command = "serve", ...rest] = parsed.positionals
  if (parsed.values.help === true) return Either.left(USAGE)
  if (command !== "serve" || rest.length > 0)
    return Either.left(`unknown command: ${parsed.positionals.join(" ")}\n${USAGE}`)
  const portText = (parsed.values.port as string | undefined) ?? env.ATT_PORT ?? "8080"
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return Either.left(`--port must be an integer from 0 to 65535, got ${portText}`)
  const token = env.ATT_TOKEN
  const databaseUrl = env.ATT_DATABASE_URL === undefined || env.ATT_DATABASE_URL === "" ? null : env.ATT_DATABASE_URL
  if (databaseUrl !== null && !/^postgres(?:ql)?:\/\//i.test(databaseUrl))
    return Either.left("ATT_DATABASE_URL must be a postgres:// URL")
  const store: StoreOptions = {
    ephemeral: parsed.values.ephemeral === true,
    dataDir: (parsed.values["data-dir"] as string | undefined) ?? nonEmpty(env.ATT_DATA_DIR) ?? DEFAULT_DATA_DIR,
    databaseUrl,
    replicaId: defaultReplicaId(env)
  }
  return Either.right({
    store,
    config: (parsed.values.config as string | undefined) ?? env.ATT_CONFIG,
    host: (parsed.values.host as string | undefined) ?? env.ATT_HOST ?? "127.0.0.1",
    port,
    token: token === undefined || token === "" ? null : token
  })
}
