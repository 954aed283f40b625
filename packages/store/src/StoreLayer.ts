import { EventJournal, ServerStore, type StoreUnavailable } from "@att/core"
import { Layer } from "effect"
import { libsqlClient } from "./Libsql.js"
import { databaseSecrets, postgresClient } from "./Postgres.js"
import { JOURNAL_DEFAULTS, type JournalSettings, SqlEventJournal } from "./SqlEventJournal.js"
import { SqlServerStore } from "./SqlServerStore.js"
import { StoreWriter } from "./Writer.js"

/** Where att keeps its state: `--ephemeral`, `ATT_DATABASE_URL`, `--data-dir` / `ATT_DATA_DIR`. */
export interface StoreOptions {
  /** Keep everything in memory (nothing survives a restart). */
  readonly ephemeral: boolean
  /** The libSQL database's directory (default `./.att/`). */
  readonly dataDir: string
  /** `postgres://...`: Postgres instead of the data directory. */
  readonly databaseUrl: string | null
}

export const DEFAULT_DATA_DIR = ".att"

export const isPostgresUrl = (url: string): boolean => /^postgres(?:ql)?:\/\//i.test(url)

/**
 * The durable services for these options. Building it opens (and migrates) the database: it fails with the reason
 * when the data directory is unusable, the file corrupt, the schema newer than this code or Postgres refusing.
 */
export const storeLayer = (
  options: StoreOptions,
  journal: JournalSettings = JOURNAL_DEFAULTS
): Layer.Layer<ServerStore | EventJournal, StoreUnavailable> => {
  if (options.ephemeral) return Layer.merge(ServerStore.memory, EventJournal.none)
  const url = options.databaseUrl
  const postgres = url !== null && isPostgresUrl(url)
  const client = postgres ? postgresClient(url) : libsqlClient(options.dataDir)
  const secrets = postgres ? databaseSecrets(url) : []
  // One client and one writer for both: every write of this att goes through the same writer.
  return Layer.merge(SqlServerStore(secrets), SqlEventJournal(journal, secrets)).pipe(
    Layer.provide(StoreWriter.Default),
    Layer.provide(client)
  )
}
