import { Context, Effect, Layer, Schema } from "effect"
import { CapabilityEvent } from "./domain/CapabilityEvents.js"
import { ConnectionEvent, InvocationEvent } from "./domain/Events.js"
import type { StoreUnavailable } from "./ServerStore.js"

/** An event as journaled: its stream, its position in that stream (the ring buffer's), and the event. */
export type JournalEntry =
  | { readonly stream: "connection"; readonly position: number; readonly event: ConnectionEvent }
  | { readonly stream: "invocation"; readonly position: number; readonly event: InvocationEvent }
  | { readonly stream: "capability"; readonly position: number; readonly event: CapabilityEvent }
export type JournalStream = JournalEntry["stream"]

/** How each stream's events are written as JSON and read back. */
export const journalSchemas = {
  connection: Schema.parseJson(ConnectionEvent),
  invocation: Schema.parseJson(InvocationEvent),
  capability: Schema.parseJson(CapabilityEvent)
} as const

export interface EventJournalShape {
  /**
   * Hand an event to the journal without waiting: it is queued (bounded) and written with the next batch. Called on
   * the hot path, inside the registry's synchronous step; a full queue drops the event and counts it.
   */
  readonly unsafeOffer: (entry: JournalEntry) => void
  /** The persisted events of `stream` after `after`, up to `upTo` included, oldest first, at most `limit`. */
  readonly page: (
    stream: JournalStream,
    after: number,
    upTo: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<JournalEntry>, StoreUnavailable>
  /** The newest persisted position of `stream` (0 when none): a new run numbers its events above it. */
  readonly newest: (stream: JournalStream) => Effect.Effect<number, StoreUnavailable>
  /** Events dropped because the queue was full, since start. */
  readonly dropped: Effect.Effect<number>
}

/**
 * The event history beyond the ring buffers: every connection, invocation and capability event with its position, written in
 * batches off the request path, kept within `event_retention_count` / `event_retention_days`. A reader whose
 * cursor is older than what a ring keeps (or from an earlier run) reads on from here.
 */
const NO_JOURNAL: EventJournalShape = {
  unsafeOffer: () => {},
  page: () => Effect.succeed([]),
  newest: () => Effect.succeed(0),
  dropped: Effect.succeed(0)
}

export class EventJournal extends Context.Tag("att/EventJournal")<EventJournal, EventJournalShape>() {
  /** Nothing beyond the rings (tests, `--ephemeral`): the history is what the ring buffers keep. */
  static readonly none: Layer.Layer<EventJournal> = Layer.succeed(EventJournal, NO_JOURNAL)
}

/**
 * The journal the event buffers read on from, if one keeps anything: `EventJournal.none` does not (a reader left
 * behind a ring must learn what it missed, not read on from an empty history).
 */
export const keepingJournal: Effect.Effect<EventJournalShape | undefined> = Effect.map(
  Effect.serviceOption(EventJournal),
  (journal) => (journal._tag === "Some" && journal.value !== NO_JOURNAL ? journal.value : undefined)
)
