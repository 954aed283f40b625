import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import { apiClient, apiHarness, fallbackResponder, invokeTool, register } from "./harness.js"

interface SseEvent {
  readonly id: string
  readonly event: string
  readonly data: Record<string, unknown>
}

/** The live stream's events (comments left out), read from `/api/v1/mcp/events/stream`. */
const events = (query = "", lastEventId?: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      HttpClientRequest.get(`/api/v1/mcp/events/stream${query}`).pipe(
        lastEventId === undefined ? (request) => request : HttpClientRequest.setHeader("last-event-id", lastEventId)
      )
    )
  ).pipe(
    Effect.map((response) =>
      response.stream.pipe(
        Stream.decodeText(),
        Stream.splitLines,
        Stream.mapAccum([] as Array<string>, (lines, line): [Array<string>, Option.Option<Array<string>>] =>
          line === "" ? [[], Option.some(lines)] : [[...lines, line], Option.none()]
        ),
        Stream.filterMap((block) => block),
        Stream.filterMap((lines): Option.Option<SseEvent> => {
          const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2)
          const data = field("data")
          return data === undefined
            ? Option.none()
            : Option.some({ id: field("id") ?? "", event: field("event") ?? "", data: JSON.parse(data) })
        })
      )
    )
  )

/**
 * The first `n` events of a stream opened now, forked so the caller can make them happen. The stream's head has
 * arrived when this returns, and the stream starts where the buffers were before its head was sent.
 */
const take = (n: number, query = "", lastEventId?: string) =>
  Effect.flatMap(events(query, lastEventId), (stream) =>
    Effect.fork(stream.pipe(Stream.take(n), Stream.runCollect, Effect.map(Chunk.toArray), Effect.timeout("5 seconds")))
  )

describe("the live event stream (issue 18 §3)", () => {
  it.live(
    "sends invocation and connection events as they happen; Last-Event-ID resumes with nothing lost or repeated",
    () =>
      Effect.gen(function* () {
        const client = yield* apiClient
        yield* register(client, "P")
        const live = yield* take(4, "?types=invocation")
        yield* invokeTool(client, ["P"])
        const first = yield* Fiber.join(live)
        expect(first.map((event) => event.event)).toEqual(["invocation", "invocation", "invocation", "invocation"])
        expect(first.map((event) => event.data.phase)).toEqual([
          "initialize_start",
          "initialize_success",
          "invoke_start",
          "invoke_success"
        ])
        expect(new Set(first.map((event) => event.id)).size).toBe(4)
        const resumeFrom = (first[1] as SseEvent).id

        // Disconnected: two more calls. Resuming after the second event gives the rest of the first call, then these.
        yield* invokeTool(client, ["P"])
        yield* invokeTool(client, ["P"])
        const resumed = yield* Fiber.join(yield* take(10, "?types=invocation", resumeFrom))
        expect(resumed.slice(0, 2).map((event) => event.data.phase)).toEqual(["invoke_start", "invoke_success"])
        // Then each later call whole, in order: its events share one request id.
        const [second, third] = [resumed.slice(2, 6), resumed.slice(6, 10)]
        expect(new Set(second.map((event) => event.data.request_id)).size).toBe(1)
        expect(second.map((event) => event.data.phase)).toEqual(third.map((event) => event.data.phase))
        expect(third.at(-1)?.data.phase).toBe("invoke_success")
        expect(resumed.slice(0, 2).map((event) => event.id)).toEqual(first.slice(2).map((event) => event.id))
        const requests = new Set(resumed.slice(2).map((event) => event.data.request_id))
        expect(requests.size).toBe(2)
        expect(requests.has(first[0]?.data.request_id)).toBe(false)
      }).pipe(Effect.provide(apiHarness()))
  )

  it.live("filters by type and server; connection events are encoded as the event routes answer them", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      const live = yield* take(1, "?types=connection&server=codex")
      yield* register(client, "P", "codex")
      // codex fails (a status change: a connection event); P serves (invocation events, filtered out).
      expect((yield* invokeTool(client, ["codex", "P"])).server).toBe("P")
      const [event] = yield* Fiber.join(live)
      expect(event?.event).toBe("connection")
      const listed = (yield* client.mcp.listEvents({ urlParams: { server: "codex" } })).items
      // The event as listed, with the replica it happened on (a single replica of its own here: `local`).
      expect(event?.data).toEqual({ ...JSON.parse(JSON.stringify(listed[0])), replica: "local" })
      expect(typeof event?.data.timestamp).toBe("string")
    }).pipe(Effect.provide(apiHarness({ transport: { responder: fallbackResponder } })))
  )

  it.live("a reader behind what the bounded buffer keeps gets an overflow event, then the stream ends", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "P")
      const live = yield* take(1, "?types=invocation")
      yield* invokeTool(client, ["P"])
      const [seen] = yield* Fiber.join(live)
      for (let i = 0; i < 5; i++) yield* invokeTool(client, ["P"]) // 15 more events; the buffer keeps 8
      const stream = yield* events("?types=invocation", seen?.id)
      const rest = yield* stream.pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.timeout("5 seconds"))
      expect(rest.map((event) => event.event)).toEqual(["overflow"])
      expect(String(rest[0]?.data.detail)).toContain("invocation events")
    }).pipe(Effect.provide(apiHarness({ manager: { maxInvocationEvents: 8 } })))
  )

  it.live("a Last-Event-ID that is not one of the stream's is a 400 naming it", () =>
    Effect.gen(function* () {
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) =>
        client.execute(
          HttpClientRequest.get("/api/v1/mcp/events/stream").pipe(HttpClientRequest.setHeader("last-event-id", "x"))
        )
      )
      expect(response.status).toBe(400)
      expect(yield* response.json).toMatchObject({ field: "last-event-id" })
    }).pipe(Effect.provide(apiHarness()))
  )
})
