import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import { Data, Effect } from "effect"
import type { BatchWriter, EventBatch, Retention } from "./EventBatch.js"

/**
 * The writer thread's code (CommonJS, run with `eval`: the same text from the sources and the build). It opens its
 * own connection to the database file with libSQL's synchronous driver, inserts each batch in one transaction
 * through one prepared statement, then enforces retention, and answers
 * `{id}` or `{id, error}` (`{id: -1}` once ready). `synchronous = NORMAL` on this connection: a committed batch is in
 * the WAL and survives `kill -9` (the issue allows losing the last `event_flush_ms` to it), a power loss may lose the
 * batches since the last fsync (the next registration's commit, `FULL` on the main connection, or a checkpoint), and
 * the write lock is held for no fsync, so a registration rarely waits for a batch. `busy_timeout`: the main connection's registrations wait for a batch's commit (and the
 * other way round) instead of failing with SQLITE_BUSY.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.driver)
const db = new Database(workerData.file)
db.exec("PRAGMA busy_timeout = 5000")
db.exec("PRAGMA synchronous = NORMAL")
const insert = db.prepare(
  "INSERT INTO att_events (stream, replica, position, at_ms, payload) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
const byCount = db.prepare(
  "DELETE FROM att_events WHERE stream = ? AND position <= (SELECT position FROM att_events WHERE stream = ? ORDER BY position DESC LIMIT 1 OFFSET ?)"
)
const byAge = db.prepare("DELETE FROM att_events WHERE stream = ? AND at_ms < ?")
parentPort.postMessage({ id: -1 })
parentPort.on("message", ({ id, batch, retention }) => {
  try {
    const streams = batch.streams.split(",")
    const payloads = batch.payloads.split("\\n")
    db.exec("BEGIN IMMEDIATE")
    try {
      for (let i = 0; i < streams.length; i++)
        insert.run(streams[i], workerData.replica, batch.positions[i], batch.atMs[i], payloads[i])
      db.exec("COMMIT")
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK")
      throw error
    }
    if (retention !== undefined)
      for (const stream of retention.streams) {
        byCount.run(stream, stream, retention.count)
        byAge.run(stream, retention.beforeMs)
      }
    parentPort.postMessage({ id })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) })
  }
})
`

/** libSQL's synchronous driver, as `@libsql/client` (a dependency of `@effect/sql-libsql`) loads it. */
const driverPath = (): string => {
  const require = createRequire(import.meta.url)
  return createRequire(require.resolve("@libsql/client")).resolve("libsql")
}

/** A batch the writer thread could not write (its reason is the driver's, or the thread's end). */
class JournalWriterFailed extends Data.TaggedError("JournalWriterFailed")<{ readonly message: string }> {}

/**
 * A batch as few values as possible: copying a message to a thread costs per value, and the payloads are JSON text,
 * which never holds a raw newline (`JSON.stringify` escapes it), so they travel as one string.
 */
const packed = (batch: EventBatch) => ({
  streams: batch.streams.join(","),
  positions: Float64Array.from(batch.positions),
  atMs: Float64Array.from(batch.atMs),
  payloads: batch.payloads.join("\n")
})

/**
 * Journal batches written by a thread of their own: libSQL's local driver runs every statement synchronously, so on
 * the main thread a batch (its inserts and the WAL's fsync) would hold every request for its duration. The main
 * thread only hands the batch's columns over. A thread that died is started again with the next batch.
 */
export const libsqlBatchWriter = (file: string, replica: string) =>
  Effect.gen(function* () {
    let worker: Worker | undefined
    let nextId = 0
    const pending = new Map<number, (error: string | undefined) => void>()
    const failAll = (reason: string) => {
      for (const settle of pending.values()) settle(reason)
      pending.clear()
    }
    const start = (): Worker => {
      const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, replica, driver: driverPath() } })
      started.on("message", (answer: { readonly id: number; readonly error?: string }) => {
        pending.get(answer.id)?.(answer.error)
        pending.delete(answer.id)
      })
      started.on("error", (error) => failAll(`journal writer thread failed: ${error.message}`))
      started.on("exit", () => {
        if (worker === started) worker = undefined
        failAll("journal writer thread stopped")
      })
      return started
    }
    // Started with the journal, ready (its connection open) before the journal's first batch is due.
    yield* Effect.async<void>((resume) => {
      pending.set(-1, () => resume(Effect.void))
      worker = start()
    })
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const running = worker
        worker = undefined
        await running?.terminate()
      })
    )
    const writer: BatchWriter = {
      write: (batch: EventBatch, retention: Retention | undefined) =>
        Effect.async<void, JournalWriterFailed>((resume) => {
          worker ??= start()
          const id = nextId++
          pending.set(id, (error) =>
            resume(error === undefined ? Effect.void : Effect.fail(new JournalWriterFailed({ message: error })))
          )
          worker.postMessage({ id, batch: packed(batch), retention })
        })
    }
    return writer
  })
