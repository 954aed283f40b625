import type { StoreUnavailable } from "@att/core"
import { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "@effect/sql"
import { Layer, Redacted } from "effect"
import { unavailable } from "./Failure.js"
import { migrate } from "./Schema.js"

/** The URL as shown in messages: without its password. */
export const displayDatabaseUrl = (url: string): string => {
  if (!URL.canParse(url)) return "(the database URL)"
  const parsed = new URL(url)
  if (parsed.password !== "") parsed.password = "***"
  return parsed.href
}

/**
 * Postgres at `url` (`postgres://user:pass@host:port/db`; TLS and pool options as the driver reads them from the
 * URL), migrated. Refusing at start fails the layer with the reason.
 */
export const postgresClient = (
  url: string,
  replicaId?: string
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, StoreUnavailable> => {
  const secrets = databaseSecrets(url)
  const where = displayDatabaseUrl(url)
  // The replica names its connections (`pg_stat_activity.application_name`): an operator sees who is connected.
  const applicationName = replicaId === undefined ? "att" : `att ${replicaId}`.slice(0, 63)
  const client = PgClient.layer({ url: Redacted.make(url), connectTimeout: "5 seconds", applicationName }).pipe(
    Layer.mapError(unavailable(`cannot connect to ${where}`, secrets))
  )
  return Layer.provideMerge(Layer.effectDiscard(migrate(where, secrets)), client)
}

/** The secret of a database URL, its password (as written and decoded): kept out of every reason. */
export const databaseSecrets = (url: string): ReadonlyArray<string> => {
  if (!URL.canParse(url)) return [url]
  const password = new URL(url).password
  return password === "" ? [] : [...new Set([password, decodeURIComponent(password)])]
}
