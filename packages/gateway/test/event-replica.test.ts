import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Fleet } from "@att/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { apiClient, apiHarness, invokeTool, register } from "./harness.js"

/** The first event of the live stream opened now (its data parsed), forked so the caller can make it happen. */
const firstStreamed = (query: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(HttpClientRequest.get(`/api/v1/mcp/events/stream${query}`))
  ).pipe(
    Effect.flatMap((response) =>
      Effect.fork(
        response.stream.pipe(
          Stream.decodeText(),
          Stream.splitLines,
          Stream.filter((line) => line.startsWith("data: ")),
          Stream.map((line) => JSON.parse(line.slice("data: ".length)) as Record<string, unknown>),
          Stream.runHead,
          Effect.timeout("5 seconds")
        )
      )
    )
  )

/** Every event route's page, and the stream's first invocation event, after one call. */
const answers = Effect.gen(function* () {
  const client = yield* apiClient
  yield* register(client, "P")
  const streamed = yield* firstStreamed("?types=invocation")
  yield* invokeTool(client, ["P"])
  const connection = yield* client.mcp.listEvents({ urlParams: {} })
  const invocation = yield* client.mcp.listInvocationEvents({ urlParams: { limit: 1 } })
  const capability = yield* client.mcp.listCapabilityEvents({ urlParams: {} })
  const event = yield* streamed.await.pipe(Effect.flatten)
  return { pages: [connection, invocation, capability], event, invocation }
})

describe("the event routes name the replica that answered (issue 17 §2)", () => {
  it.live("each page answers `replica` once beside its items; each streamed event carries it", () =>
    Effect.gen(function* () {
      const { pages, event, invocation } = yield* answers
      // In memory, a single replica of its own: `local` unless one is given.
      expect(pages.map((page) => page.replica)).toEqual(["local", "local", "local"])
      expect(invocation.items).toHaveLength(1)
      // The items keep the seed's fields: no `replica` in them.
      expect(Object.keys(invocation.items[0] ?? {})).not.toContain("replica")
      expect(event._tag).toBe("Some")
      if (event._tag === "Some") {
        expect(event.value.phase).toBe("initialize_start")
        expect(event.value.replica).toBe("local")
      }
    }).pipe(Effect.provide(apiHarness()))
  )

  it.live("a replica with an id of its own answers it", () =>
    Effect.gen(function* () {
      const { pages, event } = yield* answers
      expect(pages.map((page) => page.replica)).toEqual(["replica-7", "replica-7", "replica-7"])
      expect(event._tag === "Some" ? event.value.replica : undefined).toBe("replica-7")
    }).pipe(Effect.provide(apiHarness().pipe(Layer.provide(Fleet.single("replica-7")))))
  )
})
