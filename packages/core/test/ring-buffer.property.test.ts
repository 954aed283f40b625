import { RingBuffer, streamBase, tail } from "../src/RingBuffer.js"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"

/** Items are their own positions (base + 1, + 2, ...), so a page names exactly what it returned. */
const filled = (capacity: number, pushes: number, base = 0) => {
  const buffer = new RingBuffer<number>(capacity, base)
  for (let position = base + 1; position <= base + pushes; position++) buffer.push(position)
  return buffer
}
const base = fc.constantFrom(0, 1_000, streamBase(1_795_000_000_000))
const capacity = fc.integer({ min: 1, max: 12 })
const pushes = fc.integer({ min: 0, max: 40 })
const limit = fc.option(fc.integer({ min: -1, max: 15 }), { nil: undefined })
const modulus = fc.integer({ min: 1, max: 4 })

describe("event buffer pages (G23: a cursor over the bounded buffers)", () => {
  it.prop(
    "without a cursor a page is the spec's tail, and its cursor is the newest position",
    [capacity, pushes, limit, modulus, base],
    ([size, count, max, m, from]) => {
      const buffer = filled(size, count, from)
      const keep = (n: number) => n % m === 0
      const page = buffer.page(keep, max, undefined)
      expect(page.items).toEqual(tail(buffer.toArray().filter(keep), max))
      expect(page).toMatchObject({ cursor: from + count, missed: 0 })
    }
  )

  it.prop(
    "with a cursor: the kept items after it, oldest first, at most limit; what overflowed is counted",
    [capacity, pushes, limit, modulus, base, fc.integer({ min: -3, max: 50 })],
    ([size, count, max, m, from, offset]) => {
      const buffer = filled(size, count, from)
      const keep = (n: number) => n % m === 0
      const cursor = Math.max(0, from + offset)
      const page = buffer.page(keep, max, cursor)
      const newest = from + count
      // A cursor outside this run's positions reads from its start.
      const after = cursor < from || cursor > newest ? from : cursor
      const dropped = Array.from({ length: count - buffer.length }, (_, i) => from + 1 + i).filter((n) => n > after)
      const all = buffer.toArray().filter((n) => n > after && keep(n))
      const expected = max === undefined ? all : all.slice(0, Math.max(0, max))
      expect(page.items).toEqual(expected)
      expect(page.missed).toBe(dropped.length)
      // A full page resumes after its last item; an empty one (limit ≤ 0) after what was dropped; else at the newest.
      const full = max !== undefined && max > 0 && expected.length === max
      const resume =
        max !== undefined && max <= 0 ? Math.max(after, ...dropped) : full ? expected[expected.length - 1] : newest
      expect(page.cursor).toBe(resume)
    }
  )

  it.prop(
    "a reader that follows the cursor while items arrive sees each kept item once, in order, and the rest as missed",
    [
      capacity,
      fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 5 })), { maxLength: 20 }),
      modulus
    ],
    ([size, steps, m]) => {
      const buffer = new RingBuffer<number>(size)
      const keep = (n: number) => n % m === 0
      const seen: Array<number> = []
      const dropped = new Set<number>()
      let cursor = 0
      let missed = 0
      let pushed = 0
      for (const [arriving, pageSize] of [...steps, [0, 1_000] as const]) {
        for (let i = 0; i < arriving; i++) buffer.push(++pushed)
        // The model: what the buffer no longer holds of what came after the cursor.
        for (let n = cursor + 1; n <= pushed - buffer.length; n++) dropped.add(n)
        const page = buffer.page(keep, pageSize, cursor)
        seen.push(...page.items)
        missed += page.missed
        expect(page.cursor).toBeGreaterThanOrEqual(cursor)
        cursor = page.cursor
      }
      expect(cursor).toBe(pushed)
      expect(missed).toBe(dropped.size)
      expect(seen).toEqual([...new Set(seen)].sort((x, y) => x - y))
      const kept = Array.from({ length: pushed }, (_, i) => i + 1).filter(keep)
      expect(seen).toEqual(kept.filter((n) => !dropped.has(n)))
    }
  )

  it("a cursor of another run (older than this run's first position, or beyond its newest) reads from the oldest kept", () => {
    const buffer = filled(3, 5, 100)
    expect(buffer.page(() => true, undefined, 99)).toEqual({ items: [103, 104, 105], cursor: 105, missed: 2 })
    expect(buffer.page(() => true, undefined, 7_000)).toEqual({ items: [103, 104, 105], cursor: 105, missed: 2 })
    expect(buffer.page(() => true, 2, 100)).toEqual({ items: [103, 104], cursor: 104, missed: 2 })
    expect(buffer.page(() => true, 2, 104)).toEqual({ items: [105], cursor: 105, missed: 0 })
    expect(new RingBuffer<number>(3, 100).page(() => true, undefined, 7)).toEqual({ items: [], cursor: 100, missed: 0 })
  })

  it("a fractional limit pages like the tail truncates it", () => {
    const buffer = filled(5, 5)
    expect(buffer.page(() => true, 2.5, 0).items).toEqual([1, 2])
    expect(buffer.page(() => true, 2.5, undefined).items).toEqual(tail([1, 2, 3, 4, 5], 2.5))
  })
})
