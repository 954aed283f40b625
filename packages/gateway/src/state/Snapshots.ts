import { createHash } from "node:crypto"
import { type Manager, type Registry, SnapshotStore, type Upstream } from "@att/core"
import { Effect, Stream } from "effect"

/** The endpoint a snapshot was taken from, as a digest: equal upstreams give equal digests, and no secret is kept. */
export const endpointDigest = (upstream: Upstream): string =>
  createHash("sha256").update(JSON.stringify(upstream)).digest("hex")

/**
 * At start: each stored snapshot goes into the record of the server registered again under its name with the same
 * endpoint (config or API), until that server's next handshake replaces it. A snapshot of another endpoint is left.
 */
export const restoreSnapshots = (registry: Registry) =>
  Effect.gen(function* () {
    const store = yield* SnapshotStore
    for (const stored of yield* store.load) {
      const entry = registry.unsafeEntry(stored.name)
      if (entry === undefined || endpointDigest(entry.target.upstream) !== stored.endpoint) continue
      yield* registry.update(stored.name, (record) =>
        record.capability_snapshot === null ? { ...record, capability_snapshot: stored.snapshot } : record
      )
    }
  }).pipe(Effect.withSpan("Snapshots.restore"))

/**
 * From now on (for the enclosing scope), write each successful handshake's snapshot, off the request path: a fiber
 * follows the manager's handshakes. A write that fails is logged and left (the next handshake writes again).
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
    yield* Stream.fromQueue(handshakes).pipe(Stream.mapEffect(save), Stream.runDrain, Effect.forkScoped)
  })
