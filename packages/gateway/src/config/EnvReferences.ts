import { Either } from "effect"

/** `${NAME}`: a value taken from the environment when the config is read (secrets need not sit in the file). */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const expand = (text: string, env: NodeJS.ProcessEnv, missing: Set<string>): string =>
  text.replace(REFERENCE, (_whole, name: string) => {
    const value = env[name]
    if (value === undefined) missing.add(name)
    return value ?? ""
  })

const expandValues = (record: unknown, env: NodeJS.ProcessEnv, missing: Set<string>): unknown =>
  isObject(record)
    ? Object.fromEntries(
        Object.entries(record).map(([key, value]) => [
          key,
          typeof value === "string" ? expand(value, env, missing) : value
        ])
      )
    : record

/**
 * The config value with `${NAME}` references replaced from `env` in each server's `url`, `headers` and `env` values
 * (the places secrets go). A reference to an unset variable is an error naming it.
 */
export const expandReferences = (config: unknown, env: NodeJS.ProcessEnv): Either.Either<unknown, string> => {
  if (!isObject(config) || !isObject(config.mcpServers)) return Either.right(config)
  const missing = new Set<string>()
  const mcpServers = Object.fromEntries(
    Object.entries(config.mcpServers).map(([name, entry]) => {
      if (!isObject(entry)) return [name, entry]
      const out: Record<string, unknown> = { ...entry }
      if (typeof entry.url === "string") out.url = expand(entry.url, env, missing)
      if ("headers" in entry) out.headers = expandValues(entry.headers, env, missing)
      if ("env" in entry) out.env = expandValues(entry.env, env, missing)
      return [name, out]
    })
  )
  if (missing.size > 0) {
    return Either.left(
      `the config references environment variables that are not set: ${[...missing].sort().join(", ")}`
    )
  }
  return Either.right({ ...config, mcpServers })
}
