import { storeLayer } from "@att/store"
import { startHttpUpstream } from "@att/testkit"
import { PgClient } from "@effect/sql-pg"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schedule } from "effect"
import type { ChildProcess } from "node:child_process"
import { jsonOf, runAtt } from "./support/attCli.js"
import { startAtt } from "./support/mcpAtt.js"
import { type TestPostgres, startPostgres } from "./support/postgres.js"

const json = (response: Response) => response.json() as Promise<Record<string, unknown>>
/** The `att` commands this file runs (each ends by itself; killed after all in case one hangs). */
const cliChildren: Array<ChildProcess> = []
afterAll(() => {
  for (const child of cliChildren) child.kill("SIGKILL")
})

const post = (base: string, path: string, body: unknown) =>
  Effect.promise(() =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
  )
const get = (base: string, path: string) => Effect.promise(() => fetch(`${base}${path}`))
const register = (base: string, name: string) =>
  post(base, "/api/v1/mcp/servers", { name, url: "http://127.0.0.1:9/mcp", transport: "streamable-http" })
const names = (base: string) =>
  Effect.promise(async () => {
    const body = (await (await fetch(`${base}/api/v1/mcp/servers`)).json()) as { items: Array<{ name: string }> }
    return body.items.map((item) => item.name)
  })

interface Readiness {
  readonly status: number
  readonly body: { readonly database?: { state: string; reason?: string; attempts?: number; since?: string } }
}
const readiness = (base: string) =>
  Effect.promise(async (): Promise<Readiness> => {
    const response = await fetch(`${base}/api/v1/ready`)
    return { status: response.status, body: (await response.json()) as Readiness["body"] }
  })
/** `/ready` polled (every 100 ms, up to 15 s) until `until` holds. */
const readyUntil = (base: string, until: (readiness: Readiness) => boolean) =>
  readiness(base).pipe(
    Effect.filterOrFail(until),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 150 })
  )
const invoke = (base: string) =>
  post(base, "/api/v1/mcp/invoke/tool", {
    tool_name: "echo",
    arguments: { message: "hi" },
    preferred_servers: ["alpha"]
  })

/** The request ids among the invocation events written to the database (read by a client of the test's own). */
const storedRequestIds = (url: string) =>
  Effect.gen(function* () {
    const sql = yield* PgClient.PgClient
    const rows = yield* sql<{ id: string }>`SELECT DISTINCT payload::json->>'request_id' AS id FROM att_events
WHERE stream = 'invocation'`
    return new Set(rows.map((row) => row.id))
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.orDie)

const postgres = Effect.acquireRelease(
  Effect.promise(() => startPostgres()),
  (pg: TestPostgres) => Effect.sync(() => pg.stop())
)

describe("att on Postgres (ATT_DATABASE_URL)", () => {
  it.scopedLive(
    "Postgres lost while running: invocations go on, registry writes answer 503, att reconnects on a schedule and /ready says so; back by itself, queued events written",
    () =>
      Effect.gen(function* () {
        const pg = yield* postgres
        // Trust authentication ignores the password: it is there to be kept out of every answer.
        const url = pg.database("att_lost").replace("postgres@", "postgres:lost-pw-5150@")
        const upstream = yield* startHttpUpstream({ name: "alpha" })
        const store = storeLayer({ ephemeral: false, dataDir: "unused", databaseUrl: url })
        const base = (yield* startAtt({ alpha: { url: upstream.url } }, {}, 2_000, store)).replace(/\/mcp$/, "")
        expect((yield* register(base, "kept")).status).toBe(201)
        expect((yield* get(base, "/api/v1/ready")).status).toBe(200)

        pg.pause()
        const requestIds: Array<string> = []
        for (let i = 0; i < 3; i++) {
          const invoked = yield* invoke(base)
          expect(invoked.status).toBe(200)
          requestIds.push(String((yield* Effect.promise(() => json(invoked))).request_id))
        }
        const refused = yield* register(base, "lost")
        expect(refused.status).toBe(503)
        const body = yield* Effect.promise(() => json(refused))
        expect(body._tag).toBe("StoreUnavailableError")
        expect(String(body.detail)).toMatch(/^registry not changed: cannot save the server: /)
        expect(yield* names(base)).toEqual(["alpha", "kept"])
        expect((yield* get(base, "/api/v1/mcp/servers/kept").pipe(Effect.map((r) => r.status))) === 200).toBe(true)
        const removal = yield* Effect.promise(() => fetch(`${base}/api/v1/mcp/servers/kept`, { method: "DELETE" }))
        expect(removal.status).toBe(503)

        // The link reconnects on its schedule: /ready says so, its attempts growing.
        const down = yield* readyUntil(base, (ready) => ready.status === 503)
        expect(down.body).toMatchObject({
          _tag: "NotReady",
          status: "unavailable",
          database: { state: "reconnecting" }
        })
        expect(down.body.database?.reason).toMatch(/^database unavailable: /)
        expect(down.body.database?.since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        expect(JSON.stringify(down.body)).not.toContain("lost-pw-5150")
        expect(JSON.stringify(body)).not.toContain("lost-pw-5150")
        const first = down.body.database?.attempts ?? 0
        expect(first).toBeGreaterThanOrEqual(1)
        const later = yield* readyUntil(base, (ready) => (ready.body.database?.attempts ?? 0) > first)
        expect(later.status).toBe(503)
        expect(later.body.database?.since).toBe(down.body.database?.since)
        // The operator's `att status` shows it too, and answers (exit 0): the service is up, its database is not.
        const status = yield* Effect.promise(() => runAtt(cliChildren, ["status", "--json"], { ATT_URL: base }))
        expect(status.code).toBe(0)
        expect(jsonOf(status)).toMatchObject({
          health: "ok",
          database: { state: "reconnecting", since: down.body.database?.since }
        })
        const line = yield* Effect.promise(() => runAtt(cliChildren, ["status"], { ATT_URL: base }))
        expect(line.stdout).toMatch(/: ok; database reconnecting since \S+ \(\d+ failed checks: database unavailable: /)
        expect(line.stdout).not.toContain("lost-pw-5150")

        pg.resume()
        // Back by itself: no request has to touch the database for /ready to answer 200 again.
        const back = yield* readyUntil(base, (ready) => ready.status === 200)
        expect(back.body).toEqual({ status: "ok", database: { state: "ok" } })
        // The events queued while it was down are written once the link is back.
        const stored = yield* storedRequestIds(url).pipe(
          Effect.filterOrFail((ids) => requestIds.every((id) => ids.has(id))),
          Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 })
        )
        expect(requestIds.filter((id) => stored.has(id))).toEqual(requestIds)
        expect((yield* register(base, "after")).status).toBe(201)

        // A second att on the same database serves what the first acknowledged, not what it refused.
        const other = (yield* startAtt({}, {}, 2_000, store)).replace(/\/mcp$/, "")
        expect(yield* names(other)).toEqual(["after", "kept"])
      }),
    120_000
  )
})
