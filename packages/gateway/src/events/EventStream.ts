import { ConnectionEvent, InvocationEvent, Manager } from "@att/core"
import type { Page } from "@att/core/internal"
import { Chunk, DateTime, Duration, Effect, Option, Schema, Stream } from "effect"
import { Catalog } from "../catalog/Catalog.js"
import { CapabilityEvent, type CapabilityEventKind, type ListKind } from "../catalog/Drift.js"

export type EventType = "connection" | "invocation" | "capability"
export const EVENT_TYPES: ReadonlyArray<EventType> = ["connection", "invocation", "capability"]

/** The filters of the event routes, each applied to the events that carry its field. */
export interface EventStreamQuery {
  readonly types?: ReadonlyArray<EventType> | undefined
  readonly server?: string | undefined
  readonly correlation_id?: string | undefined
  readonly method?: string | undefined
  readonly request_id?: string | undefined
  readonly list?: ListKind | undefined
  readonly kind?: CapabilityEventKind | undefined
}

/** Where a reader is in each event buffer: the id of the last event it was sent. */
export interface Positions {
  readonly connection: number
  readonly invocation: number
  readonly capability: number
}

/** An SSE event id is the positions after the event, `connection.invocation.capability`. */
export const positionsId = (at: Positions) => `${at.connection}.${at.invocation}.${at.capability}`

export const parsePositions = (id: string): Positions | undefined => {
  const parts = id.split(".")
  if (parts.length !== 3 || !parts.every((part) => /^\d{1,16}$/.test(part))) return undefined
  const [connection, invocation, capability] = parts.map(Number) as [number, number, number]
  return { connection, invocation, capability }
}

type AnyEvent = ConnectionEvent | InvocationEvent | CapabilityEvent
type Sent = { readonly type: EventType; readonly event: AnyEvent }

/** Each type's events as the event routes answer them (timestamps as ISO strings). */
const ENCODE: Record<EventType, (event: AnyEvent) => unknown> = {
  connection: Schema.encodeSync(ConnectionEvent) as (event: AnyEvent) => unknown,
  invocation: Schema.encodeSync(InvocationEvent) as (event: AnyEvent) => unknown,
  capability: Schema.encodeSync(CapabilityEvent) as (event: AnyEvent) => unknown
}

/** How often an open stream looks for new events. */
const POLL = Duration.millis(100)
/** At most this many events of one type are read per look (a busy service is read in several). */
const BATCH = 500

const sse = (id: string, event: string, data: unknown) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/**
 * The live stream of connection, invocation and capability events (`GET /api/v1/mcp/events/stream`), as SSE. Each
 * event's id is where the reader is in all three buffers, so `Last-Event-ID` resumes with nothing lost or repeated.
 * The buffers are the bound: a reader that falls so far behind that a buffer dropped events it had not been sent
 * (or resumes from before what is kept) gets an `overflow` event naming what it missed, and the stream ends.
 * Each event's data is the event as the event routes give it plus `replica` (this replica's id; a reader behind a
 * balancer sees where it is): added as the event is sent, so recording an event costs nothing more.
 */
export const eventStream = (query: EventStreamQuery, resumeFrom: Positions | undefined, replica: string) =>
  Effect.gen(function* () {
    const manager = yield* Manager
    const catalog = yield* Catalog
    const types = new Set(query.types ?? EVENT_TYPES)
    const server = query.server
    const read = {
      connection: (cursor: number | undefined, limit: number) =>
        manager.connectionEventPage({ server, correlation_id: query.correlation_id, cursor, limit }) as Effect.Effect<
          Page<AnyEvent>
        >,
      invocation: (cursor: number | undefined, limit: number) =>
        manager.invocationEventPage({ server, method: query.method, request_id: query.request_id, cursor, limit }),
      capability: (cursor: number | undefined, limit: number) =>
        catalog.events({ server, list: query.list, kind: query.kind, cursor, limit })
    } satisfies Record<EventType, unknown>
    // Without an id to resume from, the stream starts now: each buffer's newest position.
    const start: Positions = resumeFrom ?? {
      connection: (yield* read.connection(undefined, 0)).cursor,
      invocation: (yield* read.invocation(undefined, 0)).cursor,
      capability: (yield* read.capability(undefined, 0)).cursor
    }

    /** One look: the new events of every type, by time, each with the positions after it; or what was missed. */
    const look = (at: Positions) =>
      Effect.gen(function* () {
        const found: Array<Sent & { readonly position: number }> = []
        const missed: Array<string> = []
        const moved = { ...at }
        for (const type of EVENT_TYPES) {
          if (!types.has(type)) continue
          // One event a read: its cursor is that event's position (a filtered page gives only the last one's).
          let cursor = at[type]
          for (let n = 0; n < BATCH; n++) {
            const one = yield* read[type](cursor, 1)
            if (one.missed > 0) missed.push(`${one.missed} ${type} events`)
            cursor = one.cursor
            const event = one.items[0]
            if (event === undefined) break
            found.push({ type, event, position: one.cursor })
          }
          moved[type] = cursor
        }
        return { found, missed, moved }
      })

    interface State {
      readonly at: Positions
      readonly first: boolean
    }
    const next = (state: State): Effect.Effect<readonly [Chunk.Chunk<string>, Option.Option<State>]> =>
      Effect.gen(function* () {
        if (!state.first) yield* Effect.sleep(POLL)
        const { found, missed, moved } = yield* look(state.at)
        if (missed.length > 0) {
          const detail = `this reader missed ${missed.join(", ")} (the buffers are bounded); the stream ends`
          return [Chunk.of(sse(positionsId(moved), "overflow", { detail })), Option.none()] as const
        }
        found.sort((a, b) => DateTime.toEpochMillis(a.event.timestamp) - DateTime.toEpochMillis(b.event.timestamp))
        let at = state.at
        const lines = found.map((sent) => {
          at = { ...at, [sent.type]: sent.position }
          return sse(positionsId(at), sent.type, { ...(ENCODE[sent.type](sent.event) as object), replica })
        })
        // Events the filters left out still move the reader on.
        return [Chunk.fromIterable(lines), Option.some({ at: moved, first: false })] as const
      })
    const encoder = new TextEncoder()
    return Stream.make(": open\n\n").pipe(
      Stream.concat(Stream.paginateChunkEffect<State, string, never, never>({ at: start, first: true }, next)),
      Stream.map((text) => encoder.encode(text))
    )
  })
