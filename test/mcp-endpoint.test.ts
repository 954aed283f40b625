import { request as httpRequest } from "node:http"
import { type UpstreamCounters, startHttpUpstream } from "@att/testkit"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { describe, expect, it } from "@effect/vitest"
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Either, Schedule } from "effect"
import { z } from "zod"
import { listedWhen, mcpClient, startAtt, text } from "./support/mcpAtt.js"

describe("att as an MCP server at /mcp", () => {
  it.scopedLive(
    "lists the upstreams' tools once, calls them, and keeps working when one of two interchangeable upstreams is down",
    () =>
      Effect.gen(function* () {
        const alpha = yield* startHttpUpstream({ name: "alpha" })
        const beta = yield* startHttpUpstream({ name: "beta" })
        const url = yield* startAtt({ alpha: { url: alpha.url }, beta: { url: beta.url } })
        const client = yield* mcpClient(url)
        // connect happens in the background: list once both upstreams have initialized
        const listed = yield* listedWhen(client, (r) => r.tools.length >= 4)
        const names = listed.tools.map((tool) => tool.name).sort()
        expect(names).toEqual(["add", "echo", "fail", "slow"]) // same schemas on both: one name each (conditional)
        expect(listed.tools.find((tool) => tool.name === "echo")?.inputSchema).toMatchObject({
          properties: { message: {} }
        })
        expect(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "hi" } })))).toBe(
          "alpha: hi"
        )
        yield* alpha.close
        expect(
          text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "still" } })))
        ).toBe("beta: still")
        const resources = yield* Effect.promise(() => client.listResources())
        expect(resources.resources.map((r) => r.uri)).toEqual(["test://static"])
        const read = yield* Effect.promise(() => client.readResource({ uri: "test://static" }))
        expect((read.contents[0] as { text: string }).text).toBe("static from beta")
        const unknown = yield* Effect.either(Effect.tryPromise(() => client.callTool({ name: "nope", arguments: {} })))
        expect(
          Either.isLeft(unknown) ||
            (Either.isRight(unknown) && (unknown.right as { isError?: boolean }).isError === true)
        ).toBe(true)
      })
  )

  it.scopedLive("a name offered with different schemas is prefixed per server (conditional), or always", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const beta = yield* startHttpUpstream({
        name: "beta",
        extend: (server) => {
          server.registerTool(
            "lookup",
            { description: "beta's lookup", inputSchema: { key: z.string() } },
            ({ key }) => ({
              content: [{ type: "text", text: `beta:${key}` }]
            })
          )
        }
      })
      const gamma = yield* startHttpUpstream({
        name: "gamma",
        extend: (server) => {
          server.registerTool(
            "lookup",
            { description: "gamma's lookup", inputSchema: { id: z.number() } },
            ({ id }) => ({
              content: [{ type: "text", text: `gamma:${id}` }]
            })
          )
        }
      })
      const url = yield* startAtt({ alpha: { url: alpha.url }, beta: { url: beta.url }, gamma: { url: gamma.url } })
      const client = yield* mcpClient(url)
      const listed = yield* listedWhen(
        client,
        (r) => r.tools.filter((tool) => tool.name.endsWith("lookup")).length === 2 && r.tools.length >= 6
      )
      const names = listed.tools.map((tool) => tool.name)
      expect(names).toContain("beta__lookup")
      expect(names).toContain("gamma__lookup")
      expect(names).toContain("echo")
      expect(text(yield* Effect.promise(() => client.callTool({ name: "gamma__lookup", arguments: { id: 7 } })))).toBe(
        "gamma:7"
      )

      const always = yield* mcpClient(yield* startAtt({ alpha: { url: alpha.url } }, { prefix_mode: "always" }))
      const prefixed = yield* listedWhen(always, (r) => r.tools.length >= 4)
      expect(prefixed.tools.map((tool) => tool.name).sort()).toEqual([
        "alpha__add",
        "alpha__echo",
        "alpha__fail",
        "alpha__slow"
      ])
    })
  )
})

/** The REST side of the same att (`/mcp` → `/api/v1/mcp/...`). */
const rest = (mcpUrl: string) => {
  const base = mcpUrl.replace(/\/mcp$/, "")
  return (path: string, body?: unknown) =>
    Effect.promise(async () => {
      const response = await fetch(`${base}${path}`, {
        method: body === undefined ? "GET" : "POST",
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    })
}

/** A `lookup {key}` tool on each session of an upstream, annotated as given. */
const withLookup =
  (name: string, annotations: Record<string, boolean> = {}) =>
  (server: McpServer, counters: UpstreamCounters) => {
    server.registerTool(
      "lookup",
      { description: "look a key up", inputSchema: { key: z.string() }, annotations },
      ({ key }) => {
        counters.toolCalls += 1
        return { content: [{ type: "text", text: `${name}:${key}` }] }
      }
    )
  }

describe("/mcp routing, failover rules and list changes", () => {
  it.scopedLive("with prefix mode never, a conflicting name is offered once, under its bare name", () =>
    Effect.gen(function* () {
      const beta = yield* startHttpUpstream({ name: "beta", extend: withLookup("beta") })
      const gamma = yield* startHttpUpstream({
        name: "gamma",
        extend: (server) => {
          server.registerTool("lookup", { inputSchema: { id: z.number() } }, ({ id }) => ({
            content: [{ type: "text", text: `gamma:${id}` }]
          }))
        }
      })
      const client = yield* mcpClient(
        yield* startAtt({ beta: { url: beta.url }, gamma: { url: gamma.url } }, { prefix_mode: "never" })
      )
      const listed = yield* listedWhen(client, (r) => r.tools.length >= 5)
      expect(listed.tools.filter((tool) => tool.name.endsWith("lookup")).map((tool) => tool.name)).toEqual(["lookup"])
      expect(text(yield* Effect.promise(() => client.callTool({ name: "lookup", arguments: { key: "k" } })))).toBe(
        "beta:k"
      )
    })
  )

  it.scopedLive("a tool not safe to repeat is not retried elsewhere once sent; an idempotent one fails over", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha", extend: withLookup("alpha", { idempotentHint: true }) })
      const beta = yield* startHttpUpstream({ name: "beta", extend: withLookup("beta", { idempotentHint: true }) })
      const url = yield* startAtt({ alpha: { url: alpha.url }, beta: { url: beta.url } }, {}, 400)
      const client = yield* mcpClient(url)
      yield* listedWhen(client, (r) => r.tools.length >= 5)
      const api = rest(url)
      const plan = yield* api("/api/v1/mcp/route/tool", { tool_name: "echo" })
      expect(plan.body).toMatchObject({
        tool_name: "echo",
        failover_after_send: false,
        candidates: [
          { server: "alpha", status: "healthy" },
          { server: "beta", status: "healthy" }
        ],
        skipped: []
      })
      expect((yield* api("/api/v1/mcp/route/tool", { tool_name: "lookup" })).body.failover_after_send).toBe(true)

      yield* alpha.hang
      const echo = yield* Effect.either(
        Effect.tryPromise(() => client.callTool({ name: "echo", arguments: { message: "once" } }))
      )
      expect(Either.isLeft(echo)).toBe(true)
      expect(String(Either.isLeft(echo) ? echo.left.error : "")).toContain("not safe to repeat")
      expect(beta.counters.toolCalls).toBe(0) // never reached the second server

      // An idempotent tool on a hung primary: cut at the timeout, then served by the other server.
      const gamma = yield* startHttpUpstream({ name: "gamma", extend: withLookup("gamma", { idempotentHint: true }) })
      const delta = yield* startHttpUpstream({ name: "delta", extend: withLookup("delta", { idempotentHint: true }) })
      const other = yield* mcpClient(yield* startAtt({ gamma: { url: gamma.url }, delta: { url: delta.url } }, {}, 400))
      yield* listedWhen(other, (r) => r.tools.length >= 5)
      yield* gamma.hang
      expect(text(yield* Effect.promise(() => other.callTool({ name: "lookup", arguments: { key: "k" } })))).toBe(
        "delta:k"
      )
      const skipped = (yield* api("/api/v1/mcp/route/tool", { tool_name: "nope" })).body.skipped
      expect(skipped).toEqual([
        { server: "alpha", reason: "not offered" },
        { server: "beta", reason: "not offered" }
      ])
    })
  )

  it.scopedLive(
    "an upstream's list_changed reaches att's clients, the new tool is callable, and the drift is recorded",
    () =>
      Effect.gen(function* () {
        const sessions: Array<McpServer> = []
        const alpha = yield* startHttpUpstream({ name: "alpha", extend: (server) => void sessions.push(server) })
        const url = yield* startAtt({ alpha: { url: alpha.url } })
        const client = yield* mcpClient(url)
        yield* listedWhen(client, (r) => r.tools.length >= 4)
        let notified = 0
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          notified += 1
        })
        for (const server of sessions) withLookup("alpha")(server, alpha.counters)
        const listed = yield* listedWhen(client, (r) => r.tools.some((tool) => tool.name === "lookup"))
        expect(listed.tools.map((tool) => tool.name).sort()).toEqual(["add", "echo", "fail", "lookup", "slow"])
        yield* Effect.promise(() => client.listTools()).pipe(
          Effect.filterOrFail(
            () => notified > 0,
            () => "no list_changed yet"
          ),
          Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 100 }),
          Effect.orDie
        )
        expect(text(yield* Effect.promise(() => client.callTool({ name: "lookup", arguments: { key: "new" } })))).toBe(
          "alpha:new"
        )
        const drift = (yield* rest(url)("/api/v1/mcp/capability-events?server=alpha&list=tools")).body
          .items as Array<unknown>
        expect(drift).toMatchObject([{ server: "alpha", list: "tools", added: ["lookup"], removed: [], changed: [] }])
        const none = (yield* rest(url)("/api/v1/mcp/capability-events?list=prompts")).body.items
        expect(none).toEqual([])
        // G23: the cursor of a read without one lets a poller read only what is new; positions start above att's
        // start time (µs), so a cursor of 0 (or of an earlier run) reads from the oldest event kept.
        const all = (yield* rest(url)("/api/v1/mcp/capability-events")).body as {
          items: Array<unknown>
          cursor: number
          replica: string
        }
        expect(all.cursor).toBeGreaterThan(Date.now() * 1000 - 3_600_000_000)
        expect((yield* rest(url)(`/api/v1/mcp/capability-events?cursor=${all.cursor}`)).body).toEqual({
          items: [],
          cursor: all.cursor,
          missed: 0,
          replica: all.replica
        })
        expect((yield* rest(url)(`/api/v1/mcp/capability-events?cursor=${all.cursor - 1}`)).body.items).toEqual(
          all.items.slice(-1)
        )
        expect((yield* rest(url)("/api/v1/mcp/capability-events?cursor=0")).body).toEqual({ ...all, missed: 0 })
      })
  )

  it.scopedLive("REST invoke/tool without preferred_servers tries only the servers that list the tool", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const beta = yield* startHttpUpstream({ name: "beta", extend: withLookup("beta") })
      const url = yield* startAtt({ alpha: { url: alpha.url }, beta: { url: beta.url } })
      const client = yield* mcpClient(url)
      yield* listedWhen(client, (r) => r.tools.length >= 5)
      const answer = yield* rest(url)("/api/v1/mcp/invoke/tool", { tool_name: "lookup", arguments: { key: "k" } })
      expect(answer.status).toBe(200)
      expect(answer.body.server).toBe("beta")
      const events = (yield* rest(url)(`/api/v1/mcp/invocation-events?request_id=${answer.body.request_id as string}`))
        .body.items as Array<{ server: string }>
      expect(new Set(events.map((event) => event.server))).toEqual(new Set(["beta"])) // alpha was never tried
      const tools = (yield* rest(url)("/api/v1/mcp/tools")).body as unknown as Array<{
        name: string
        servers: Array<string>
      }>
      expect(tools.find((tool) => tool.name === "lookup")?.servers).toEqual(["beta"])
      expect(tools.find((tool) => tool.name === "echo")?.servers).toEqual(["alpha", "beta"])
    })
  )

  it.scopedLive(
    "the endpoint refuses a foreign Host header, answers 404 for an unknown session and 202 for a notification",
    () =>
      Effect.gen(function* () {
        const alpha = yield* startHttpUpstream({ name: "alpha" })
        const url = yield* startAtt({ alpha: { url: alpha.url } })
        const post = (headers: Record<string, string>, body: unknown) =>
          Effect.promise(() =>
            fetch(url, {
              method: "POST",
              headers: {
                "content-type": "application/json",
                accept: "application/json, text/event-stream",
                ...headers
              },
              body: JSON.stringify(body)
            })
          )
        const initialize = {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } }
        }
        // fetch will not send a foreign Host header; node:http will.
        const rebinding = yield* Effect.async<number>((resume) => {
          const req = httpRequest(
            url,
            { method: "POST", headers: { host: "evil.example:80", "content-type": "application/json" } },
            (res) => {
              res.resume()
              resume(Effect.succeed(res.statusCode ?? 0))
            }
          )
          req.on("error", (error) => resume(Effect.die(error)))
          req.end(JSON.stringify(initialize))
        })
        expect(rebinding).toBe(421)
        expect(
          (yield* post({ "mcp-session-id": "no-such-session" }, { jsonrpc: "2.0", id: 2, method: "tools/list" })).status
        ).toBe(404)
        const opened = yield* post({}, initialize)
        expect(opened.status).toBe(200)
        const session = opened.headers.get("mcp-session-id") ?? ""
        expect(session).not.toBe("")
        const notification = yield* post(
          { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
          { jsonrpc: "2.0", method: "notifications/initialized" }
        )
        expect(notification.status).toBe(202)
        expect(yield* Effect.promise(() => notification.text())).toBe("")
        const ended = yield* Effect.promise(() =>
          fetch(url, { method: "DELETE", headers: { "mcp-session-id": session } })
        )
        expect(ended.status).toBe(200)
        expect(
          (yield* post({ "mcp-session-id": session }, { jsonrpc: "2.0", id: 3, method: "tools/list" })).status
        ).toBe(404)
      })
  )
})
