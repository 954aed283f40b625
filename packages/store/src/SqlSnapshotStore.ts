import { SnapshotStore, StoredSnapshot } from "@att/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { DatabaseLink, reportingTo } from "./DatabaseLink.js"
import { unavailable } from "./Failure.js"
import { StoreWriter } from "./Writer.js"

const Row = Schema.Struct({ name: Schema.String, endpoint: Schema.String, snapshot: Schema.String })
const SnapshotJson = Schema.parseJson(StoredSnapshot.fields.snapshot)
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))
const decodeSnapshot = Schema.decode(SnapshotJson)
const encodeSnapshot = Schema.encode(SnapshotJson)

/**
 * `SnapshotStore` on an `@effect/sql` client (libSQL or Postgres, the same statements): one row per server name,
 * upserted through the `StoreWriter` (a failed write tells the `DatabaseLink`). On a fleet the table is shared: the last handshake written wins.
 */
export const SqlSnapshotStore = (secrets: ReadonlyArray<string> = []) =>
  Layer.effect(
    SnapshotStore,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const writer = yield* StoreWriter
      const link = yield* DatabaseLink

      const load = Effect.gen(function* () {
        const rows = yield* decodeRows(yield* sql`SELECT name, endpoint, snapshot FROM att_capability_snapshots`)
        return yield* Effect.forEach(rows, (row) =>
          Effect.map(
            decodeSnapshot(row.snapshot),
            (snapshot): StoredSnapshot => ({ name: row.name, endpoint: row.endpoint, snapshot })
          )
        )
      }).pipe(
        Effect.mapError(unavailable("cannot read the capability snapshots", secrets)),
        Effect.withSpan("SnapshotStore.load")
      )

      const save = Effect.fn("SnapshotStore.save")(function* (stored: StoredSnapshot) {
        const snapshot = yield* Effect.orDie(encodeSnapshot(stored.snapshot))
        yield* writer
          .write(
            sql`INSERT INTO att_capability_snapshots (name, endpoint, snapshot)
VALUES (${stored.name}, ${stored.endpoint}, ${snapshot})
ON CONFLICT (name) DO UPDATE SET endpoint = excluded.endpoint, snapshot = excluded.snapshot`
          )
          .pipe(Effect.mapError(unavailable("cannot save the capability snapshot", secrets)), reportingTo(link))
      })

      return { load, save }
    })
  )
