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
  ),
  "0003_fleet": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.all(
      [
        sql`ALTER TABLE att_servers ADD COLUMN version BIGINT NOT NULL DEFAULT 0`,
        sql`ALTER TABLE att_events ADD COLUMN replica TEXT NOT NULL DEFAULT ''`,
        // A fleet shares one Postgres: versions, notifications and leases live there (one libSQL file has no peers).
        sql.onDialectOrElse({
          pg: () => Effect.forEach(fleetStatements, (text) => sql.unsafe(text), { discard: true }),
          orElse: () => Effect.void
        })
      ],
      { discard: true }
    )
  ),
  // The last successful initialize's snapshot of each server; `endpoint` is a digest of its upstream (no secret).
  "0004_capability_snapshots": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`CREATE TABLE att_capability_snapshots (
  name TEXT PRIMARY KEY NOT NULL,
  endpoint TEXT NOT NULL,
  snapshot TEXT NOT NULL
)`
  ),
  // A server's `session_mode` (null: `auto`), registered through the API like its call timeout.
  "0005_session_mode": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`ALTER TABLE att_servers ADD COLUMN session_mode TEXT`
  )
}

/**
 * Postgres only. Every write of `att_servers` gets the next version from a sequence (so the last write wins with the
 * same number everywhere) and notifies `att_servers` with `{name, version}` when it commits, whoever wrote it. Each
 * replica's events are its own positions (`replica` in the key). A lease row per upstream says who probes it.
 */
const fleetStatements = [
  "CREATE SEQUENCE att_server_versions",
  `CREATE FUNCTION att_server_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.version := nextval('att_server_versions'); RETURN NEW; END $$`,
  `CREATE TRIGGER att_servers_version BEFORE INSERT OR UPDATE ON att_servers
FOR EACH ROW EXECUTE FUNCTION att_server_version()`,
  `CREATE FUNCTION att_server_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('att_servers', json_build_object('name', OLD.name, 'version', nextval('att_server_versions'))::text);
  ELSE
    PERFORM pg_notify('att_servers', json_build_object('name', NEW.name, 'version', NEW.version)::text);
  END IF;
  RETURN NULL;
END $$`,
  `CREATE TRIGGER att_servers_notify AFTER INSERT OR UPDATE OR DELETE ON att_servers
FOR EACH ROW EXECUTE FUNCTION att_server_notify()`,
  "ALTER TABLE att_events DROP CONSTRAINT att_events_pkey",
  "ALTER TABLE att_events ADD PRIMARY KEY (stream, replica, position)",
  `CREATE TABLE att_leases (
  key TEXT PRIMARY KEY NOT NULL,
  holder TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  healthy BOOLEAN,
  error TEXT,
  checked_at TIMESTAMPTZ
)`
]

/** The newest schema version this code knows. */
export const LATEST_VERSION = Object.keys(migrations).length

export const loader = Migrator.fromRecord(migrations)
