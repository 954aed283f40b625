import { storeLayer } from "@att/store"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Redacted, Schedule } from "effect"
import { startAtt } from "./support/mcpAtt.js"
import { type TestPostgres, startPostgres } from "./support/postgres.js"

/**
 * Two replicas in one process, each its own service core and its own Postgres client on one database: what one
 * registers, replaces or removes is served the same way by the other within 1 s; concurrent re-registrations end with
 * the database's winner everywhere; a replica whose connections were cut catches up with what it missed.
 */
const postgres = Effect.acquireRelease(
  Effect.promise(() => startPostgres()),
  (pg: TestPostgres) => Effect.sync(() => pg.stop())
)

const replica = (url: string, replicaId: string) =>
  Effect.map(
    startAtt({}, {}, 2_000, storeLayer({ ephemeral: false, dataDir: "unused", databaseUrl: url, replicaId })),
    (mcp) => mcp.replace(/\/mcp$/, "")
  )

const register = (base: string, name: string, url: string, extra: Record<string, unknown> = {}) =>
  Effect.promise(() =>
    fetch(`${base}/api/v1/mcp/servers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, url, transport: "streamable-http", ...extra })
    })
  ).pipe(Effect.map((response) => response.status))

const sessionModeOf = (base: string, name: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${base}/api/v1/mcp/servers/${name}`)
    return ((await response.json()) as { session_mode: string }).session_mode
  })

const remove = (base: string, name: string) =>
  Effect.promise(() => fetch(`${base}/api/v1/mcp/servers/${name}`, { method: "DELETE" })).pipe(
    Effect.map((response) => response.status)
  )

/** The URL `base` serves `name` at, or null when it does not know the name. */
const urlOf = (base: string, name: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${base}/api/v1/mcp/servers/${name}`)
    return response.status === 200 ? ((await response.json()) as { url: string }).url : null
  })

/** Milliseconds until `base` serves `name` at `url` (null: absent); fails after 10 s. */
const timeUntil = (base: string, name: string, url: string | null) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    for (;;) {
      if ((yield* urlOf(base, name)) === url) return (yield* Clock.currentTimeMillis) - start
      if ((yield* Clock.currentTimeMillis) - start > 10_000)
        return yield* Effect.die(`${base} never served ${name} at ${url}`)
      yield* Effect.sleep("5 millis")
    }
  })

const storedUrl = (url: string, name: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* PgClient.PgClient
      const rows = yield* sql<{ upstream: string }>`SELECT upstream FROM att_servers WHERE name = ${name}`
      return rows[0] === undefined ? null : (JSON.parse(rows[0].upstream) as { url: string }).url
    }).pipe(Effect.provide(Layer.orDie(PgClient.layer({ url: Redacted.make(url) }))))
  )

describe("a fleet of two replicas on one Postgres (registry)", () => {
  it.scopedLive("register, replace and remove on one are served by the other within 1 s", () =>
    Effect.gen(function* () {
      const pg = yield* postgres
      const url = pg.database("fleet_registry")
      const a = yield* replica(url, "replica-a")
      const b = yield* replica(url, "replica-b")
      const times: Array<number> = []
      for (let i = 0; i < 10; i++) {
        const name = `server-${i}`
        expect(yield* register(a, name, `http://127.0.0.1:9/first-${i}`)).toBe(201)
        times.push(yield* timeUntil(b, name, `http://127.0.0.1:9/first-${i}`))
        expect(yield* register(a, name, `http://127.0.0.1:9/second-${i}`)).toBe(201)
        times.push(yield* timeUntil(b, name, `http://127.0.0.1:9/second-${i}`))
        expect(yield* remove(a, name)).toBe(204)
        times.push(yield* timeUntil(b, name, null))
      }
      const sorted = [...times].sort((x, y) => x - y)
      yield* Effect.logInfo(
        `fleet propagation over ${times.length} changes: p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`
      )
      expect(sorted.at(-1)).toBeLessThan(1_000)
      // The other direction too, and the writer keeps what it wrote.
      expect(yield* register(b, "from-b", "http://127.0.0.1:9/b")).toBe(201)
      expect(yield* timeUntil(a, "from-b", "http://127.0.0.1:9/b")).toBeLessThan(1_000)
      expect(yield* urlOf(b, "from-b")).toBe("http://127.0.0.1:9/b")
      // The same upstream with another session mode is a change the other replica applies too.
      expect(yield* register(b, "from-b", "http://127.0.0.1:9/b", { session_mode: "per_client" })).toBe(201)
      yield* sessionModeOf(a, "from-b").pipe(
        Effect.filterOrFail((mode) => mode === "per_client"),
        Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 50 }),
        Effect.orDie
      )
    })
  )

  it.scopedLive("two replicas re-registering one name at once end with the same winner everywhere", () =>
    Effect.gen(function* () {
      const pg = yield* postgres
      const url = pg.database("fleet_race")
      const a = yield* replica(url, "replica-a")
      const b = yield* replica(url, "replica-b")
      for (let round = 0; round < 15; round++) {
        const [fromA, fromB] = yield* Effect.all(
          [
            register(a, "contested", `http://127.0.0.1:9/a-${round}`),
            register(b, "contested", `http://127.0.0.1:9/b-${round}`)
          ],
          { concurrency: 2 }
        )
        expect([fromA, fromB]).toEqual([201, 201])
        const winner = yield* storedUrl(url, "contested")
        expect([`http://127.0.0.1:9/a-${round}`, `http://127.0.0.1:9/b-${round}`]).toContain(winner)
        expect(yield* timeUntil(a, "contested", winner)).toBeLessThan(1_000)
        expect(yield* timeUntil(b, "contested", winner)).toBeLessThan(1_000)
        // Settled: nothing later changes either replica's answer.
        yield* Effect.sleep("100 millis")
        expect([yield* urlOf(a, "contested"), yield* urlOf(b, "contested")]).toEqual([winner, winner])
      }
    })
  )

  it.scopedLive("a replica whose connections were cut catches up with the changes it missed", () =>
    Effect.gen(function* () {
      const pg = yield* postgres
      const url = pg.database("fleet_catchup")
      const a = yield* replica(url, "replica-a")
      const b = yield* replica(url, "replica-b")
      expect(yield* register(a, "before", "http://127.0.0.1:9/before")).toBe(201)
      expect(yield* timeUntil(b, "before", "http://127.0.0.1:9/before")).toBeLessThan(1_000)
      const terminated = yield* Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* PgClient.PgClient
          return yield* sql<{ done: boolean }>`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
WHERE application_name = 'att replica-b'`
        }).pipe(Effect.provide(Layer.orDie(PgClient.layer({ url: Redacted.make(url) }))))
      )
      expect(terminated.length).toBeGreaterThan(0)
      // Sent while replica-b is not listening: its notifications never reach it.
      expect(yield* register(a, "missed", "http://127.0.0.1:9/missed")).toBe(201)
      expect(yield* remove(a, "before")).toBe(204)
      const caughtUp = yield* timeUntil(b, "missed", "http://127.0.0.1:9/missed")
      expect(yield* urlOf(b, "before")).toBeNull()
      yield* Effect.logInfo(`replica-b caught up ${caughtUp} ms after its connections were cut`)
      expect(caughtUp).toBeLessThan(6_000)
      // And follows live again.
      expect(yield* register(a, "after", "http://127.0.0.1:9/after")).toBe(201)
      expect(yield* timeUntil(b, "after", "http://127.0.0.1:9/after")).toBeLessThan(1_000)
    })
  )
})
