import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { ProbeShape } from "@att/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { apiClient, apiHarness, register } from "./harness.js"

/** A custom probe with bugs: it throws for `thrower` and dies for `dier`; `fine` is healthy. */
const brokenProbe: ProbeShape = (target) => {
  if (target.name === "thrower") throw new Error("probe bug: cannot read properties of undefined")
  if (target.name === "dier") return Effect.die(new Error("probe defect"))
  return Effect.succeed({ healthy: true, error: null })
}

describe("a custom health probe that crashes (issue 14 §4)", () => {
  it.effect(
    "a probe that throws or dies marks the server degraded with an event; the health-check routes answer 200",
    () =>
      Effect.gen(function* () {
        const client = yield* apiClient
        const http = yield* HttpClient.HttpClient
        yield* register(client, "thrower", "dier", "fine")

        const one = yield* http.execute(HttpClientRequest.post("/api/v1/mcp/servers/thrower/health-check"))
        expect(one.status).toBe(200)
        expect(yield* one.json).toMatchObject({
          name: "thrower",
          status: "degraded",
          retry_count: 1,
          last_error: "health probe crashed: probe bug: cannot read properties of undefined",
          last_error_category: "health_check"
        })

        const all = yield* http.execute(HttpClientRequest.post("/api/v1/mcp/servers/health-check"))
        expect(all.status).toBe(200)
        const items = ((yield* all.json) as { items: Array<Record<string, unknown>> }).items
        expect(
          items.map(({ name, status, last_error, last_error_category }) => ({
            name,
            status,
            last_error,
            last_error_category
          }))
        ).toEqual([
          {
            name: "dier",
            status: "degraded",
            last_error: "health probe crashed: probe defect",
            last_error_category: "health_check"
          },
          { name: "fine", status: "healthy", last_error: null, last_error_category: null },
          // Its retry window is closed: left alone, as it was.
          {
            name: "thrower",
            status: "degraded",
            last_error: "health probe crashed: probe bug: cannot read properties of undefined",
            last_error_category: "health_check"
          }
        ])

        const events = (yield* client.mcp.listEvents({ urlParams: {} })).items
        expect(
          events.map(({ server, from_status, to_status, reason }) => ({ server, from_status, to_status, reason }))
        ).toEqual([
          {
            server: "thrower",
            from_status: "healthy",
            to_status: "degraded",
            reason: "health probe crashed: probe bug: cannot read properties of undefined"
          },
          {
            server: "dier",
            from_status: "healthy",
            to_status: "degraded",
            reason: "health probe crashed: probe defect"
          }
        ])
      }).pipe(Effect.provide(apiHarness({ probe: brokenProbe })))
  )
})
