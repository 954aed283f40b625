import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect, Schedule } from "effect"
import { startAtt } from "./support/mcpAtt.js"

interface Counts {
  readonly tools: number
  readonly resources: number
  readonly resource_templates: number
  readonly prompts: number
}

/** The server's answer from the API, once its lists are known (they are fetched after its handshake). */
const countsOf = (base: string, name: string) =>
  Effect.promise(() => fetch(`${base}/api/v1/mcp/servers/${name}`).then((r) => r.json())).pipe(
    Effect.map((server) => (server as { capability_counts: Counts | null }).capability_counts),
    Effect.filterOrFail(
      (counts): counts is Counts => counts !== null,
      () => "lists not fetched yet"
    ),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 200 }),
    Effect.orDie
  )

describe("capability_counts on the server answers", () => {
  it.scopedLive("counts each list att keeps for the server, null before its handshake", () =>
    Effect.gen(function* () {
      const plain = yield* startHttpUpstream({ name: "plain" })
      const rich = yield* startHttpUpstream({
        name: "rich",
        extend: (server) => {
          server.registerPrompt("greet", { description: "Say hello" }, () => ({
            messages: [{ role: "user", content: { type: "text", text: "hello" } }]
          }))
          server.registerResource(
            "item",
            new ResourceTemplate("test://items/{id}", { list: undefined }),
            {},
            (uri) => ({
              contents: [{ uri: uri.href, text: "item" }]
            })
          )
        }
      })
      const mcpUrl = yield* startAtt({ plain: { url: plain.url }, rich: { url: rich.url } })
      const base = mcpUrl.replace(/\/mcp$/, "")
      expect(yield* countsOf(base, "plain")).toEqual({ tools: 4, resources: 1, resource_templates: 0, prompts: 0 })
      expect(yield* countsOf(base, "rich")).toEqual({ tools: 4, resources: 1, resource_templates: 1, prompts: 1 })
      const listed = (yield* Effect.promise(() => fetch(`${base}/api/v1/mcp/servers`).then((r) => r.json()))) as {
        items: Array<{ name: string; capability_counts: Counts | null }>
      }
      expect(listed.items.map((server) => [server.name, server.capability_counts?.prompts])).toEqual([
        ["plain", 0],
        ["rich", 1]
      ])

      // A server registered over the API has no lists before its first handshake.
      const registered = yield* Effect.promise(() =>
        fetch(`${base}/api/v1/mcp/servers`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "later", url: plain.url })
        }).then((r) => r.json())
      )
      expect(registered).toMatchObject({ name: "later", capability_counts: null })
    })
  )
})
