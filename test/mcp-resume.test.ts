import { type UpstreamCounters, startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect, Schedule } from "effect"
import { startAtt } from "./support/mcpAtt.js"

const VERSION = "2025-11-25"

interface SseEvent {
  readonly id: string | undefined
  readonly data: string
}

/** The SSE events of a response body that carry a message, one at a time. */
const sseReader = (response: Response) => {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  return async (): Promise<SseEvent> => {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const lines = block.split("\n")
        const field = (name: string) =>
          lines.filter((line) => line.startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trimStart())
        const data = field("data").join("\n")
        // Comments (keep-alives) and priming events carry no message.
        if (data !== "") return { id: field("id")[0], data }
        continue
      }
      const { value, done } = await reader.read()
      if (done) throw new Error("the stream ended")
      buffer += decoder.decode(value, { stream: true })
    }
  }
}

/** A session opened with raw requests, so the test holds its one GET stream itself. */
const openSession = (url: string) =>
  Effect.promise(async () => {
    const post = (body: unknown, session?: string) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(session === undefined ? {} : { "mcp-session-id": session, "mcp-protocol-version": VERSION })
        },
        body: JSON.stringify(body)
      })
    const initialized = await post({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "resume-test", version: "0" } }
    })
    const session = initialized.headers.get("mcp-session-id") ?? ""
    await initialized.text()
    await (await post({ jsonrpc: "2.0", method: "notifications/initialized" }, session)).text()
    const listen = (signal: AbortSignal, lastEventId?: string) =>
      fetch(url, {
        headers: {
          accept: "text/event-stream",
          "mcp-session-id": session,
          "mcp-protocol-version": VERSION,
          ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId })
        },
        signal
      })
    return { session, listen }
  })

const addTool =
  (sessions: ReadonlyArray<McpServer>, counters: UpstreamCounters) =>
  (name: string): Effect.Effect<void> =>
    Effect.sync(() => {
      for (const server of sessions) {
        server.registerTool(name, { description: name }, () => {
          counters.toolCalls += 1
          return { content: [{ type: "text", text: name }] }
        })
      }
    })

/** att's REST catalog lists `name` (att has taken the upstream's change in). */
const catalogHas = (url: string, name: string) =>
  Effect.promise(async () => {
    const response = await fetch(url.replace(/\/mcp$/, "/api/v1/mcp/tools"))
    return ((await response.json()) as Array<{ name: string }>).some((tool) => tool.name === name)
  }).pipe(
    Effect.filterOrFail(
      (listed) => listed,
      () => `${name} not listed yet`
    ),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 }),
    Effect.orDie
  )

describe("resumable /mcp streams (issue 16 §2)", () => {
  it.scopedLive(
    "every event on the GET stream has an id; a client that reconnects with Last-Event-ID gets what it missed",
    () =>
      Effect.gen(function* () {
        const sessions: Array<McpServer> = []
        const alpha = yield* startHttpUpstream({ name: "alpha", extend: (server) => void sessions.push(server) })
        const url = yield* startAtt({ alpha: { url: alpha.url } })
        yield* catalogHas(url, "echo")
        const { listen } = yield* openSession(url)
        const add = addTool(sessions, alpha.counters)

        const first = new AbortController()
        const stream = yield* Effect.promise(() => listen(first.signal))
        expect(stream.status).toBe(200)
        const next = sseReader(stream)
        yield* add("first")
        const seen = yield* Effect.promise(next)
        expect(JSON.parse(seen.data)).toMatchObject({ method: "notifications/tools/list_changed" })
        expect(seen.id).toBeDefined()
        first.abort()

        // Missed while disconnected: stored, then replayed on resume.
        yield* add("second")
        yield* catalogHas(url, "second")
        const again = new AbortController()
        const resumed = yield* Effect.promise(() => listen(again.signal, seen.id))
        expect(resumed.status).toBe(200)
        const missed = yield* Effect.promise(sseReader(resumed))
        expect(JSON.parse(missed.data)).toMatchObject({ method: "notifications/tools/list_changed" })
        expect(missed.id).toBeDefined()
        expect(missed.id).not.toBe(seen.id)
        again.abort()

        // An id that is not one of this session's is refused, not guessed at.
        const bogus = yield* Effect.promise(() => listen(new AbortController().signal, "nonsense"))
        expect(bogus.status).toBe(400)
      })
  )
})
