import { EventJournal, type JournalEntry, type JournalStream, journalSchemas } from "@att/core"
import { SqlClient } from "@effect/sql"
import { Clock, DateTime, Effect, Layer, Schedule, Schema, type Scope } from "effect"
import { DatabaseLink, reportingTo } from "./DatabaseLink.js"
import { unavailable } from "./Failure.js"
import type { BatchWriter, EventBatch } from "./EventBatch.js"
import { sqlBatchWriter } from "./SqlBatchWriter.js"
import type { StoreWriter } from "./Writer.js"

export interface JournalSettings {
  /** How often queued events are written, in one batch (`event_flush_ms`). */
  readonly flushMs: number
  /** Keep at most this many events per stream (`event_retention_count`). */
  readonly retentionCount: number
  /** Keep no event older than this (`event_retention_days`). */
  readonly retentionDays: number
  /** Events waiting for the next batch at most; beyond, new ones are dropped and counted. */
  readonly queueCapacity: number
}

/** The replica whose events these are (`id`, persisted with each), and whether to read only its own (a fleet). */
export interface JournalReplica {
  readonly id: string
  readonly ownOnly: boolean
}

export const JOURNAL_DEFAULTS: JournalSettings = {
  flushMs: 100,
  retentionCount: 100_000,
  retentionDays: 7,
  queueCapacity: 50_000
}

const Position = Schema.Union(Schema.Number, Schema.NumberFromString)
const Row = Schema.Struct({ position: Position, payload: Schema.String })
const NewestRow = Schema.Struct({ newest: Schema.NullOr(Position) })

/**
 * `EventJournal` on an `@effect/sql` client. `unsafeOffer` only appends to a bounded array; one fiber writes what
 * accumulated every `flushMs` through `batchWriter` (one batch in flight at a time), and once more when the scope
 * closes. A batch that fails is kept (up to the capacity) and tells the `DatabaseLink`; while the link is
 * reconnecting no batch is sent (the events wait in the queue, new ones beyond its capacity dropped and counted), and
 * the first flush after it is back writes them.
 */
export const SqlEventJournal = (
  settings: JournalSettings = JOURNAL_DEFAULTS,
  secrets: ReadonlyArray<string> = [],
  replica: JournalReplica = { id: "", ownOnly: false },
  batchWriter: Effect.Effect<
    BatchWriter,
    never,
    Scope.Scope | SqlClient.SqlClient | StoreWriter | DatabaseLink
  > = sqlBatchWriter(replica)
) =>
  Layer.scoped(
    EventJournal,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const writer = yield* batchWriter
      const link = yield* DatabaseLink
      let queue: Array<JournalEntry> = []
      let dropped = 0
      let reportedDrops = 0

      // The events' one field that is not JSON already is the timestamp (read back through `journalSchemas`).
      const encode = (entry: JournalEntry) =>
        JSON.stringify({ ...entry.event, timestamp: DateTime.formatIso(entry.event.timestamp) })
      // Count retention scans the newest `retentionCount` positions: run it once per tenth of that inserted, and at
      // least once a minute (for the age bound).
      const trimEvery = Math.max(1, Math.floor(settings.retentionCount / 10))
      let sinceTrim = 0
      let lastTrimMs = 0

      const columns = (entries: ReadonlyArray<JournalEntry>): EventBatch => {
        const batch: EventBatch = { streams: [], positions: [], atMs: [], payloads: [] }
        for (const entry of entries) {
          batch.streams.push(entry.stream)
          batch.positions.push(entry.position)
          batch.atMs.push(DateTime.toEpochMillis(entry.event.timestamp))
          batch.payloads.push(encode(entry))
        }
        return batch
      }

      // On a fleet each replica's positions are its own: it reads (and retains) its own events only.
      const mine = replica.ownOnly ? sql` AND replica = ${replica.id}` : sql``

      const flush = Effect.gen(function* () {
        if (dropped > reportedDrops) {
          yield* Effect.logWarning(`event journal: ${dropped - reportedDrops} events dropped (queue full)`)
          reportedDrops = dropped
        }
        if (queue.length === 0 || !(yield* link.isOk)) return
        const batch = queue
        queue = []
        const nowMs = yield* Clock.currentTimeMillis
        const trim = sinceTrim + batch.length >= trimEvery || nowMs - lastTrimMs >= 60_000
        const retention = trim
          ? { count: settings.retentionCount, beforeMs: nowMs - settings.retentionDays * 86_400_000, streams: STREAMS }
          : undefined
        yield* writer.write(columns(batch), retention).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              sinceTrim = trim ? 0 : sinceTrim + batch.length
              if (trim) lastTrimMs = nowMs
            })
          ),
          Effect.catchAll((error) => {
            // Kept for the next batch, newest dropped beyond the capacity (and counted).
            const kept = [...batch, ...queue]
            dropped += Math.max(0, kept.length - settings.queueCapacity)
            queue = kept.slice(0, settings.queueCapacity)
            const failure = unavailable("event journal: batch not written", secrets)(error)
            return Effect.zipRight(Effect.logWarning(failure.reason), link.lost(failure))
          })
        )
      }).pipe(Effect.withSpan("EventJournal.flush"))

      yield* flush.pipe(Effect.repeat(Schedule.spaced(`${settings.flushMs} millis`)), Effect.forkScoped)
      // At the end a link that is down is not waited for: what could not be written is said.
      yield* Effect.addFinalizer(() =>
        Effect.zipRight(
          flush,
          Effect.suspend(() =>
            queue.length === 0
              ? Effect.void
              : Effect.logWarning(`event journal: ${queue.length} events not written (the database link is down)`)
          )
        )
      )

      const page = Effect.fn("EventJournal.page")(function* (
        stream: JournalStream,
        after: number,
        upTo: number,
        limit: number
      ) {
        const rows = yield* sql`SELECT position, payload FROM att_events
WHERE stream = ${stream}${mine} AND position > ${after} AND position <= ${upTo}
ORDER BY position LIMIT ${limit}`.pipe(
          Effect.flatMap(Schema.decodeUnknown(Schema.Array(Row))),
          Effect.mapError(unavailable("cannot read the event history", secrets)),
          reportingTo(link)
        )
        return yield* Effect.forEach(rows, (row) =>
          decodeEntry(stream, row.position, row.payload).pipe(
            Effect.mapError(unavailable("cannot read the event history", secrets))
          )
        )
      })

      const newest = (stream: JournalStream) =>
        sql`SELECT max(position) AS newest FROM att_events WHERE stream = ${stream}${mine}`.pipe(
          Effect.flatMap(Schema.decodeUnknown(Schema.Array(NewestRow))),
          Effect.map((rows) => rows[0]?.newest ?? 0),
          Effect.mapError(unavailable("cannot read the event history", secrets))
        )

      return {
        unsafeOffer: (entry: JournalEntry) => {
          if (queue.length >= settings.queueCapacity) dropped += 1
          else queue.push(entry)
        },
        page,
        newest,
        dropped: Effect.sync(() => dropped)
      }
    })
  )

/** Every journaled stream (retention runs on each). */
const STREAMS: ReadonlyArray<JournalStream> = ["connection", "invocation", "capability"]

const decodeEntry = (
  stream: JournalStream,
  position: number,
  payload: string
): Effect.Effect<JournalEntry, unknown> => {
  switch (stream) {
    case "connection":
      return Effect.map(Schema.decode(journalSchemas.connection)(payload), (event) => ({ stream, position, event }))
    case "invocation":
      return Effect.map(Schema.decode(journalSchemas.invocation)(payload), (event) => ({ stream, position, event }))
    case "capability":
      return Effect.map(Schema.decode(journalSchemas.capability)(payload), (event) => ({ stream, position, event }))
  }
}
