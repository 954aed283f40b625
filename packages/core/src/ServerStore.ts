import { Context, Effect, Layer, Schema } from "effect"
import { SessionMode, Upstream } from "./domain/Upstream.js"

/**
 * A server registered through the API, as it is persisted: its name, its upstream (secrets as given: headers, env,
 * URL credentials), its call timeout and its session mode (absent: `auto`). Config-file servers are never stored
 * (they are the replica's own).
 */
export const StoredServer = Schema.Struct({
  name: Schema.String,
  upstream: Upstream,
  call_timeout_ms: Schema.NullOr(Schema.Int),
  session_mode: Schema.optional(SessionMode)
})
export type StoredServer = typeof StoredServer.Type

/** The durable store could not be read or written: `reason` says why (no secret in it). */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  reason: Schema.String
}) {}

/**
 * The database link as `/ready` reports it: `ok`, or `reconnecting` since `since` (UTC ISO time) with the last
 * failure's `reason` (no secret in it) and the failed checks so far (`attempts`).
 */
export type DatabaseStatus =
  | { readonly state: "ok" }
  | { readonly state: "reconnecting"; readonly reason: string; readonly attempts: number; readonly since: string }

export interface ServerStoreShape {
  /** Every stored server, sorted by name (read once at start). */
  readonly load: Effect.Effect<ReadonlyArray<StoredServer>, StoreUnavailable>
  /** Insert or replace by name; succeeds only once the write is durable (committed). */
  readonly save: (server: StoredServer) => Effect.Effect<void, StoreUnavailable>
  /** Remove by name (nothing when absent); succeeds once committed. */
  readonly remove: (name: string) => Effect.Effect<void, StoreUnavailable>
  /** The database link's state, as last known (for `/ready`; reading it runs no query). */
  readonly status: Effect.Effect<DatabaseStatus>
}

/**
 * The registrations made through the API, persisted. The in-memory `Registry` stays the working set the Manager
 * reads on every call; this store is written through on register / unregister and read at start.
 */
export class ServerStore extends Context.Tag("att/ServerStore")<ServerStore, ServerStoreShape>() {
  /** Kept in memory only (tests, `--ephemeral`): the contract of the SQL stores without their durability. */
  static readonly memory: Layer.Layer<ServerStore> = Layer.sync(ServerStore, () => {
    const servers = new Map<string, StoredServer>()
    return {
      load: Effect.sync(() => [...servers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))),
      save: (server) => Effect.sync(() => void servers.set(server.name, server)),
      remove: (name) => Effect.sync(() => void servers.delete(name)),
      status: Effect.succeed({ state: "ok" as const })
    }
  })
}
