import { hostname } from "node:os"
import { EventJournal, Fleet, ServerStore, SnapshotStore, type StoreUnavailable } from "@att/core"
import { Layer } from "effect"
import { join, resolve } from "node:path"
import { DatabaseLink } from "./DatabaseLink.js"
import { DATABASE_FILE, libsqlClient } from "./Libsql.js"
import { libsqlBatchWriter } from "./LibsqlBatchWriter.js"
import { PgFleet } from "./PgFleet.js"
import { databaseSecrets, postgresClient } from "./Postgres.js"
import { JOURNAL_DEFAULTS, type JournalSettings, SqlEventJournal } from "./SqlEventJournal.js"
import { SqlServerStore } from "./SqlServerStore.js"
import { SqlSnapshotStore } from "./SqlSnapshotStore.js"
import { StoreWriter } from "./Writer.js"

/** Where att keeps its state: `--ephemeral`, `ATT_DATABASE_URL`, `--data-dir` / `ATT_DATA_DIR`. */
export interface StoreOptions {
  /** Keep everything in memory (nothing survives a restart). */
  readonly ephemeral: boolean
  /** The libSQL database's directory (default `./.att/`). */
  readonly dataDir: string
  /** `postgres://...`: Postgres instead of the data directory. */
  readonly databaseUrl: string | null
  /** This replica's id, persisted with its events (`ATT_REPLICA_ID`; default `hostname:pid`). */
  readonly replicaId?: string | undefined
  /** A health-check lease's life on a fleet (`lease_seconds`, default 10). */
  readonly leaseSeconds?: number | undefined
}

/** `ATT_REPLICA_ID` when set, else `hostname:pid`. */
export const defaultReplicaId = (env: NodeJS.ProcessEnv = process.env): string =>
  env.ATT_REPLICA_ID !== undefined && env.ATT_REPLICA_ID !== "" ? env.ATT_REPLICA_ID : `${hostname()}:${process.pid}`

export const DEFAULT_LEASE_SECONDS = 10

export const DEFAULT_DATA_DIR = ".att"

export const isPostgresUrl = (url: string): boolean => /^postgres(?:ql)?:\/\//i.test(url)

/**
 * The durable services for these options. Building it opens (and migrates) the database: it fails with the reason
 * when the data directory is unusable, the file corrupt, the schema newer than this code or Postgres refusing.
 */
export const storeLayer = (
  options: StoreOptions,
  journal: JournalSettings = JOURNAL_DEFAULTS
): Layer.Layer<ServerStore | EventJournal | Fleet | SnapshotStore, StoreUnavailable> => {
  const replicaId = options.replicaId ?? defaultReplicaId()
  if (options.ephemeral)
    return Layer.mergeAll(ServerStore.memory, EventJournal.none, Fleet.single(replicaId), SnapshotStore.memory)
  const url = options.databaseUrl
  if (url === null || !isPostgresUrl(url)) {
    // The journal's batches go through a writer thread of their own (libSQL's driver blocks the thread it runs on).
    const file = join(resolve(options.dataDir), DATABASE_FILE)
    return Layer.mergeAll(
      SqlServerStore(),
      SqlSnapshotStore(),
      SqlEventJournal(journal, [], { id: replicaId, ownOnly: false }, libsqlBatchWriter(file, replicaId)),
      Fleet.single(replicaId)
    ).pipe(
      Layer.provide(Layer.merge(StoreWriter.Default, DatabaseLink.layer())),
      Layer.provide(libsqlClient(options.dataDir))
    )
  }
  const secrets = databaseSecrets(url)
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS
  // One client, one writer and one link for all: every write of this att goes through the same writer, and every
  // failed one tells the same link. On a fleet each replica reads its own events (their positions are its own).
  return Layer.mergeAll(
    SqlServerStore(secrets),
    SqlSnapshotStore(secrets),
    SqlEventJournal(journal, secrets, { id: replicaId, ownOnly: true }),
    PgFleet({ replicaId, leaseSeconds }, secrets)
  ).pipe(
    Layer.provide(Layer.merge(StoreWriter.Default, DatabaseLink.layer(secrets))),
    Layer.provide(postgresClient(url, replicaId))
  )
}
