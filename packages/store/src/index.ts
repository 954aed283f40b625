/**
 * @att/store: att's durable state on `@effect/sql`: the `ServerStore` of core on libSQL (an embedded file, the
 * default) or Postgres, with versioned migrations, and the layer the command line builds from its options.
 */
export { DATABASE_FILE, libsqlClient, prepareDataDir } from "./Libsql.js"
export { LATEST_VERSION, MIGRATIONS_TABLE } from "./Migrations.js"
export { displayDatabaseUrl, postgresClient } from "./Postgres.js"
export { migrate } from "./Schema.js"
export { JOURNAL_DEFAULTS, type JournalReplica, type JournalSettings, SqlEventJournal } from "./SqlEventJournal.js"
export { SqlServerStore } from "./SqlServerStore.js"
export { SqlSnapshotStore } from "./SqlSnapshotStore.js"
export { type FleetSettings, PgFleet } from "./PgFleet.js"
export {
  DEFAULT_DATA_DIR,
  DEFAULT_LEASE_SECONDS,
  defaultReplicaId,
  isPostgresUrl,
  type StoreOptions,
  storeLayer
} from "./StoreLayer.js"
export { StoreWriter } from "./Writer.js"
