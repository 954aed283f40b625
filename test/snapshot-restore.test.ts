import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "@libsql/client"
import { startHttpUpstream } from "@att/testkit"
import { Effect, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { servedAttFixture } from "./support/servedAtt.js"

const { scopes, serve, stop } = servedAttFixture()
const dead = "http://127.0.0.1:9/mcp"

const writeConfig = (path: string, servers: Record<string, string>) =>
  writeFileSync(
    path,
    JSON.stringify({
      mcpServers: Object.fromEntries(Object.entries(servers).map(([name, url]) => [name, { url }])),
      health_interval_seconds: 3600
    })
  )

interface ServerBody {
  readonly capability_snapshot: { readonly instructions: string | null } | null
}
const server = async (base: string, name: string) =>
  (await (await fetch(`${base}/api/v1/mcp/servers/${name}`)).json()) as ServerBody

const register = (base: string, name: string, url: string) =>
  fetch(`${base}/api/v1/mcp/servers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, url, transport: "streamable-http" })
  })

/** Poll `read` until `check` holds, at most ~15 s. */
const eventually = async <A>(read: () => Promise<A>, check: (value: A) => boolean): Promise<A> => {
  for (let i = 0; ; i++) {
    const value = await read()
    if (check(value) || i >= 150) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe("a server registered while running gets its stored capability snapshot (libSQL in the data dir)", () => {
  it("through the API and the config watch, with the upstream down; another endpoint does not", async () => {
    const scope = Effect.runSync(Scope.make())
    scopes.push(scope)
    const upstream = await Effect.runPromise(
      Scope.extend(startHttpUpstream({ name: "up", instructions: "ask me first" }), scope)
    )
    const dir = mkdtempSync(join(tmpdir(), "att-snapshot-restore-"))
    const config = join(dir, "att.config.json")
    const data = join(dir, "data")

    // First run: three servers at the real upstream handshake, and their snapshots are written to the database.
    writeConfig(config, { up: upstream.url, twin: upstream.url, watched: upstream.url })
    const first = await serve(config, data)
    const database = createClient({ url: `file:${join(data, "att.db")}` })
    const stored = await eventually(
      async () => (await database.execute("SELECT name FROM att_capability_snapshots ORDER BY name")).rows,
      (rows) => rows.length === 3
    )
    database.close()
    expect(stored.map((row) => row.name)).toEqual(["twin", "up", "watched"])
    const snapshot = (await server(first.base, "up")).capability_snapshot
    const watchedSnapshot = (await server(first.base, "watched")).capability_snapshot
    expect(snapshot?.instructions).toBe("ask me first")
    expect(watchedSnapshot?.instructions).toBe("ask me first")
    await stop(first.att)

    // Second run: no servers at start, the upstream gone (no handshake can replace what is restored).
    await Effect.runPromise(upstream.close)
    writeConfig(config, {})
    const second = await serve(config, data)
    // `twin` at another endpoint first, then `up` at its own: registrations are followed in order, so once `up` has
    // its snapshot, `twin` has been looked at and must have none.
    expect((await register(second.base, "twin", dead)).status).toBe(201)
    expect((await register(second.base, "up", upstream.url)).status).toBe(201)
    const up = await eventually(
      () => server(second.base, "up"),
      (body) => (body.capability_snapshot ?? null) !== null
    )
    expect(up.capability_snapshot).toEqual(snapshot)
    expect((await server(second.base, "twin")).capability_snapshot).toBeNull()

    // A server the config watch adds at its stored endpoint gets its snapshot too.
    writeConfig(config, { watched: upstream.url })
    const watched = await eventually(
      () => server(second.base, "watched"),
      (body) => (body.capability_snapshot ?? null) !== null
    )
    expect(watched.capability_snapshot).toEqual(watchedSnapshot)
    await stop(second.att)
  }, 120_000)
})
