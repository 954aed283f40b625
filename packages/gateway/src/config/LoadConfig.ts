import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, resolve } from "node:path"
import { redact, secretList, urlSecrets, valueSecrets } from "@att/core/internal"
import { Data, Either, ParseResult, Schema } from "effect"
import { ConfigFile } from "./ConfigFile.js"
import { expandReferences } from "./EnvReferences.js"

export class ConfigError extends Data.TaggedError("ConfigError")<{ readonly message: string }> {}

const EVERYTHING = "@modelcontextprotocol/server-everything"

/**
 * The stdio command of `@modelcontextprotocol/server-everything`, resolved from `from` (this module by default). It
 * is an optional dependency, needed only to serve without a config file: when it is not installed the error says so.
 */
export const everythingServer = (
  from: string = import.meta.url
): Either.Either<{ command: string; args: Array<string> }, ConfigError> => {
  let manifestPath: string
  try {
    manifestPath = createRequire(from).resolve(`${EVERYTHING}/package.json`)
  } catch {
    return Either.left(
      new ConfigError({
        message: `no config file, and ${EVERYTHING} (an optional dependency of @att/gateway, served when there is no config) is not installed: pass --config FILE (or ATT_CONFIG), or install it with npm install ${EVERYTHING}`
      })
    )
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: string | Record<string, string> }
  const bin = typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin ?? {})[0]
  if (bin === undefined) return Either.left(new ConfigError({ message: `${EVERYTHING} has no bin` }))
  return Either.right({ command: process.execPath, args: [join(dirname(manifestPath), bin), "stdio"] })
}

/** The stdio command of `@modelcontextprotocol/server-everything`; throws the `ConfigError` when it is not installed. */
export const everythingServerCommand = (): { command: string; args: Array<string> } =>
  Either.getOrThrowWith(everythingServer(), (error) => error)

/** What `att serve` runs with no config file: a gateway over the protocol's reference server. */
export const embeddedDefault = (): unknown => ({ mcpServers: { everything: everythingServerCommand() } })

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** Every string inside a value, however it is nested (a malformed `headers` or `env` may be any shape). */
const stringsIn = (value: unknown): ReadonlyArray<string> =>
  typeof value === "string" ? [value] : isObject(value) ? Object.values(value).flatMap(stringsIn) : []

/**
 * The secrets of a config value as it was read, valid or not: each server's URL credentials, header and env values,
 * and the bearer token. A decoding error quotes the values it rejects (and the whole `mcpServers` beside them).
 */
const configSecrets = (value: unknown): ReadonlyArray<string> => {
  if (!isObject(value)) return []
  const servers = isObject(value.mcpServers) ? Object.values(value.mcpServers).filter(isObject) : []
  return secretList([
    ...stringsIn(value.auth_token),
    ...servers.flatMap((server) => [
      ...(typeof server.url === "string" ? urlSecrets(server.url) : []),
      ...[...stringsIn(server.headers), ...stringsIn(server.env)].flatMap(valueSecrets)
    ])
  ])
}

/** Decode a config value; the error names the offending field, and shows no configured secret. */
export const decodeConfig = (value: unknown, source: string): Either.Either<ConfigFile, ConfigError> =>
  Schema.decodeUnknownEither(ConfigFile, { onExcessProperty: "error" })(value).pipe(
    Either.mapLeft(
      (error) =>
        new ConfigError({
          message: redact(
            `invalid config ${source}:\n${ParseResult.TreeFormatter.formatErrorSync(error)}`,
            configSecrets(value)
          )
        })
    )
  )

/** A JSON syntax error without the excerpt of the text V8 quotes (`..."authorization": Bearer s3c"...`). */
const withoutExcerpt = (message: string): string =>
  message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, "")

/**
 * The config to run with: `--config` / `ATT_CONFIG`, else `att.config.json` in the working directory when present,
 * else the embedded default.
 */
export const loadConfig = (
  explicit: string | undefined,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env
): Either.Either<{ config: ConfigFile; source: string }, ConfigError> => {
  const local = join(cwd, "att.config.json")
  const path = explicit !== undefined ? resolve(cwd, explicit) : existsSync(local) ? local : undefined
  if (path === undefined) {
    return everythingServer().pipe(
      Either.flatMap((everything) => decodeConfig({ mcpServers: { everything } }, "(embedded default)")),
      Either.map((config) => ({ config, source: `embedded default: ${EVERYTHING} over stdio` }))
    )
  }
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (error) {
    return Either.left(new ConfigError({ message: `cannot read config ${path}: ${(error as Error).message}` }))
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(
      new ConfigError({ message: `config ${path} is not valid JSON: ${withoutExcerpt((error as Error).message)}` })
    )
  }
  return expandReferences(json, env).pipe(
    Either.mapLeft((message) => new ConfigError({ message: `config ${path}: ${message}` })),
    Either.flatMap((expanded) => decodeConfig(expanded, path)),
    Either.map((config) => ({ config, source: path }))
  )
}
