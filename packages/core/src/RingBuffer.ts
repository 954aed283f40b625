/**
 * A fixed-capacity FIFO: pushing into a full buffer drops the oldest item. O(1) push, O(n) snapshot. Every item
 * pushed gets the next position (1, 2, ...), which readers use as a cursor.
 */
export class RingBuffer<A> {
  private readonly items: Array<A | undefined>
  private start = 0
  private size = 0
  /** How many items were ever pushed: the position of the newest one (0 while empty). */
  private count = 0

  constructor(readonly capacity: number) {
    this.items = new Array(Math.max(1, capacity))
  }

  push(item: A): void {
    const capacity = this.items.length
    this.items[(this.start + this.size) % capacity] = item
    this.count += 1
    if (this.size < capacity) this.size += 1
    else this.start = (this.start + 1) % capacity
  }

  get length(): number {
    return this.size
  }

  /** The position of the newest item (0 while nothing was pushed). */
  get pushed(): number {
    return this.count
  }

  /** Oldest first. */
  toArray(): Array<A> {
    const out: Array<A> = []
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.items.length] as A)
    return out
  }

  /**
   * The items `keep` accepts. Without a cursor: the last `limit` of them (spec §8, `tail`), and the cursor of the
   * newest item. With a cursor: those after it, oldest first, at most `limit` (a page), and the cursor to read on
   * from; `missed` counts the items after the cursor that were dropped (the buffer overflowed) before this read.
   * A cursor beyond the newest position (the buffer is younger than the reader's cursor: att restarted) reads from
   * the oldest item kept.
   */
  page(keep: (item: A) => boolean, limit: number | null | undefined, cursor: number | null | undefined): Page<A> {
    const newest = this.count
    if (cursor === null || cursor === undefined) {
      return { items: tail(this.toArray().filter(keep), limit), cursor: newest, missed: 0 }
    }
    const oldest = newest - this.size + 1
    const after = cursor > newest ? 0 : cursor
    const missed = Math.max(0, oldest - 1 - after)
    if (limit !== null && limit !== undefined && limit <= 0) return { items: [], cursor: after, missed }
    const items: Array<A> = []
    for (let position = Math.max(after + 1, oldest); position <= newest; position++) {
      const item = this.items[(this.start + position - oldest) % this.items.length] as A
      if (!keep(item)) continue
      items.push(item)
      if (items.length === limit) return { items, cursor: position, missed }
    }
    return { items, cursor: newest, missed }
  }
}

/** A read of an event buffer: the items, the cursor to read on from, and how many were lost before the read. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly cursor: number
  readonly missed: number
}

/** Spec §8: `undefined` keeps everything, `limit <= 0` keeps nothing, else the last `limit` items (tail). */
export const tail = <A>(items: ReadonlyArray<A>, limit: number | null | undefined): ReadonlyArray<A> => {
  if (limit === null || limit === undefined) return items
  if (limit <= 0) return []
  return items.slice(Math.max(0, items.length - limit))
}
