import type { ChildProcess } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { PingRequestSchema } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Layer, Redacted } from "effect"
import { mcpClient } from "./support/mcpAtt.js"
import { type TestPostgres, startPostgres } from "./support/postgres.js"
import { spawnTs, stopTree, waitForOutput } from "./support/processes.js"

/**
 * att processes on one Postgres, started as the README's "Running a fleet" shows: `att serve` with the same
 * `ATT_DATABASE_URL` and each its own `ATT_REPLICA_ID`.
 */
const postgres = Effect.acquireRelease(
  Effect.promise(() => startPostgres()),
  (pg: TestPostgres) => Effect.sync(() => pg.stop())
)

const configFile = (config: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "att-fleet-")), "att.config.json")
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** `ATT_DATABASE_URL=… ATT_REPLICA_ID=… att serve --config FILE --port 0`, stopped with the scope. */
const serve = (databaseUrl: string, replicaId: string, config: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const child = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--config", config, "--port", "0"], {
        ATT_DATABASE_URL: databaseUrl,
        ATT_REPLICA_ID: replicaId
      })
      const [, port] = await waitForOutput(child, /Listening on http:\/\/127\.0\.0\.1:(\d+)/, 60_000)
      return { child, replicaId, base: `http://127.0.0.1:${port}` }
    }),
    ({ child }) => Effect.promise(() => stopTree(child))
  )

const json = (response: Response) => response.json() as Promise<Record<string, unknown>>

const sqlAt = (url: string) => Layer.orDie(PgClient.layer({ url: Redacted.make(url) }))

describe("a fleet of att processes on one Postgres", () => {
  it.scopedLive(
    "two replicas: a server registered on one is served by the other; /mcp sessions stay on their replica (404 elsewhere)",
    () =>
      Effect.gen(function* () {
        const pg = yield* postgres
        const url = pg.database("fleet_two")
        const upstream = yield* startHttpUpstream({ name: "alpha" })
        const config = configFile({ mcpServers: {}, health_interval_seconds: 3600 })
        const a = yield* serve(url, "replica-a", config)
        const b = yield* serve(url, "replica-b", config)

        const registered = yield* Effect.promise(() =>
          fetch(`${a.base}/api/v1/mcp/servers`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name: "alpha", url: upstream.url, transport: "streamable-http" })
          })
        )
        expect(registered.status).toBe(201)
        // Served by the other replica within 1 s: a tool call through replica-b reaches the upstream.
        const invoke = (base: string) =>
          fetch(`${base}/api/v1/mcp/invoke/tool`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ tool_name: "echo", arguments: { message: "hi" }, preferred_servers: ["alpha"] })
          })
        const served = yield* Effect.promise(async () => {
          const deadline = Date.now() + 1_000
          for (;;) {
            const response = await invoke(b.base)
            if (response.status === 200 || Date.now() > deadline) return { status: response.status, at: Date.now() }
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
        })
        expect(served.status).toBe(200)
        expect(upstream.counters.toolCalls).toBeGreaterThanOrEqual(1)

        // Removed on replica-b: gone from replica-a too.
        const removed = yield* Effect.promise(() => fetch(`${b.base}/api/v1/mcp/servers/alpha`, { method: "DELETE" }))
        expect(removed.status).toBe(204)
        const gone = yield* Effect.promise(async () => {
          const deadline = Date.now() + 1_000
          for (;;) {
            const status = (await fetch(`${a.base}/api/v1/mcp/servers/alpha`)).status
            if (status === 404 || Date.now() > deadline) return status
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
        })
        expect(gone).toBe(404)

        // A session opened on replica-a names it; replica-b does not hold it and answers 404.
        const client = yield* mcpClient(`${a.base}/mcp`)
        const transport = client.transport as { sessionId?: string } | undefined
        const sessionId = transport?.sessionId ?? ""
        expect(sessionId.startsWith("replica-a.")).toBe(true)
        const elsewhere = yield* Effect.promise(() =>
          fetch(`${b.base}/mcp`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              "mcp-session-id": sessionId,
              "mcp-protocol-version": "2025-06-18"
            },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })
          })
        )
        expect(elsewhere.status).toBe(404)
        expect((yield* Effect.promise(() => json(elsewhere))).error).toMatchObject({ message: "Session not found" })
        // On its own replica the session goes on.
        expect((yield* Effect.promise(() => client.listTools())).tools).toEqual([])

        // Each replica's event routes name it: replica-b served the call, so the invocation events are its own.
        const invocations = (base: string) =>
          Effect.promise(() => fetch(`${base}/api/v1/mcp/invocation-events?server=alpha`).then(json))
        const [pageA, pageB] = [yield* invocations(a.base), yield* invocations(b.base)]
        expect([pageA.replica, pageB.replica]).toEqual(["replica-a", "replica-b"])
        expect(pageA.items).toEqual([])
        expect((pageB.items as Array<{ phase: string }>).map((event) => event.phase)).toContain("invoke_success")

        // The snapshot of replica-b's handshake is stored; alpha registered again on replica-b reaches replica-a
        // through the fleet, and replica-a, which never spoke to the upstream, shows that very snapshot.
        const storedSnapshot = yield* Effect.scoped(
          Effect.gen(function* () {
            const sql = yield* PgClient.PgClient
            for (let i = 0; ; i++) {
              const rows = yield* sql<{ snapshot: string }>`
                SELECT snapshot FROM att_capability_snapshots WHERE name = 'alpha'`
              if (rows[0] !== undefined || i >= 50) return rows[0]?.snapshot
              yield* Effect.sleep("100 millis")
            }
          }).pipe(Effect.provide(sqlAt(url)))
        )
        const captured = (JSON.parse(String(storedSnapshot)) as { captured_at: string }).captured_at
        const again = yield* Effect.promise(() =>
          fetch(`${b.base}/api/v1/mcp/servers`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name: "alpha", url: upstream.url, transport: "streamable-http" })
          })
        )
        expect(again.status).toBe(201)
        const followed = yield* Effect.promise(async () => {
          const deadline = Date.now() + 5_000
          for (;;) {
            const body = (await json(await fetch(`${a.base}/api/v1/mcp/servers/alpha`))) as {
              capability_snapshot?: { captured_at: string } | null
            }
            if ((body.capability_snapshot ?? null) !== null || Date.now() > deadline) return body
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        })
        expect(followed.capability_snapshot?.captured_at).toBe(captured)
      }),
    120_000
  )

  it.scopedLive(
    "three replicas probe each upstream about once per interval; another takes the lease within one lease time when the holder dies",
    () =>
      Effect.gen(function* () {
        const pg = yield* postgres
        const url = pg.database("fleet_three")
        let pings = 0
        const upstream = yield* startHttpUpstream({
          name: "probed",
          extend: (server) =>
            server.server.setRequestHandler(PingRequestSchema, () => {
              pings += 1
              return {}
            })
        })
        const config = configFile({
          mcpServers: { probed: { url: upstream.url } },
          health_interval_seconds: 1,
          health_jitter: 0,
          lease_seconds: 2
        })
        const replicas: Array<{ child: ChildProcess; replicaId: string; base: string }> = []
        for (const id of ["fleet-1", "fleet-2", "fleet-3"]) replicas.push(yield* serve(url, id, config))
        const holder = Effect.scoped(
          Effect.gen(function* () {
            const sql = yield* PgClient.PgClient
            const rows = yield* sql<{ holder: string }>`SELECT holder FROM att_leases WHERE key LIKE 'probed:%'`
            return rows[0]?.holder ?? null
          }).pipe(Effect.provide(sqlAt(url)))
        )
        yield* Effect.sleep("2 seconds")
        const before = pings
        yield* Effect.sleep("6 seconds")
        const inWindow = pings - before
        yield* Effect.logInfo(`pings at the upstream in 6 s, 3 replicas, 1 s interval: ${inWindow}`)
        // One replica probing each second: about 6 (three replicas each probing would be about 18).
        expect(inWindow).toBeGreaterThanOrEqual(4)
        expect(inWindow).toBeLessThanOrEqual(8)

        // Every replica shows a recent result: the non-holders record the holder's.
        for (const replica of replicas) {
          const record = yield* Effect.promise(async () =>
            json(await fetch(`${replica.base}/api/v1/mcp/servers/probed`))
          )
          expect(record.status).toBe("healthy")
          expect(Date.now() - Date.parse(String(record.last_checked_at))).toBeLessThan(3_000)
        }

        // The holder dies (kill -9): another replica holds the lease within one lease time (2 s), probing goes on.
        const first = yield* holder
        const dead = replicas.find((replica) => replica.replicaId === first)
        expect(dead).toBeDefined()
        dead?.child.kill("SIGKILL")
        const killedAt = Date.now()
        let next: string | null = first
        while (next === first && Date.now() - killedAt < 10_000) {
          yield* Effect.sleep("100 millis")
          next = yield* holder
        }
        const takeover = Date.now() - killedAt
        yield* Effect.logInfo(`lease taken over by ${next} ${takeover} ms after ${first} was killed`)
        expect(next).not.toBe(first)
        // The lease lapses at most one lease time (2 s) after its last renewal; the next claim (every third of a
        // lease) takes it: at most 2.67 s, with 0.5 s for the processes sharing two cores.
        expect(takeover).toBeLessThan(2_000 + 667 + 500)
        const after = pings
        yield* Effect.sleep("4 seconds")
        const afterTakeover = pings - after
        yield* Effect.logInfo(`pings in 4 s after the takeover: ${afterTakeover}`)
        expect(afterTakeover).toBeGreaterThanOrEqual(2)
        expect(afterTakeover).toBeLessThanOrEqual(6)
      }),
    180_000
  )
})
