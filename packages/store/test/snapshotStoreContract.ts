import { type CapabilitySnapshot, SnapshotStore, type StoredSnapshot } from "@att/core"
import { DateTime, Effect, type Layer } from "effect"
import { describe, expect, it } from "vitest"

const snapshot = (instructions: string | null, at: number): CapabilitySnapshot => ({
  protocol_version: "2025-11-25",
  server_info: { name: "up", version: "1.0.0" },
  capabilities: { tools: { listChanged: true }, logging: {} },
  instructions,
  captured_at: DateTime.unsafeMake(at)
})
const alpha: StoredSnapshot = {
  name: "alpha",
  endpoint: "digest-a",
  snapshot: snapshot("ask me first", 1_800_000_000_000)
}
const beta: StoredSnapshot = { name: "beta", endpoint: "digest-b", snapshot: snapshot(null, 1_800_000_000_500) }

const byName = (items: ReadonlyArray<StoredSnapshot>) => [...items].sort((a, b) => (a.name < b.name ? -1 : 1))

/**
 * The `SnapshotStore` contract: `fresh()` a new empty store each time it is built; `reopen` (durable stores) a
 * second store on the same data, as a restart would.
 */
export const snapshotStoreContract = (
  label: string,
  fresh: () => Layer.Layer<SnapshotStore, unknown>,
  reopen?: () => Layer.Layer<SnapshotStore, unknown>
) =>
  describe(`SnapshotStore contract: ${label}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, SnapshotStore>, layer = fresh()) =>
      Effect.runPromise(Effect.provide(effect, layer))

    it("keeps each server's last snapshot with its endpoint; a new one replaces it; it survives a reopen", async () => {
      const newer: StoredSnapshot = {
        name: "alpha",
        endpoint: "digest-a2",
        snapshot: snapshot("v2", 1_800_000_001_000)
      }
      const loaded = await run(
        Effect.gen(function* () {
          const store = yield* SnapshotStore
          const empty = yield* store.load
          yield* store.save(alpha)
          yield* store.save(beta)
          const both = yield* store.load
          yield* store.save(newer)
          return { empty, both, replaced: yield* store.load }
        })
      )
      expect(loaded.empty).toEqual([])
      expect(byName(loaded.both)).toEqual([alpha, beta])
      expect(byName(loaded.replaced)).toEqual([newer, beta])
      if (reopen !== undefined) {
        const again = await run(
          Effect.flatMap(SnapshotStore, (store) => store.load),
          reopen()
        )
        expect(byName(again)).toEqual([newer, beta])
      }
    })
  })
