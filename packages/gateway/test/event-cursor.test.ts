import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { staticProbe } from "@att/testkit"
import { SUCCESS_PHASES, apiClient, apiHarness, fallbackResponder, invokeTool, register } from "./harness.js"

/**
 * G23: the seed's event reads keep only the tail. att's three event reads also answer a `cursor`; passed back,
 * it returns only what came since (a page of `limit`, oldest first), and `missed` says what the bounded buffer
 * dropped in between.
 */
describe("event reads with a cursor (G23)", () => {
  it.effect("a poller reads each invocation event once, page by page, and nothing twice", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "github")
      const start = yield* client.mcp.listInvocationEvents({ urlParams: {} })
      expect(start).toEqual({ items: [], cursor: 0, missed: 0, replica: "local" })

      const first = yield* invokeTool(client, null)
      const since = yield* client.mcp.listInvocationEvents({ urlParams: { cursor: start.cursor } })
      expect(since.items.map((event) => [event.request_id, event.phase])).toEqual(
        SUCCESS_PHASES.map((phase) => [first.request_id, phase])
      )
      expect(since).toMatchObject({ cursor: SUCCESS_PHASES.length, missed: 0 })
      expect(yield* client.mcp.listInvocationEvents({ urlParams: { cursor: since.cursor } })).toEqual({
        items: [],
        cursor: since.cursor,
        missed: 0,
        replica: "local"
      })

      const second = yield* invokeTool(client, null)
      const head = yield* client.mcp.listInvocationEvents({ urlParams: { cursor: since.cursor, limit: 3 } })
      expect(head.items.map((event) => event.phase)).toEqual(SUCCESS_PHASES.slice(0, 3))
      expect(head.cursor).toBe(since.cursor + 3)
      const rest = yield* client.mcp.listInvocationEvents({ urlParams: { cursor: head.cursor, limit: 3 } })
      expect(rest.items.map((event) => [event.request_id, event.phase])).toEqual([
        [second.request_id, "invoke_success"]
      ])
      expect(rest.cursor).toBe(2 * SUCCESS_PHASES.length)

      // Filters apply within the page; the cursor still moves past what they left out.
      const filtered = yield* client.mcp.listInvocationEvents({
        urlParams: { cursor: 0, request_id: second.request_id }
      })
      expect(filtered.items.map((event) => event.request_id)).toEqual(SUCCESS_PHASES.map(() => second.request_id))
      expect(filtered.cursor).toBe(2 * SUCCESS_PHASES.length)
      // Without a cursor the read is the spec's tail, with the cursor to start polling from.
      const tail = yield* client.mcp.listInvocationEvents({ urlParams: { limit: 1 } })
      expect(tail.items.map((event) => event.phase)).toEqual(["invoke_success"])
      expect(tail.cursor).toBe(2 * SUCCESS_PHASES.length)
    }).pipe(Effect.provide(apiHarness({ transport: { responder: fallbackResponder } })))
  )

  it.effect("what the bounded buffer dropped before a read is counted as missed", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "github")
      yield* invokeTool(client, null)
      yield* invokeTool(client, null)
      const page = yield* client.mcp.listInvocationEvents({ urlParams: { cursor: 0 } })
      expect(page.items.map((event) => event.phase)).toEqual(SUCCESS_PHASES.slice(1))
      expect(page).toMatchObject({ cursor: 2 * SUCCESS_PHASES.length, missed: 2 * SUCCESS_PHASES.length - 3 })
      // A cursor from before a restart (beyond the newest position) reads from the oldest event kept.
      expect((yield* client.mcp.listInvocationEvents({ urlParams: { cursor: 1_000 } })).items).toEqual(page.items)
    }).pipe(
      Effect.provide(apiHarness({ transport: { responder: fallbackResponder }, manager: { maxInvocationEvents: 3 } }))
    )
  )

  it.effect("connection and capability events read on from a cursor too", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "codex", "github")
      const start = yield* client.mcp.listEvents({ urlParams: {} })
      yield* client.mcp.healthCheckServer({ path: { name: "codex" } })
      const moved = yield* client.mcp.listEvents({ urlParams: { cursor: start.cursor } })
      expect(moved.items.map((event) => [event.server, event.to_status])).toEqual([["codex", "degraded"]])
      expect(moved.cursor).toBe(start.cursor + 1)
      yield* client.mcp.healthCheckServer({ path: { name: "github" } })
      const next = yield* client.mcp.listEvents({ urlParams: { cursor: moved.cursor } })
      expect(next.items.map((event) => [event.server, event.to_status])).toEqual([["github", "degraded"]])
      expect((yield* client.mcp.listEvents({ urlParams: { cursor: next.cursor } })).items).toEqual([])
      const capability = yield* client.mcp.listCapabilityEvents({ urlParams: { cursor: 0 } })
      expect(capability).toEqual({ items: [], cursor: 0, missed: 0, replica: "local" })
    }).pipe(Effect.provide(apiHarness({ probe: staticProbe(false, "timeout") })))
  )

  it.effect("connection events page with limit, and count what the buffer dropped", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "alpha", "beta", "gamma")
      for (const name of ["alpha", "beta", "gamma"]) yield* client.mcp.healthCheckServer({ path: { name } })
      const page = yield* client.mcp.listEvents({ urlParams: { cursor: 0, limit: 1 } })
      expect(page.items.map((event) => event.server)).toEqual(["beta"])
      expect(page).toMatchObject({ cursor: 2, missed: 1 })
      const rest = yield* client.mcp.listEvents({ urlParams: { cursor: page.cursor, limit: 1 } })
      expect(rest).toMatchObject({ cursor: 3, missed: 0 })
      expect(rest.items.map((event) => event.server)).toEqual(["gamma"])
    }).pipe(Effect.provide(apiHarness({ probe: staticProbe(false, "timeout"), manager: { maxConnectionEvents: 2 } })))
  )

  it.effect("a cursor that is not a non-negative integer answers 400 naming it", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      for (const path of ["events", "invocation-events", "capability-events"]) {
        for (const cursor of ["-1", "abc", "1.5", "1e400", "%201", ""]) {
          const response = yield* http.execute(HttpClientRequest.get(`/api/v1/mcp/${path}?cursor=${cursor}`))
          expect(response.status).toBe(400)
          expect(JSON.stringify(yield* response.json)).toContain("cursor")
        }
        expect((yield* http.execute(HttpClientRequest.get(`/api/v1/mcp/${path}?cursor=0`))).status).toBe(200)
      }
    }).pipe(Effect.provide(apiHarness()))
  )
})
