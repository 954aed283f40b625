import { createHash } from "node:crypto"
import { type Manager, type Registry, SnapshotStore, type Upstream } from "@att/core"
import { Effect, Stream } from "effect"

/** The endpoint a snapshot was taken from, as a digest: equal upstreams give equal digests, and no secret is kept. */
export const endpointDigest = (upstream: Upstream): string =>
  createHash("sha256").update(JSON.stringify(upstream)).digest("hex")

/**
 * Put each stored snapshot of one of `names` (every stored one without `names`) into the record of the server
 * registered under its name, when that server's endpoint has the stored digest and its record has no snapshot yet:
 * the last run's (or another replica's) snapshot, until the server's next handshake replaces it. A snapshot of
 * another endpoint is left. The check and the update are one step, so a handshake or a registration in between wins.
 */
const restore = (registry: Registry, names?: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const store = yield* SnapshotStore
    for (const stored of yield* store.load) {
      if (names !== undefined && !names.has(stored.name)) continue
      const matches = () => {
        const entry = registry.unsafeEntry(stored.name)
        return entry !== undefined && endpointDigest(entry.target.upstream) === stored.endpoint
      }
      if (!matches()) continue
      yield* registry.update(stored.name, (record) =>
        record.capability_snapshot === null && matches() ? { ...record, capability_snapshot: stored.snapshot } : record
      )
    }
  })

/** At start, for the servers registered so far (config, the store): see `restore`. */
export const restoreSnapshots = (registry: Registry) => restore(registry).pipe(Effect.withSpan("Snapshots.restore"))

/**
 * From now on (for the enclosing scope), off the request path: write each successful handshake's snapshot (a fiber
 * follows the manager's handshakes; a write that fails is logged and left, the next handshake writes again), and
 * give each server registered from now on, whatever the path (the API, the config watch, another replica on a
 * fleet), its stored snapshot (`restore`): a fiber follows the manager's registrations, one database read for the
 * names that arrived together. A read that fails is logged; that server waits for its handshake.
 */
export const keepSnapshots = (manager: Manager, registry: Registry) =>
  Effect.gen(function* () {
    const store = yield* SnapshotStore
    const handshakes = yield* manager.subscribeHandshakes
    const save = (name: string) =>
      Effect.gen(function* () {
        const entry = registry.unsafeEntry(name)
        const snapshot = entry?.state.record.capability_snapshot
        if (entry === undefined || snapshot == null) return
        yield* store.save({ name, endpoint: endpointDigest(entry.target.upstream), snapshot })
      }).pipe(
        Effect.catchAll((error) => Effect.logWarning(`capability snapshot of ${name} not saved: ${error.reason}`))
      )
    const registrations = yield* manager.subscribeRegistrations
    yield* Stream.fromQueue(handshakes).pipe(Stream.mapEffect(save), Stream.runDrain, Effect.forkScoped)
    yield* Stream.fromQueue(registrations).pipe(
      Stream.runForEachChunk((names) =>
        restore(registry, new Set(names)).pipe(
          Effect.withSpan("Snapshots.restoreRegistered"),
          Effect.catchAll((error) => Effect.logWarning(`capability snapshots not restored: ${error.reason}`))
        )
      ),
      Effect.forkScoped
    )
  })
