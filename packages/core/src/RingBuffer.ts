/** A fixed-capacity FIFO: pushing into a full buffer drops the oldest item. O(1) push, O(n) snapshot. */
export class RingBuffer<A> {
  private readonly items: Array<A | undefined>
  private start = 0
  private size = 0

  constructor(readonly capacity: number) {
    this.items = new Array(Math.max(1, capacity))
  }

  push(item: A): void {
    const capacity = this.items.length
    this.items[(this.start + this.size) % capacity] = item
    if (this.size < capacity) this.size += 1
    else this.start = (this.start + 1) % capacity
  }

  get length(): number {
    return this.size
  }

  /** Oldest first. */
  toArray(): Array<A> {
    const out: Array<A> = []
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.items.length] as A)
    return out
  }
}

/** Spec §8: `undefined` keeps everything, `limit <= 0` keeps nothing, else the last `limit` items (tail). */
export const tail = <A>(items: ReadonlyArray<A>, limit: number | null | undefined): ReadonlyArray<A> => {
  if (limit === null || limit === undefined) return items
  if (limit <= 0) return []
  return items.slice(Math.max(0, items.length - limit))
}
