import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { BatchWriter, EventBatch, Retention } from "./EventBatch.js"
import type { JournalReplica } from "./SqlEventJournal.js"
import { StoreWriter } from "./Writer.js"

/** Rows per INSERT on SQLite: 5 parameters each, well under its 32 766. */
const ROWS_PER_STATEMENT = 1000

/**
 * Journal batches through the store's `SqlClient`, under the `StoreWriter`. On Postgres one statement per batch
 * whatever its size, the rows as one JSON parameter (a multi-row VALUES list costs a placeholder per value to build,
 * send and parse). Elsewhere multi-row inserts.
 */
export const sqlBatchWriter = (
  replica: JournalReplica
): Effect.Effect<BatchWriter, never, SqlClient.SqlClient | StoreWriter> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const writer = yield* StoreWriter

    // One JSON parameter: V8's JSON.stringify escapes the payloads far faster than the driver's array literals.
    const insertJson = (batch: EventBatch) =>
      sql.unsafe(
        `INSERT INTO att_events (stream, replica, position, at_ms, payload)
SELECT e->>0, $2::text, (e->>1)::bigint, (e->>2)::bigint, e->>3 FROM json_array_elements($1::json) AS e
ON CONFLICT DO NOTHING`,
        [
          JSON.stringify(
            batch.streams.map((stream, i) => [stream, batch.positions[i], batch.atMs[i], batch.payloads[i]])
          ),
          replica.id
        ]
      )

    const insertValues = (batch: EventBatch) =>
      Effect.forEach(
        ranges(batch.streams.length, ROWS_PER_STATEMENT),
        ([from, to]) =>
          sql`INSERT INTO att_events ${sql.insert(
            batch.streams.slice(from, to).map((stream, i) => ({
              stream,
              replica: replica.id,
              position: batch.positions[from + i] ?? 0,
              at_ms: batch.atMs[from + i] ?? 0,
              payload: batch.payloads[from + i] ?? ""
            }))
          )} ON CONFLICT DO NOTHING`,
        { discard: true }
      )

    const insert = (batch: EventBatch): Effect.Effect<void, unknown> =>
      sql.onDialectOrElse({ pg: () => Effect.asVoid(insertJson(batch)), orElse: () => insertValues(batch) })

    // On a fleet each replica's positions are its own: it retains its own events only.
    const mine = replica.ownOnly ? sql` AND replica = ${replica.id}` : sql``
    const retain = (retention: Retention) =>
      Effect.forEach(
        retention.streams,
        (stream) =>
          Effect.zipRight(
            sql`DELETE FROM att_events WHERE stream = ${stream}${mine} AND position <= (
  SELECT position FROM att_events WHERE stream = ${stream}${mine} ORDER BY position DESC
  LIMIT 1 OFFSET ${retention.count})`,
            sql`DELETE FROM att_events WHERE stream = ${stream} AND at_ms < ${retention.beforeMs}`
          ),
        { discard: true }
      )

    return {
      write: (batch, retention) =>
        writer.write(retention === undefined ? insert(batch) : Effect.zipRight(insert(batch), retain(retention)))
    }
  })

const ranges = (length: number, size: number): ReadonlyArray<readonly [number, number]> => {
  const out: Array<readonly [number, number]> = []
  for (let from = 0; from < length; from += size) out.push([from, Math.min(length, from + size)])
  return out
}
