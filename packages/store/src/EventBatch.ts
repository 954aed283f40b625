import type { Effect } from "effect"

/** One batch of journal rows, column by column (cheap to hand to a worker thread or to Postgres' `unnest`). */
export interface EventBatch {
  readonly streams: Array<string>
  readonly positions: Array<number>
  readonly atMs: Array<number>
  readonly payloads: Array<string>
}

/** Retention to enforce after a batch: per stream, the newest `count` events, none before `beforeMs`. */
export interface Retention {
  readonly count: number
  readonly beforeMs: number
  readonly streams: ReadonlyArray<string>
}

/** Where the journal writes its batches: the store's `SqlClient`, or libSQL's writer thread. */
export interface BatchWriter {
  readonly write: (batch: EventBatch, retention: Retention | undefined) => Effect.Effect<void, unknown>
}
