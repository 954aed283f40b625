import { ServerStore, type StoredServer } from "@att/core"
import { Effect, type Layer } from "effect"
import { describe, expect, it } from "vitest"

const http: StoredServer = {
  name: "alpha",
  upstream: {
    transport: "streamable-http",
    url: "https://user:pw@example.test/mcp",
    headers: { authorization: "Bearer s3cret" }
  },
  call_timeout_ms: 1500
}
const stdio: StoredServer = {
  name: "beta",
  upstream: { transport: "stdio", command: "node", args: ["server.js"], env: { TOKEN: "t0k" }, cwd: "/tmp" },
  call_timeout_ms: null,
  session_mode: "per_client"
}

/**
 * The `ServerStore` contract, the same for every implementation. `fresh()` gives a new empty store each time it is
 * built; `reopen` (durable stores) builds a second store on the same data, as a restart would.
 */
export const serverStoreContract = (
  label: string,
  fresh: () => Layer.Layer<ServerStore, unknown>,
  reopen?: () => Layer.Layer<ServerStore, unknown>
) =>
  describe(`ServerStore contract: ${label}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, ServerStore>, layer = fresh()) =>
      Effect.runPromise(Effect.provide(effect, layer))

    it("keeps servers as given (secrets included), sorted by name", async () => {
      const loaded = await run(
        Effect.gen(function* () {
          const store = yield* ServerStore
          yield* store.save(stdio)
          yield* store.save(http)
          return yield* store.load
        })
      )
      expect(loaded).toEqual([http, stdio])
    })

    it("replaces by name and removes; removing an absent name is no error", async () => {
      const loaded = await run(
        Effect.gen(function* () {
          const store = yield* ServerStore
          yield* store.save(http)
          yield* store.save(stdio)
          yield* store.save({
            ...http,
            upstream: { transport: "sse", url: "http://127.0.0.1:9/sse" },
            call_timeout_ms: null
          })
          yield* store.remove("beta")
          yield* store.remove("nobody")
          // A session mode given, then replaced by a registration without one (`auto`).
          yield* store.save({ ...stdio, name: "gamma", session_mode: "shared" })
          yield* store.save({ name: "gamma", upstream: stdio.upstream, call_timeout_ms: null })
          return yield* store.load
        })
      )
      expect(loaded).toEqual([
        { name: "alpha", upstream: { transport: "sse", url: "http://127.0.0.1:9/sse" }, call_timeout_ms: null },
        { name: "gamma", upstream: stdio.upstream, call_timeout_ms: null }
      ])
    })

    it("takes 50 concurrent saves, each once", async () => {
      const names = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, "0")}`)
      const loaded = await run(
        Effect.gen(function* () {
          const store = yield* ServerStore
          yield* Effect.forEach(names, (name) => store.save({ ...stdio, name }), { concurrency: "unbounded" })
          return yield* store.load
        })
      )
      expect(loaded.map((server) => server.name)).toEqual(names)
    })

    it("reports itself ready", async () => {
      expect(await run(Effect.flatMap(ServerStore, (store) => store.status))).toEqual({ state: "ok" })
    })

    if (reopen !== undefined) {
      it("keeps what was saved across a reopen", async () => {
        const layer = fresh()
        await run(
          Effect.gen(function* () {
            const store = yield* ServerStore
            yield* store.save(http)
            yield* store.save(stdio)
            yield* store.remove("beta")
          }),
          layer
        )
        expect(
          await run(
            Effect.flatMap(ServerStore, (store) => store.load),
            reopen()
          )
        ).toEqual([http])
      })
    }
  })
