import { Context, Effect, Layer, Schema } from "effect"
import { CapabilitySnapshot } from "./domain/ServerRecord.js"
import type { StoreUnavailable } from "./ServerStore.js"

/**
 * The last successful initialize's snapshot of one server, as persisted: its name, a digest of the endpoint it was
 * taken from (never the endpoint itself, which may hold secrets) and the snapshot.
 */
export const StoredSnapshot = Schema.Struct({
  name: Schema.String,
  endpoint: Schema.String,
  snapshot: CapabilitySnapshot
})
export type StoredSnapshot = typeof StoredSnapshot.Type

export interface SnapshotStoreShape {
  /** Every stored snapshot (read once at start). */
  readonly load: Effect.Effect<ReadonlyArray<StoredSnapshot>, StoreUnavailable>
  /** Insert or replace by name. */
  readonly save: (snapshot: StoredSnapshot) => Effect.Effect<void, StoreUnavailable>
}

/**
 * The servers' capability snapshots, persisted: written after each successful handshake (off the request path) and
 * read at start into the record of a server registered again under the same name and endpoint. On a fleet they are
 * shared (keyed by name, the last write wins).
 */
export class SnapshotStore extends Context.Tag("att/SnapshotStore")<SnapshotStore, SnapshotStoreShape>() {
  /** Kept in memory only (tests, `--ephemeral`). */
  static readonly memory: Layer.Layer<SnapshotStore> = Layer.sync(SnapshotStore, () => {
    const snapshots = new Map<string, StoredSnapshot>()
    return {
      load: Effect.sync(() => [...snapshots.values()]),
      save: (snapshot) => Effect.sync(() => void snapshots.set(snapshot.name, snapshot))
    }
  })
}
