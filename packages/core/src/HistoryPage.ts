import { Effect } from "effect"
import type { EventJournalShape, JournalStream } from "./EventJournal.js"
import type { Page, RingBuffer } from "./RingBuffer.js"

/** How many journaled events one read of the history asks the database for. */
const HISTORY_BATCH = 500

/**
 * A page read through the journal: what lies between `cursor` and the oldest event the ring keeps comes from the
 * database (a cursor of an earlier run, or one the ring has dropped past), the rest from the ring. Without a
 * journal, or when the database cannot be read, the ring's page (with its `missed`).
 */
export const historyPage = <A>(
  journal: EventJournalShape,
  stream: JournalStream,
  ring: RingBuffer<A>,
  keep: (event: A) => boolean,
  limit: number | undefined,
  cursor: number
): Effect.Effect<Page<A>> => {
  const fromRing = () => ring.page(keep, limit, cursor)
  const beforeRing = ring.newest - ring.length
  const max = limit === undefined ? Number.POSITIVE_INFINITY : Math.floor(limit)
  if (cursor >= beforeRing || max <= 0) return Effect.sync(fromRing)
  return Effect.gen(function* () {
    const items: Array<A> = []
    let after = cursor
    while (items.length < max) {
      const batch = yield* journal.page(stream, after, beforeRing, HISTORY_BATCH)
      for (const entry of batch) {
        after = entry.position
        const event = entry.event as A
        if (!keep(event)) continue
        items.push(event)
        if (items.length >= max) return { items, cursor: entry.position, missed: 0 }
      }
      if (batch.length < HISTORY_BATCH) break
    }
    const rest = ring.page(keep, max - items.length, Math.max(after, beforeRing))
    return { items: [...items, ...rest.items], cursor: rest.cursor, missed: rest.missed }
  }).pipe(Effect.orElse(() => Effect.sync(fromRing)))
}
