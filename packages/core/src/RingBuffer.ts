/**
 * A fixed-capacity FIFO: pushing into a full buffer drops the oldest item. O(1) push, O(n) snapshot. Every item
 * pushed gets the next position (`base` + 1, + 2, ...), which readers use as a cursor.
 */
export class RingBuffer<A> {
  private readonly items: Array<A | undefined>
  private start = 0
  private size = 0
  /** How many items were ever pushed. */
  private count = 0

  /**
   * `base`: the position before the first item. An event stream starts it at its start time in µs (see
   * `streamBase`), so a cursor from an earlier run of att is told apart from this run's positions.
   */
  constructor(
    readonly capacity: number,
    readonly base = 0,
    /** Told of each item dropped to make room (the events-dropped metric). */
    private readonly onDrop?: () => void
  ) {
    this.items = new Array(Math.max(1, capacity))
  }

  push(item: A): void {
    const capacity = this.items.length
    this.items[(this.start + this.size) % capacity] = item
    this.count += 1
    if (this.size < capacity) this.size += 1
    else {
      this.start = (this.start + 1) % capacity
      this.onDrop?.()
    }
  }

  get length(): number {
    return this.size
  }

  /** The position of the newest item (`base` while nothing was pushed). */
  get newest(): number {
    return this.base + this.count
  }

  /** Oldest first. */
  toArray(): Array<A> {
    const out: Array<A> = []
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.items.length] as A)
    return out
  }

  /**
   * The items `keep` accepts. Without a cursor: the last `limit` of them (`tail`), and the cursor of the
   * newest item. With a cursor: those after it, oldest first, at most `limit` (a page), and the cursor to read on
   * from; `missed` counts the items after the cursor that were dropped (the buffer overflowed) before this read.
   * A cursor of another run (before this run's first position, or beyond its newest) reads from the oldest item
   * kept, and `missed` counts what this run dropped.
   */
  page(keep: (item: A) => boolean, limit: number | null | undefined, cursor: number | null | undefined): Page<A> {
    const newest = this.newest
    if (cursor === null || cursor === undefined) {
      return { items: tail(this.toArray().filter(keep), limit), cursor: newest, missed: 0 }
    }
    const oldest = newest - this.size + 1
    const after = cursor < this.base || cursor > newest ? this.base : cursor
    const missed = Math.max(0, oldest - 1 - after)
    const max = limit === null || limit === undefined ? Number.POSITIVE_INFINITY : Math.floor(limit)
    // An empty page still moves past what was dropped, so the next read does not count it again.
    if (max <= 0) return { items: [], cursor: Math.max(after, oldest - 1), missed }
    const items: Array<A> = []
    for (let position = Math.max(after + 1, oldest); position <= newest; position++) {
      const item = this.items[(this.start + position - oldest) % this.items.length] as A
      if (!keep(item)) continue
      items.push(item)
      if (items.length >= max) return { items, cursor: position, missed }
    }
    return { items, cursor: newest, missed }
  }
}

/**
 * The `base` of an event stream started at `startedAtMillis`: its start time in µs. Positions of one run then stay
 * below the next run's unless it recorded over 1000 events per millisecond of its life, far beyond att's rate.
 */
export const streamBase = (startedAtMillis: number): number => Math.max(0, Math.floor(startedAtMillis)) * 1000

/** A read of an event buffer: the items, the cursor to read on from, and how many were lost before the read. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly cursor: number
  readonly missed: number
}

/** The tail of a read: `undefined` keeps everything, `limit <= 0` keeps nothing, else the last `limit` items. */
export const tail = <A>(items: ReadonlyArray<A>, limit: number | null | undefined): ReadonlyArray<A> => {
  if (limit === null || limit === undefined) return items
  if (limit <= 0) return []
  return items.slice(Math.max(0, items.length - limit))
}
