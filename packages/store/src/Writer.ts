import { Effect } from "effect"

/**
 * The one writer of a database: every write of att's (registrations, event batches) runs under it, one at a time.
 * libSQL's local write transactions fail with SQLITE_BUSY when two race; on Postgres it keeps a replica's writes in
 * the order they were acknowledged.
 */
export class StoreWriter extends Effect.Service<StoreWriter>()("att/StoreWriter", {
  effect: Effect.map(Effect.makeSemaphore(1), (permit) => ({
    write: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => permit.withPermits(1)(effect)
  }))
}) {}
