import type { StoreUnavailable } from "@att/core"
import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted } from "effect"
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
  return Layer.provideMerge(Layer.effectDiscard(migrateAlone(where, secrets)), client)
}

/** The advisory lock replicas take to migrate one at a time (any constant, the same in every att). */
const MIGRATION_LOCK = 4_207_115_263

/**
 * `migrate` while holding an advisory lock on a connection of its own: replicas starting together on an empty database
 * migrate one after another (two at once race on `CREATE TABLE` and one fails on Postgres's own catalog). The lock is
 * released before that connection goes back to the pool.
 */
const migrateAlone = (where: string, secrets: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const lock = yield* sql.reserve
      yield* lock.execute("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK], undefined)
      yield* migrate(where, secrets).pipe(
        Effect.ensuring(Effect.ignore(lock.execute("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK], undefined)))
      )
    })
  ).pipe(
    Effect.catchTag("SqlError", (error) =>
      Effect.fail(unavailable(`cannot migrate the database ${where}`, secrets)(error))
    )
  )

/** The secret of a database URL, its password (as written and decoded): kept out of every reason. */
export const databaseSecrets = (url: string): ReadonlyArray<string> => {
  if (!URL.canParse(url)) return [url]
  const password = new URL(url).password
  return password === "" ? [] : [...new Set([password, decodeURIComponent(password)])]
}
