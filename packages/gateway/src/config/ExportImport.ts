import { ServerStore, type StoredServer, type StoreUnavailable } from "@att/core"
import { Effect, Either } from "effect"
import { configuredServers } from "./ConfigFile.js"
import { expandReferences } from "./EnvReferences.js"
import { ConfigError, decodeConfig } from "./LoadConfig.js"

/** A registry written as a config file, and the environment variables its `${NAME}` references need. */
export interface Exported {
  readonly config: { readonly mcpServers: Record<string, Record<string, unknown>> }
  readonly variables: ReadonlyArray<string>
}

const envName = (...parts: ReadonlyArray<string>) =>
  `ATT_${parts.map((part) => part.toUpperCase().replace(/[^A-Z0-9]+/g, "_")).join("_")}`

/**
 * The stored servers as `mcpServers` entries. Secrets given through the API never go into the file: each header
 * value, stdio env value and URL password becomes a `${ATT_<SERVER>_<KEY>}` reference, and the names are listed so
 * the operator can provide them where the file is used (`att import` and `att serve` read them from the environment).
 */
export const exportServers = (servers: ReadonlyArray<StoredServer>): Exported => {
  const variables: Array<string> = []
  const reference = (...parts: ReadonlyArray<string>) => {
    const name = envName(...parts)
    variables.push(name)
    return `\${${name}}`
  }
  const referenced = (server: string, values: Readonly<Record<string, string>> | undefined) =>
    values === undefined
      ? undefined
      : Object.fromEntries(Object.keys(values).map((key) => [key, reference(server, key)]))
  const mcpServers: Record<string, Record<string, unknown>> = {}
  for (const { name, upstream, call_timeout_ms, session_mode } of servers) {
    const timeout = {
      ...(call_timeout_ms === null ? {} : { timeout_ms: call_timeout_ms }),
      ...(session_mode === undefined ? {} : { session_mode })
    }
    if (upstream.transport === "stdio") {
      const env = referenced(name, upstream.env)
      mcpServers[name] = {
        command: upstream.command,
        args: upstream.args ?? [],
        ...(env === undefined ? {} : { env }),
        ...(upstream.cwd === undefined ? {} : { cwd: upstream.cwd }),
        ...timeout
      }
      continue
    }
    const url = new URL(upstream.url)
    let text = upstream.url
    if (url.password !== "") {
      const user = url.username
      url.username = ""
      url.password = ""
      text = url.href.replace("://", `://${user}:${reference(name, "url_password")}@`)
    }
    const headers = referenced(name, upstream.headers)
    mcpServers[name] = {
      url: text,
      transport: upstream.transport,
      ...(headers === undefined ? {} : { headers }),
      ...timeout
    }
  }
  return { config: { mcpServers }, variables: [...new Set(variables)] }
}

/** `att export`: the servers registered through the API, as a config file. */
export const exportRegistry: Effect.Effect<Exported, StoreUnavailable, ServerStore> = Effect.map(
  Effect.flatMap(ServerStore, (store) => store.load),
  exportServers
)

/**
 * `att import`: the servers of a config file's text written to the store as registrations (secrets as the
 * environment gives them for `${NAME}` references). Returns their names; an invalid file changes nothing.
 */
export const importRegistry = (text: string, source: string, env: NodeJS.ProcessEnv) =>
  Effect.gen(function* () {
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new ConfigError({ message: `${source} is not valid JSON` })
    })
    const expanded = yield* Either.mapLeft(
      expandReferences(json, env),
      (message) => new ConfigError({ message: `${source}: ${message}` })
    )
    const config = yield* decodeConfig(expanded, source)
    const store = yield* ServerStore
    const servers = configuredServers(config)
    for (const server of servers) {
      yield* store.save({
        name: server.name,
        upstream: server.upstream,
        call_timeout_ms: server.callTimeoutMs ?? null,
        ...(server.sessionMode === undefined ? {} : { session_mode: server.sessionMode })
      })
    }
    return servers.map((server) => server.name)
  })
