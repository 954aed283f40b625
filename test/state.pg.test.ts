import { storeLayer } from "@att/store"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { startAtt } from "./support/mcpAtt.js"
import { type TestPostgres, startPostgres } from "./support/postgres.js"

const json = (response: Response) => response.json() as Promise<Record<string, unknown>>

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

const postgres = Effect.acquireRelease(
  Effect.promise(() => startPostgres()),
  (pg: TestPostgres) => Effect.sync(() => pg.stop())
)

describe("att on Postgres (ATT_DATABASE_URL)", () => {
  it.scopedLive(
    "Postgres lost while running: invocations go on, registry writes answer 503, /ready says so; back after it returns",
    () =>
      Effect.gen(function* () {
        const pg = yield* postgres
        const url = pg.database("att_lost")
        const upstream = yield* startHttpUpstream({ name: "alpha" })
        const store = storeLayer({ ephemeral: false, dataDir: "unused", databaseUrl: url })
        const base = (yield* startAtt({ alpha: { url: upstream.url } }, {}, 2_000, store)).replace(/\/mcp$/, "")
        expect((yield* register(base, "kept")).status).toBe(201)
        expect((yield* get(base, "/api/v1/ready")).status).toBe(200)

        pg.pause()
        const invoked = yield* post(base, "/api/v1/mcp/invoke/tool", {
          tool_name: "echo",
          arguments: { message: "hi" },
          preferred_servers: ["alpha"]
        })
        expect(invoked.status).toBe(200)
        const refused = yield* register(base, "lost")
        expect(refused.status).toBe(503)
        const body = yield* Effect.promise(() => json(refused))
        expect(body._tag).toBe("StoreUnavailableError")
        expect(String(body.detail)).toMatch(/^registry not changed: cannot save the server: /)
        expect(yield* names(base)).toEqual(["alpha", "kept"])
        expect((yield* get(base, "/api/v1/mcp/servers/kept").pipe(Effect.map((r) => r.status))) === 200).toBe(true)
        const removal = yield* Effect.promise(() => fetch(`${base}/api/v1/mcp/servers/kept`, { method: "DELETE" }))
        expect(removal.status).toBe(503)
        const notReady = yield* get(base, "/api/v1/ready")
        expect(notReady.status).toBe(503)
        const reason = yield* Effect.promise(() => json(notReady))
        expect(reason).toMatchObject({ _tag: "NotReady", status: "unavailable", database: { state: "unavailable" } })

        pg.resume()
        // The driver's pool connects again on the next query.
        const again = yield* register(base, "after").pipe(
          Effect.map((response) => response.status),
          Effect.filterOrFail((status) => status === 201),
          Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 50 })
        )
        expect(again).toBe(201)
        expect((yield* get(base, "/api/v1/ready")).status).toBe(200)

        // A second att on the same database serves what the first acknowledged, not what it refused.
        const other = (yield* startAtt({}, {}, 2_000, store)).replace(/\/mcp$/, "")
        expect(yield* names(other)).toEqual(["after", "kept"])
      }),
    120_000
  )
})
