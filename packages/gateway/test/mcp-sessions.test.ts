import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Schedule, TestClock } from "effect"
import { makeNodeServer } from "@att/gateway"
import { SessionBudget } from "@att/core"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { McpSessions } from "../src/mcp/McpSessions.js"
import { SessionOutbox } from "../src/mcp/SessionOutbox.js"
import { apiHarness } from "./harness.js"

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } }
}
const MCP_HEADERS = { accept: "application/json, text/event-stream" }

const mcpPost = (body: unknown, session?: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      HttpClientRequest.post("/mcp").pipe(
        HttpClientRequest.setHeaders(
          session === undefined ? MCP_HEADERS : { ...MCP_HEADERS, "mcp-session-id": session }
        ),
        HttpClientRequest.bodyUnsafeJson(body)
      )
    )
  )

describe("/mcp sessions", () => {
  it.effect("a session with no request for mcp_session_idle_seconds ends; one that keeps asking stays", () =>
    Effect.gen(function* () {
      const idle = (yield* mcpPost(INITIALIZE)).headers["mcp-session-id"] ?? ""
      const busy = (yield* mcpPost(INITIALIZE)).headers["mcp-session-id"] ?? ""
      expect(idle).not.toBe("")
      const ping = (session: string) =>
        Effect.map(mcpPost({ jsonrpc: "2.0", id: 2, method: "ping" }, session), (r) => r.status)
      yield* TestClock.adjust("40 seconds")
      expect(yield* ping(busy)).toBe(200)
      yield* TestClock.adjust("30 seconds")
      // idle: 70 s without a request (limit 60); busy: 30 s since its ping.
      expect(yield* ping(idle)).toBe(404)
      expect(yield* ping(busy)).toBe(200)
    }).pipe(Effect.provide(apiHarness({ gateway: { mcpSessionIdleSeconds: 60 } })))
  )

  it.live("a session too slow for its log messages only delays itself: the oldest are dropped and counted", () =>
    Effect.gen(function* () {
      const stuck = yield* Deferred.make<void>()
      let sending = 0
      const delivered: Array<number> = []
      const slow = new SessionOutbox<number>(() => {
        sending++
        return Effect.runPromise(Deferred.await(stuck))
      }, 4)
      const fast = new SessionOutbox<number>(async (message) => {
        delivered.push(message)
      }, 16)
      const until = (done: () => boolean) =>
        Effect.sync(done).pipe(
          Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis"), times: 400 }),
          Effect.map(() => expect(done()).toBe(true))
        )
      slow.offer(0)
      yield* until(() => sending === 1)
      for (let message = 0; message < 10; message++) fast.offer(message)
      for (let message = 1; message < 10; message++) slow.offer(message)
      yield* until(() => delivered.length === 10)
      expect(delivered).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      // The slow session is stuck sending message 0; of the 9 that followed, its queue kept the last 4.
      expect(slow.dropped).toBe(5)
      expect(fast.dropped).toBe(0)
      slow.close()
      fast.close()
    })
  )

  it.live("an initialize the transport refuses (no Accept for SSE) leaves no server behind", () =>
    Effect.gen(function* () {
      let made = 0
      let closed = 0
      const sessions = new McpSessions(
        () => {
          made++
          const server = new Server({ name: "t", version: "0" }, { capabilities: {} })
          server.onclose = () => {
            closed++
          }
          return server
        },
        { budget: SessionBudget.make(4), idleMs: 60_000, events: { events: 1000, bytes: 1 << 24 } }
      )
      const refused = new Request("http://localhost/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" }
      })
      for (let i = 0; i < 10; i++) {
        const response = yield* Effect.promise(() => sessions.handle(refused.clone(), INITIALIZE, 0))
        expect(response.status).toBe(406)
      }
      expect([made, closed, sessions.size]).toEqual([10, 10, 0])
      // The bound counts open sessions only: refused attempts never use it up.
      const accepted = new Request("http://localhost/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }
      })
      expect((yield* Effect.promise(() => sessions.handle(accepted, INITIALIZE, 0))).status).toBe(200)
      expect(sessions.size).toBe(1)
      yield* Effect.promise(() => sessions.closeAll())
    })
  )

  it("the Node server's limits are set on purpose", () => {
    const server = makeNodeServer({
      headers_timeout_ms: 10_000,
      request_timeout_ms: 60_000,
      keep_alive_timeout_ms: 5_000,
      max_connections: 1024
    })
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.maxConnections]).toEqual([
      10_000, 60_000, 5_000, 1024
    ])
  })
})
