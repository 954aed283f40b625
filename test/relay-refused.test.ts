import { Manager, httpUpstream } from "@att/core"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect, Schedule } from "effect"
import { eventually } from "./support/mcpAtt.js"
import { sdkAtt } from "./support/sdkAtt.js"

/** An upstream tool that answers at once and asks its client afterwards: on the standalone stream, with no call. */
const askingLater = (answers: Array<string>) => (server: McpServer) => {
  server.registerTool("ask_later", { description: "Ask the client after answering" }, () => {
    queueMicrotask(() => {
      server.server.elicitInput({ message: "still there?", requestedSchema: { type: "object", properties: {} } }).then(
        () => answers.push("answered"),
        (error: { code?: number; message?: string }) => answers.push(`error ${error.code}: ${error.message}`)
      )
    })
    return { content: [{ type: "text", text: "done" }] }
  })
}

describe("an upstream's request no call can be named for (issue 16 §2)", () => {
  it.scopedLive("is refused with -32601 and recorded as an invocation event of its own", () =>
    Effect.gen(function* () {
      const answers: Array<string> = []
      const upstream = yield* startHttpUpstream({ name: "alpha", extend: askingLater(answers) })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      expect((yield* manager.invokeTool("ask_later", {})).server).toBe("alpha")
      yield* eventually(() => answers.length === 1, "the upstream's elicitation to be answered")
      expect(answers[0]).toMatch(/^error -32601: .*att has no client to ask: elicitation\/create/)
      // Recorded by the Manager as the transport tells of it (the upstream may hear its answer first).
      const refusedEvents = manager
        .listInvocationEvents({ server: "alpha" })
        .pipe(Effect.map((events) => events.filter((event) => event.phase === "upstream_request_refused")))
      yield* refusedEvents.pipe(
        Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (found) => found.length > 0, times: 100 })
      )
      const refused = yield* refusedEvents
      expect(refused).toHaveLength(1)
      expect(refused[0]).toMatchObject({
        server: "alpha",
        method: "elicitation/create",
        error: "att has no client to ask: elicitation/create did not come with a call in flight",
        error_category: null
      })
    }).pipe(Effect.provide(sdkAtt()))
  )
})
