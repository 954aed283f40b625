import { join } from "node:path"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import {
  CallToolResultSchema,
  LoggingMessageNotificationSchema,
  type Progress,
  ResourceUpdatedNotificationSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema
} from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { z } from "zod"
import { eventually, listedWhen, mcpClient, startAtt, text } from "./support/mcpAtt.js"

/** What att relays from its upstreams to its own MCP clients: progress, log messages, resource updates. */

const FIXTURE = join(import.meta.dirname, "fixtures", "upstream-server.ts")
const stdioUpstream = (name: string) => ({
  command: process.execPath,
  args: ["--conditions=att-source", "--import", "tsx", FIXTURE, name, "stdio"]
})

describe("relays through /mcp", () => {
  it.scopedLive("every progress notification of a call reaches the caller under its own token, before the result", () =>
    Effect.gen(function* () {
      // stdio: the last progress notification and the result arrive in one read (the SDK's own onprogress drops it)
      const url = yield* startAtt({ alpha: stdioUpstream("alpha") })
      const client = yield* mcpClient(url)
      yield* listedWhen(client, (r) => r.tools.some((tool) => tool.name === "progress"))
      for (const steps of [1, 5, 20]) {
        const seen: Array<Progress> = []
        const result = yield* Effect.promise(() =>
          client.callTool({ name: "progress", arguments: { steps } }, CallToolResultSchema, {
            onprogress: (p) => seen.push(p)
          })
        )
        expect(text(result)).toBe(`alpha: ${steps} steps`)
        expect(seen).toEqual(Array.from({ length: steps }, (_, i) => ({ progress: i + 1, total: steps })))
      }
      // A call without a token gets no progress and still answers.
      expect(text(yield* Effect.promise(() => client.callTool({ name: "progress", arguments: { steps: 3 } })))).toBe(
        "alpha: 3 steps"
      )
    })
  )

  it.scopedLive("an upstream's log messages reach each session at the level it set, naming the server", () =>
    Effect.gen(function* () {
      const url = yield* startAtt({ alpha: stdioUpstream("alpha") })
      const verbose = yield* mcpClient(url)
      const quiet = yield* mcpClient(url)
      yield* listedWhen(verbose, (r) => r.tools.some((tool) => tool.name === "log"))
      const heard = { verbose: [] as Array<unknown>, quiet: [] as Array<unknown> }
      verbose.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.verbose.push(n.params))
      quiet.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.quiet.push(n.params))
      yield* Effect.promise(() => verbose.setLoggingLevel("info"))
      yield* Effect.promise(() => quiet.setLoggingLevel("error"))
      const messages = [
        { level: "debug", data: "below info" },
        { level: "info", data: "started" },
        { level: "error", data: "went wrong" }
      ]
      yield* Effect.promise(() => verbose.callTool({ name: "log", arguments: { messages } }))
      yield* eventually(() => heard.verbose.length >= 2 && heard.quiet.length >= 1, "log messages not relayed yet")
      expect(heard.verbose).toEqual([
        { level: "info", logger: "alpha/tool", data: "started" },
        { level: "error", logger: "alpha/tool", data: "went wrong" }
      ])
      // The error came last, so had an info message been sent to the quiet session it would be here by now.
      expect(heard.quiet).toEqual([{ level: "error", logger: "alpha/tool", data: "went wrong" }])
    })
  )

  it.scopedLive(
    "resource subscriptions: one upstream subscription per URI, updates to every subscriber, dropped on close",
    () =>
      Effect.gen(function* () {
        const upstream = { subscribes: 0, unsubscribes: 0 }
        const alpha = yield* startHttpUpstream({
          name: "alpha",
          extend: (server) => {
            server.server.registerCapabilities({ resources: { subscribe: true } })
            const subscribed = new Set<string>()
            server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
              upstream.subscribes += 1
              subscribed.add(request.params.uri)
              return {}
            })
            server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
              upstream.unsubscribes += 1
              subscribed.delete(request.params.uri)
              return {}
            })
            server.registerTool(
              "touch",
              { description: "Change a resource", inputSchema: { uri: z.string() } },
              async ({ uri }) => {
                if (subscribed.has(uri)) await server.server.sendResourceUpdated({ uri })
                return { content: [{ type: "text", text: "touched" }] }
              }
            )
          }
        })
        const url = yield* startAtt({ alpha: { url: alpha.url } })
        const first = yield* mcpClient(url)
        const second = yield* mcpClient(url)
        yield* listedWhen(first, (r) => r.tools.some((tool) => tool.name === "touch"))
        const updates = { first: [] as Array<string>, second: [] as Array<string> }
        first.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.first.push(n.params.uri))
        second.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.second.push(n.params.uri))

        yield* Effect.promise(() => first.subscribeResource({ uri: "test://static" }))
        yield* Effect.promise(() => second.subscribeResource({ uri: "test://static" }))
        expect(upstream.subscribes).toBe(1)
        const unknown = yield* Effect.either(
          Effect.tryPromise(() => first.subscribeResource({ uri: "test://nowhere" }))
        )
        expect(unknown._tag).toBe("Left")

        yield* Effect.promise(() => first.callTool({ name: "touch", arguments: { uri: "test://static" } }))
        yield* eventually(
          () => updates.first.length === 1 && updates.second.length === 1,
          "resource update not relayed yet"
        )
        expect(updates).toEqual({ first: ["test://static"], second: ["test://static"] })

        yield* Effect.promise(() => first.unsubscribeResource({ uri: "test://static" }))
        expect(upstream.unsubscribes).toBe(0) // the second session still listens
        yield* Effect.promise(() => first.callTool({ name: "touch", arguments: { uri: "test://static" } }))
        yield* eventually(() => updates.second.length === 2, "second update not relayed yet")
        expect(updates.first).toEqual(["test://static"])

        // A forced re-initialize opens a new upstream session, which att subscribes again.
        const reinitialized = yield* Effect.promise(() =>
          fetch(url.replace(/\/mcp$/, "/api/v1/mcp/servers/alpha/initialize?force=true"), { method: "POST" })
        )
        expect(reinitialized.status).toBe(200)
        yield* eventually(() => upstream.subscribes === 2, "new upstream session not subscribed")
        yield* Effect.promise(() => first.callTool({ name: "touch", arguments: { uri: "test://static" } }))
        yield* eventually(() => updates.second.length === 3, "update from the new upstream session not relayed")

        // Ending the last subscribed session ends the upstream subscription.
        yield* Effect.promise(() => (second.transport as StreamableHTTPClientTransport).terminateSession())
        yield* eventually(() => upstream.unsubscribes === 1, "upstream subscription not dropped")
      })
  )
})
