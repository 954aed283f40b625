import { Diagnostics, type InvocationEvent, ManagerConfig } from "@att/core"
import { storeLayer } from "@att/store"
import { PgClient } from "@effect/sql-pg"
import { DateTime, Effect, Layer, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type TestPostgres, startPostgres } from "../../../test/support/postgres.js"

let pg: TestPostgres
let url = ""
beforeAll(async () => {
  pg = await startPostgres()
  url = pg.database("replicas")
}, 60_000)
afterAll(() => pg?.stop())

const event = (replica: string, i: number): InvocationEvent => ({
  server: "alpha",
  method: "tools/call",
  request_id: `${replica}-${i}`,
  phase: "invoke_success",
  timestamp: DateTime.unsafeMake(1_800_000_000_000 + i),
  error: null,
  error_category: null
})

const settings = { flushMs: 20, retentionCount: 1000, retentionDays: 7, queueCapacity: 1000 }

/** One replica's run: 15 events recorded, then every event its cursor reads from position 0. */
const replicaRun = (replicaId: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const context = yield* Layer.build(
        Diagnostics.Default.pipe(
          Layer.provide(ManagerConfig.layer({ maxInvocationEvents: 5 })),
          Layer.provide(storeLayer({ ephemeral: false, dataDir: "unused", databaseUrl: url, replicaId }, settings))
        )
      )
      const diagnostics = Effect.runSync(Effect.provide(Diagnostics, context))
      for (let i = 0; i < 15; i++) yield* diagnostics.recordInvocation(event(replicaId, i))
      yield* Effect.sleep("200 millis")
      const page = yield* diagnostics.invocationEventPage({ cursor: 0, limit: 100 })
      return page.items.map((item) => item.request_id)
    })
  )

describe("events of a fleet on one Postgres", () => {
  it("each replica's events are persisted with its id, none lost to another's positions; each reads its own", async () => {
    const [one, two] = await Effect.runPromise(
      Effect.all([replicaRun("replica-one"), replicaRun("replica-two")], { concurrency: 2 })
    )
    expect(one).toEqual(Array.from({ length: 15 }, (_, i) => `replica-one-${i}`))
    expect(two).toEqual(Array.from({ length: 15 }, (_, i) => `replica-two-${i}`))
    const counts = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* PgClient.PgClient
          return yield* sql<{ replica: string; n: string }>`SELECT replica, count(*)::text AS n FROM att_events
GROUP BY replica ORDER BY replica`
        }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })))
      )
    )
    expect(counts.map((row) => [row.replica, Number(row.n)])).toEqual([
      ["replica-one", 15],
      ["replica-two", 15]
    ])
  })
})
