import { ServerStore, SessionMode, StoredServer } from "@att/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { DatabaseLink, reportingTo } from "./DatabaseLink.js"
import { unavailable } from "./Failure.js"
import { StoreWriter } from "./Writer.js"

const Row = Schema.Struct({
  name: Schema.String,
  upstream: Schema.String,
  call_timeout_ms: Schema.NullOr(Schema.Number),
  session_mode: Schema.NullOr(SessionMode)
})
const UpstreamJson = Schema.parseJson(StoredServer.fields.upstream)
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))
const decodeUpstream = Schema.decode(UpstreamJson)
const encodeUpstream = Schema.encode(UpstreamJson)

/**
 * `ServerStore` on an `@effect/sql` client (libSQL or Postgres: the statements are the same). A save is one
 * upsert statement, so it commits alone; every write goes through the `StoreWriter`. `secrets` (the database URL's
 * password) are kept out of every reason. A failed write tells the `DatabaseLink`, whose state `status` reports.
 */
export const SqlServerStore = (secrets: ReadonlyArray<string> = []) =>
  Layer.effect(
    ServerStore,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const writer = yield* StoreWriter
      const link = yield* DatabaseLink

      const load = Effect.gen(function* () {
        const rows = yield* decodeRows(
          yield* sql`SELECT name, upstream, call_timeout_ms, session_mode FROM att_servers ORDER BY name`
        )
        return yield* Effect.forEach(rows, (row) =>
          Effect.map(
            decodeUpstream(row.upstream),
            (upstream): StoredServer => ({
              name: row.name,
              upstream,
              call_timeout_ms: row.call_timeout_ms,
              ...(row.session_mode === null ? {} : { session_mode: row.session_mode })
            })
          )
        )
      }).pipe(
        Effect.mapError(unavailable("cannot read the stored servers", secrets)),
        Effect.withSpan("ServerStore.load")
      )

      const save = Effect.fn("ServerStore.save")(function* (server: StoredServer) {
        const upstream = yield* Effect.orDie(encodeUpstream(server.upstream))
        yield* writer
          .write(
            sql`INSERT INTO att_servers (name, upstream, call_timeout_ms, session_mode)
VALUES (${server.name}, ${upstream}, ${server.call_timeout_ms}, ${server.session_mode ?? null})
ON CONFLICT (name) DO UPDATE SET upstream = excluded.upstream, call_timeout_ms = excluded.call_timeout_ms,
  session_mode = excluded.session_mode`
          )
          .pipe(Effect.mapError(unavailable("cannot save the server", secrets)), reportingTo(link))
      })

      const remove = Effect.fn("ServerStore.remove")(function* (name: string) {
        yield* writer
          .write(sql`DELETE FROM att_servers WHERE name = ${name}`)
          .pipe(Effect.mapError(unavailable("cannot remove the server", secrets)), reportingTo(link))
      })

      return { load, save, remove, status: link.status }
    })
  )
