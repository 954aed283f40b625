import * as Sse from "@effect/experimental/Sse"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Data, Duration, Effect, Option, Ref, Schedule, Stream } from "effect"
import type { EventStreamFilters } from "./Events.js"
import { type Connection, explain, originOf, shownUrl, tokenOf } from "./Connection.js"
import { CliFailure, ExitCode, operationFailed } from "./Failure.js"
import type { TypedEvent } from "./EventFormat.js"

/** The stream ended without the service saying why (a restart, a proxy, a dropped connection): reconnect. */
class StreamDropped extends Data.TaggedError("StreamDropped")<{}> {}

/** How many times in a row `att events --follow` tries to reopen a dropped stream before it gives up. */
export const FOLLOW_RETRIES = 5
const reconnect = Schedule.exponential(Duration.millis(100)).pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(2))),
  Schedule.intersect(Schedule.recurs(FOLLOW_RETRIES))
)

const retryable = (error: unknown) =>
  error instanceof StreamDropped ||
  (typeof error === "object" &&
    error !== null &&
    "_tag" in error &&
    (error._tag === "RequestError" || error._tag === "ResponseError"))

/**
 * `GET /api/v1/mcp/events/stream` through the platform's HTTP client, as events. A stream that drops is reopened
 * with `Last-Event-ID` (the id of the last event received), so nothing is lost or repeated; it gives up after
 * `FOLLOW_RETRIES` failed attempts in a row. An `overflow` event (this reader fell behind the service's bounded buffers)
 * ends it with a failure, as does an error answer.
 */
export const followEvents = (connection: Connection, filters: EventStreamFilters, from: Option.Option<string>) =>
  Stream.unwrap(
    Effect.gen(function* () {
      const origin = yield* originOf(connection.url)
      const client = yield* HttpClient.HttpClient
      const token = tokenOf(connection)
      const lastId = yield* Ref.make(from)
      const open = Stream.unwrap(
        Effect.gen(function* () {
          const resumeFrom = yield* Ref.get(lastId)
          let request = HttpClientRequest.get(`${origin}/api/v1/mcp/events/stream`).pipe(
            HttpClientRequest.setUrlParams(filters),
            HttpClientRequest.setHeader("accept", "text/event-stream")
          )
          if (token !== undefined) request = HttpClientRequest.bearerToken(request, token)
          if (Option.isSome(resumeFrom))
            request = HttpClientRequest.setHeader(request, "last-event-id", resumeFrom.value)
          const response = yield* client.execute(request)
          if (response.status !== 200) {
            const body = yield* Effect.orElseSucceed(response.json, () => ({ _tag: "ResponseError", response }))
            return yield* Effect.fail(explain(connection.url)(body))
          }
          const events = response.stream.pipe(
            Stream.decodeText(),
            Stream.pipeThroughChannel(Sse.makeChannel()),
            Stream.tap((event) => (event.id === undefined ? Effect.void : Ref.set(lastId, Option.some(event.id)))),
            Stream.map(Option.some),
            Stream.concat(Stream.fail(new StreamDropped()))
          )
          // A first element as soon as the stream is open: the retries count failed connections in a row, so a
          // quiet stream that a proxy cuts now and then is followed for as long as it can be reopened.
          return Stream.concat(Stream.make(Option.none<Sse.Event>()), events)
        })
      )
      return open.pipe(
        Stream.retry(Schedule.whileInput(reconnect, retryable)),
        Stream.filterMap((event) => event),
        Stream.mapError((error) =>
          error instanceof StreamDropped
            ? new CliFailure({
                message: `the event stream from ${shownUrl(connection.url)} ended and could not be reopened`,
                exitCode: ExitCode.unreachable
              })
            : explain(connection.url)(error)
        ),
        Stream.mapEffect((event) =>
          event.event === "overflow"
            ? Effect.fail(operationFailed(`the service ended the stream: ${dataDetail(event.data)}`))
            : Effect.try({
                try: (): TypedEvent => ({ type: event.event, id: event.id, event: JSON.parse(event.data) }),
                catch: () => operationFailed(`the service sent an event that is not JSON (id ${event.id})`)
              })
        )
      )
    })
  ).pipe(Stream.provideLayer(FetchHttpClient.layer))

const dataDetail = (data: string) => {
  try {
    return String((JSON.parse(data) as { detail?: unknown }).detail)
  } catch {
    return data
  }
}
