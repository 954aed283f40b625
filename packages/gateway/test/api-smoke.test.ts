import { describe, expect, it } from "@effect/vitest"
import { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import { apiClient, apiHarness } from "./harness.js"

describe("api smoke", () => {
  it.effect("register, list, invoke, events", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const created = yield* client.mcp.registerServer({ payload: { name: "github", url: "http://github.local", transport: "streamable-http" } })
      expect(created.url).toBe("http://github.local/")
      const servers = yield* client.mcp.listServers()
      expect(servers.items.map((s) => s.name)).toEqual(["github"])
      const result = yield* client.mcp.invokeTool({ payload: { tool_name: "echo", arguments: { a: 1 }, preferred_servers: null } })
      expect(result.server).toBe("github")
      const events = yield* client.mcp.listInvocationEvents({ urlParams: { request_id: result.request_id } })
      expect(events.items).toHaveLength(4)
      const missing = yield* Effect.flip(client.mcp.getServer({ path: { name: "nope" } }))
      expect(missing._tag).toBe("ServerNotFound")
      const raw = yield* HttpClient.HttpClient
      const bad = yield* raw.get("/api/v1/mcp/events?limit=0")
      expect(bad.status).toBe(400)
      console.log(yield* bad.json)
      const notJson = yield* raw.post("/api/v1/mcp/invoke/tool", { body: undefined })
      console.log(notJson.status, yield* notJson.text)
      const spec = yield* raw.get("/openapi.json")
      expect(spec.status).toBe(200)
      const unknown = yield* raw.get("/nope")
      console.log(unknown.status, yield* unknown.text)
    }).pipe(Effect.provide(apiHarness()))
  )
})
