import * as Migrator from "@effect/sql/Migrator"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** The table the migrator keeps its versions in. */
export const MIGRATIONS_TABLE = "att_migrations"

/**
 * att's schema, one entry per version (never edit a released one: add the next). The statements are the same on
 * SQLite (libSQL) and Postgres; `upstream` is the upstream as JSON text (it holds secrets as given).
 */
const migrations = {
  "0001_servers": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`CREATE TABLE att_servers (
  name TEXT PRIMARY KEY NOT NULL,
  upstream TEXT NOT NULL,
  call_timeout_ms INTEGER
)`
  ),
  "0002_events": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      sql`CREATE TABLE att_events (
  stream TEXT NOT NULL,
  position BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (stream, position)
)`,
      sql`CREATE INDEX att_events_at ON att_events (at_ms)`
    )
  )
}

/** The newest schema version this code knows. */
export const LATEST_VERSION = Object.keys(migrations).length

export const loader = Migrator.fromRecord(migrations)
