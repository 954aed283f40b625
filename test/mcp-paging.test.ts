import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { ErrorCode, ListToolsRequestSchema, type McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Either } from "effect"
import { listedWhen, mcpClient, startAtt } from "./support/mcpAtt.js"

const TOOLS = Array.from({ length: 250 }, (_, i) => ({
  name: `t${String(i).padStart(3, "0")}`,
  inputSchema: { type: "object" as const }
}))

/** An upstream that lists 250 tools, 40 a page, behind its own cursors. */
const pagesItsTools = (server: McpServer) => {
  server.server.setRequestHandler(ListToolsRequestSchema, (request) => {
    const from = Number(request.params?.cursor ?? 0)
    const next = from + 40
    return next < TOOLS.length
      ? { tools: TOOLS.slice(from, next), nextCursor: String(next) }
      : { tools: TOOLS.slice(from) }
  })
}

/** An upstream whose cursors never end: one tool a page, always another page. */
const neverEnds = (server: McpServer) => {
  server.server.setRequestHandler(ListToolsRequestSchema, (request) => {
    const at = Number(request.params?.cursor ?? 0)
    return { tools: [{ name: `loop${at}`, inputSchema: { type: "object" as const } }], nextCursor: String(at + 1) }
  })
}

describe("lists are paged on both sides (issue 16 §1)", () => {
  it.scopedLive(
    "att follows an upstream's cursors and pages its own list: 250 tools read 40 at a time, offered 100 at a time",
    () =>
      Effect.gen(function* () {
        const upstream = yield* startHttpUpstream({ name: "many", extend: pagesItsTools })
        const url = yield* startAtt({ many: { url: upstream.url } })
        const client = yield* mcpClient(url)
        const first = yield* listedWhen(client, (listed) => listed.tools.length > 0)
        expect(first.tools.map((tool) => tool.name)).toEqual(TOOLS.slice(0, 100).map((tool) => tool.name))
        expect(first.nextCursor).toBeDefined()
        const second = yield* Effect.promise(() => client.listTools({ cursor: first.nextCursor as string }))
        const third = yield* Effect.promise(() => client.listTools({ cursor: second.nextCursor as string }))
        expect(third.nextCursor).toBeUndefined()
        expect([...first.tools, ...second.tools, ...third.tools].map((tool) => tool.name)).toEqual(
          TOOLS.map((tool) => tool.name)
        )
        const refused = yield* Effect.either(Effect.tryPromise(() => client.listTools({ cursor: "not att's" })))
        expect(Either.isLeft(refused) && (refused.left.cause as McpError).code).toBe(ErrorCode.InvalidParams)
      })
  )

  it.scopedLive("an upstream whose cursors never end is read for 100 pages, not forever", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "loop", extend: neverEnds })
      const url = yield* startAtt({ loop: { url: upstream.url } }, { list_page_size: 500 })
      const client = yield* mcpClient(url)
      const listed = yield* listedWhen(client, (result) => result.tools.length > 0)
      expect(listed.tools.map((tool) => tool.name)).toEqual(Array.from({ length: 100 }, (_, i) => `loop${i}`))
      expect(listed.nextCursor).toBeUndefined()
    })
  )
})
