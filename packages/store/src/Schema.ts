import { StoreUnavailable } from "@att/core"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import * as Migrator from "@effect/sql/Migrator"
import { Effect, Schema } from "effect"
import { unavailable } from "./Failure.js"
import { LATEST_VERSION, MIGRATIONS_TABLE, loader } from "./Migrations.js"

const Count = Schema.Array(
  Schema.Struct({ present: Schema.Union(Schema.Number, Schema.Boolean, Schema.BigIntFromSelf) })
)
const Version = Schema.Array(Schema.Struct({ version: Schema.NullOr(Schema.Number) }))

/** The schema version recorded in the database; 0 for a new one. */
const storedVersion = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const query: Effect.Effect<ReadonlyArray<unknown>, SqlError> = sql.onDialectOrElse({
    pg: () => sql`SELECT to_regclass(${MIGRATIONS_TABLE}) IS NOT NULL AS present`,
    orElse: () => sql`SELECT count(*) AS present FROM sqlite_master WHERE type = 'table' AND name = ${MIGRATIONS_TABLE}`
  })
  const present = yield* Schema.decodeUnknown(Count)(yield* query)
  const value = present[0]?.present
  if (value === undefined || value === false || value === 0 || value === 0n) return 0
  const rows = yield* Schema.decodeUnknown(Version)(
    yield* sql`SELECT max(migration_id) AS version FROM ${sql(MIGRATIONS_TABLE)}`
  )
  return rows[0]?.version ?? 0
})

/**
 * Bring the schema to this code's version. A database written by a newer att is refused before anything is
 * changed (its tables are left as they are); so is one that cannot be read (a corrupt file).
 */
export const migrate = (
  where: string,
  secrets: ReadonlyArray<string> = []
): Effect.Effect<void, StoreUnavailable, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const version = yield* storedVersion.pipe(
      Effect.mapError(unavailable(`cannot read the database ${where}`, secrets))
    )
    if (version > LATEST_VERSION) {
      return yield* new StoreUnavailable({
        reason: `the database ${where} has schema version ${version}, newer than this att's ${LATEST_VERSION}: run a newer att (nothing was changed)`
      })
    }
    yield* Migrator.make({})({ loader, table: MIGRATIONS_TABLE }).pipe(
      Effect.mapError(unavailable(`cannot migrate the database ${where}`, secrets))
    )
  }).pipe(Effect.withSpan("Store.migrate"))
