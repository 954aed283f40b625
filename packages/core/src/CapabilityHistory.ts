import { Clock, Effect } from "effect"
import type { CapabilityEvent, CapabilityEventKind, ListKind } from "./domain/CapabilityEvents.js"
import { keepingJournal } from "./EventJournal.js"
import { historyPage } from "./HistoryPage.js"
import { recordEventsDropped } from "./Metrics.js"
import { type Page, RingBuffer, streamBase } from "./RingBuffer.js"

export interface CapabilityEventQuery {
  readonly server?: string | undefined
  readonly list?: ListKind | undefined
  readonly kind?: CapabilityEventKind | undefined
  readonly limit?: number | undefined
  /** Only the events after this position (a page of `limit`, oldest first); see `RingBuffer.page`. */
  readonly cursor?: number | undefined
}

export interface CapabilityHistory {
  /** Record an event now, in one synchronous step (the catalog records them inside its refresh). */
  readonly unsafeRecord: (event: CapabilityEvent) => void
  /** The events the query keeps, with the cursor to read on from (through the journal when a cursor is given). */
  readonly page: (query: CapabilityEventQuery) => Effect.Effect<Page<CapabilityEvent>>
}

const capabilityFilter = (query: CapabilityEventQuery) => (event: CapabilityEvent) =>
  (query.server === undefined || event.server === query.server) &&
  (query.list === undefined || event.list === query.list) &&
  (query.kind === undefined || event.kind === query.kind)

/**
 * The capability events (the gateway catalog's `drift` / `rejected`) in a ring of `capacity`, journaled as the
 * third stream beside connection and invocation events when an `EventJournal` is present: positions above every
 * persisted one, and a cursor older than the ring (or from an earlier run) reads on from the database.
 */
export const makeCapabilityHistory = (capacity: number): Effect.Effect<CapabilityHistory> =>
  Effect.gen(function* () {
    const journal = yield* keepingJournal
    const started = streamBase(yield* Clock.currentTimeMillis)
    const base = journal === undefined ? started : Math.max(started, yield* Effect.orDie(journal.newest("capability")))
    const ring = new RingBuffer<CapabilityEvent>(capacity, base, () => recordEventsDropped("capability"))
    return {
      unsafeRecord: (event) => {
        ring.push(event)
        if (journal !== undefined) journal.unsafeOffer({ stream: "capability", position: ring.newest, event })
      },
      page: (query) =>
        journal === undefined || query.cursor === undefined
          ? Effect.sync(() => ring.page(capabilityFilter(query), query.limit, query.cursor))
          : historyPage(journal, "capability", ring, capabilityFilter(query), query.limit, query.cursor)
    }
  })
