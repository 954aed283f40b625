import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import type { StoreUnavailable } from "@att/core"
import { LibsqlClient } from "@effect/sql-libsql"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { unavailable } from "./Failure.js"
import { migrate } from "./Schema.js"

export const DATABASE_FILE = "att.db"

/**
 * The data directory, created 0700 when missing, and its database file, created 0600 when missing. A directory
 * that cannot be written is refused here, before the database is opened.
 */
export const prepareDataDir = (dataDir: string) =>
  Effect.try({
    try: () => {
      const dir = resolve(dataDir)
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 })
      if (!statSync(dir).isDirectory()) throw new Error("not a directory")
      accessSync(dir, constants.W_OK | constants.X_OK)
      const file = join(dir, DATABASE_FILE)
      if (existsSync(file)) accessSync(file, constants.R_OK | constants.W_OK)
      else closeSync(openSync(file, "a", 0o600))
      return file
    },
    catch: (error) =>
      unavailable(`data directory ${dataDir} is not usable`)(
        error instanceof Error && "code" in error ? new Error(`${error.code}`) : error
      )
  })

/** SQLite's side files appear with the process umask: keep them 0600 like the database. */
const restrictSideFiles = (file: string) =>
  Effect.sync(() => {
    for (const suffix of ["-wal", "-shm"]) {
      if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600)
    }
  })

/**
 * libSQL (embedded SQLite) in `dataDir`, migrated: WAL journal with `synchronous = FULL` (SQLite's default, set
 * anyway), so a statement that returned has been synced to disk and survives `kill -9` and power loss. The event
 * journal writes from a thread of its own on a second connection: `busy_timeout` makes either wait for the other's
 * commit (a few ms) instead of failing with SQLITE_BUSY.
 */
export const libsqlClient = (dataDir: string): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> =>
  Layer.unwrapEffect(
    Effect.map(prepareDataDir(dataDir), (file) => {
      const client = LibsqlClient.layer({ url: `file:${file}` })
      const setup = Layer.effectDiscard(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* migrate(file)
          yield* Effect.mapError(
            Effect.all([
              sql`PRAGMA journal_mode = WAL`,
              sql`PRAGMA synchronous = FULL`,
              sql`PRAGMA busy_timeout = 5000`
            ]),
            unavailable(`cannot open the database ${file}`)
          )
          yield* restrictSideFiles(file)
        })
      )
      return Layer.provideMerge(setup, client) as Layer.Layer<SqlClient.SqlClient, StoreUnavailable>
    })
  )
