import { Command, Options } from "@effect/cli"
import { Console, Effect, Option, Schema, Stream } from "effect"
import { CapabilityEventsResponse, ConnectionEventsResponse, InvocationEventsResponse } from "../api/Schemas.js"
import { type Connection, attClient, connectionOptions, request } from "./Connection.js"
import { followEvents } from "./EventFollow.js"
import { EVENT_HEADER, type TypedEvent, eventRow } from "./EventFormat.js"
import { traced } from "./Failure.js"
import { printJson, printJsonLine, printTable } from "./Output.js"

const TYPES = ["connection", "invocation", "capability"] as const
type EventType = (typeof TYPES)[number]

const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.optional, Options.withDescription(description))

/** The filters of the event routes and the stream (README "Operator CLI"). */
const filterOptions = {
  type: Options.choice("type", TYPES).pipe(
    Options.repeated,
    Options.withDescription("only events of this type (repeatable; default all three)")
  ),
  server: optionalText("server", "only events of this server"),
  correlationId: optionalText("correlation-id", "connection events of this invocation (its request id)"),
  method: optionalText("method", "invocation events of this method (e.g. tools/call)"),
  requestId: optionalText("request-id", "invocation events of this request id"),
  list: Options.choice("list", ["tools", "resources", "resource_templates", "prompts"]).pipe(
    Options.optional,
    Options.withDescription("capability events of this list")
  ),
  kind: Options.choice("kind", ["drift", "rejected"]).pipe(
    Options.optional,
    Options.withDescription("capability events of this kind")
  )
}

type Filters = {
  readonly type: ReadonlyArray<EventType>
  readonly server: Option.Option<string>
  readonly correlationId: Option.Option<string>
  readonly method: Option.Option<string>
  readonly requestId: Option.Option<string>
  readonly list: Option.Option<"tools" | "resources" | "resource_templates" | "prompts">
  readonly kind: Option.Option<"drift" | "rejected">
}

/** The stream's query parameters. */
export type EventStreamFilters = Record<string, string>

const present = <T extends Record<string, Option.Option<unknown>>>(fields: T) =>
  Object.fromEntries(
    Object.entries(fields).flatMap(([key, value]) => (Option.isSome(value) ? [[key, value.value]] : []))
  ) as { [K in keyof T]?: T[K] extends Option.Option<infer A> ? A : never }

const streamFilters = (filters: Filters): EventStreamFilters => ({
  ...(filters.type.length > 0 ? { types: [...new Set(filters.type)].join(",") } : {}),
  ...present({
    server: filters.server,
    correlation_id: filters.correlationId,
    method: filters.method,
    request_id: filters.requestId,
    list: filters.list,
    kind: filters.kind
  })
})

const encodeConnection = Schema.encodeSync(ConnectionEventsResponse)
const encodeInvocation = Schema.encodeSync(InvocationEventsResponse)
const encodeCapability = Schema.encodeSync(CapabilityEventsResponse)

/** The events the service keeps, of each type asked for, oldest first (the event routes, typed client). */
const recentEvents = (connection: Connection, filters: Filters, limit: number) =>
  Effect.gen(function* () {
    const att = yield* attClient(connection)
    const wanted = (type: EventType) => filters.type.length === 0 || filters.type.includes(type)
    const server = present({ server: filters.server })
    const typed = (type: EventType) => (items: ReadonlyArray<unknown>) =>
      items.map((event): TypedEvent => ({ type, event: event as Record<string, unknown> }))
    const [connections, invocations, capabilities] = yield* request(
      connection,
      Effect.all(
        [
          wanted("connection")
            ? att.mcp
                .listEvents({ urlParams: { ...server, ...present({ correlation_id: filters.correlationId }), limit } })
                .pipe(Effect.map((page) => typed("connection")(encodeConnection(page).items)))
            : Effect.succeed([]),
          wanted("invocation")
            ? att.mcp
                .listInvocationEvents({
                  urlParams: {
                    ...server,
                    ...present({ method: filters.method, request_id: filters.requestId }),
                    limit
                  }
                })
                .pipe(Effect.map((page) => typed("invocation")(encodeInvocation(page).items)))
            : Effect.succeed([]),
          wanted("capability")
            ? att.mcp
                .listCapabilityEvents({
                  urlParams: { ...server, ...present({ list: filters.list, kind: filters.kind }), limit }
                })
                .pipe(Effect.map((page) => typed("capability")(encodeCapability(page).items)))
            : Effect.succeed([])
        ],
        { concurrency: 3 }
      )
    )
    return [...connections, ...invocations, ...capabilities].sort((a, b) =>
      String(a.event.timestamp).localeCompare(String(b.event.timestamp))
    )
  })

/** One line of a followed stream: the table's columns at fixed widths. */
const followLine = (event: TypedEvent) => {
  const [time = "", type = "", server = "", what = ""] = eventRow(event)
  return `${time.padEnd(24)}  ${type.padEnd(10)}  ${server.padEnd(16)}  ${what}`
}

export const eventsCommand = traced(
  Command.make(
    "events",
    {
      ...connectionOptions,
      ...filterOptions,
      follow: Options.boolean("follow").pipe(
        Options.withAlias("f"),
        Options.withDescription("stay connected and print events as they happen (the live stream)")
      ),
      from: optionalText("from", "with --follow: resume after this event id (an id printed by --json)"),
      limit: Options.integer("limit").pipe(
        Options.withDefault(50),
        Options.withDescription("without --follow: at most this many events of each type")
      )
    },
    (options) =>
      options.follow
        ? followEvents(options, streamFilters(options), options.from).pipe(
            Stream.runForEach((event) =>
              options.json
                ? printJsonLine({ id: event.id, type: event.type, event: event.event })
                : Console.log(followLine(event))
            )
          )
        : Effect.gen(function* () {
            const events = yield* recentEvents(options, options, Math.max(1, options.limit))
            if (options.json) return yield* printJson({ items: events })
            yield* printTable(EVENT_HEADER, events.map(eventRow))
          })
  ).pipe(Command.withDescription("the service's connection, invocation and capability events")),
  "att events"
)
