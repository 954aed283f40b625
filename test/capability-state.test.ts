import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startHttpUpstream } from "@att/testkit"
import { Effect, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { servedAttFixture } from "./support/servedAtt.js"

const { scopes, serve, stop } = servedAttFixture()

const writeConfig = (path: string, url: string) =>
  writeFileSync(path, JSON.stringify({ mcpServers: { up: { url } }, health_interval_seconds: 3600 }))

const json = async <A>(url: string): Promise<A> => (await (await fetch(url)).json()) as A

/** Poll `read` until `check` holds, at most ~10 s. */
const eventually = async <A>(read: () => Promise<A>, check: (value: A) => boolean): Promise<A> => {
  for (let i = 0; ; i++) {
    const value = await read()
    if (check(value) || i >= 100) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

interface Snapshot {
  readonly instructions: string | null
  readonly captured_at: string
  readonly capabilities: Record<string, unknown> | null
}
interface ServerBody {
  readonly status: string
  readonly capability_snapshot: Snapshot | null
}
interface CapabilityPage {
  readonly items: ReadonlyArray<{ kind: string; server: string; list: string; rejected: ReadonlyArray<unknown> }>
  readonly cursor: number
}

describe("capability events and snapshots through a restart (libSQL in the data dir)", () => {
  it("the first run's capability events read on from the database; the snapshot is back until the next handshake", async () => {
    const scope = Effect.runSync(Scope.make())
    scopes.push(scope)
    // A real upstream whose tool named with a bidirectional control is left out: a `rejected` capability event.
    const upstream = await Effect.runPromise(
      Scope.extend(
        startHttpUpstream({
          name: "up",
          instructions: "ask me first",
          extend: (server) => {
            server.registerTool("bad\u202Etool", { description: "left out" }, () => ({ content: [] }))
          }
        }),
        scope
      )
    )
    const dir = mkdtempSync(join(tmpdir(), "att-capability-"))
    const config = join(dir, "att.config.json")
    const data = join(dir, "data")
    writeConfig(config, upstream.url)

    const first = await serve(config, data)
    const firstEvents = await eventually(
      () => json<CapabilityPage>(`${first.base}/api/v1/mcp/capability-events`),
      (page) => page.items.length > 0
    )
    expect(firstEvents.items.map((event) => [event.kind, event.server, event.list])).toEqual([
      ["rejected", "up", "tools"]
    ])
    const firstServer = await json<ServerBody>(`${first.base}/api/v1/mcp/servers/up`)
    expect(firstServer.capability_snapshot?.instructions).toBe("ask me first")
    await stop(first.att)

    // The upstream is gone: the second run cannot handshake, so the snapshot it shows is the first run's.
    await Effect.runPromise(upstream.close)
    const second = await serve(config, data)
    const secondServer = await json<ServerBody>(`${second.base}/api/v1/mcp/servers/up`)
    expect(secondServer.capability_snapshot).toEqual(firstServer.capability_snapshot)
    // From before this run: the first run's events, from the database, exactly once.
    const history = await json<CapabilityPage>(`${second.base}/api/v1/mcp/capability-events?cursor=0&limit=100`)
    expect(history.items).toEqual(firstEvents.items)
    // The first run's cursor reads on with nothing repeated; this run's positions are above it.
    const onward = await json<CapabilityPage>(
      `${second.base}/api/v1/mcp/capability-events?cursor=${firstEvents.cursor}&limit=100`
    )
    expect(onward.items).toEqual([])
    expect(onward.cursor).toBeGreaterThanOrEqual(firstEvents.cursor)
    // The live stream's third position resumes from the database too: an id before the first run replays its event.
    const stream = await fetch(`${second.base}/api/v1/mcp/events/stream?types=capability`, {
      headers: { "last-event-id": "0.0.0" }
    })
    const reader = stream.body?.getReader()
    let text = ""
    while (reader !== undefined && !text.includes("event: capability")) {
      const chunk = await reader.read()
      if (chunk.done) break
      text += new TextDecoder().decode(chunk.value)
    }
    await reader?.cancel()
    expect(text).toMatch(/id: \d+\.\d+\.\d+\nevent: capability\ndata: \{"kind":"rejected","server":"up"/)
    await stop(second.att)

    // Registered again under another endpoint, the server does not get the old endpoint's snapshot.
    writeConfig(config, "http://127.0.0.1:9/mcp")
    const third = await serve(config, data)
    expect((await json<ServerBody>(`${third.base}/api/v1/mcp/servers/up`)).capability_snapshot).toBeNull()
    await stop(third.att)
  }, 120_000)
})
