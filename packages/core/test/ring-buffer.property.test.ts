import { RingBuffer, tail } from "@att/core"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"

/** Items are their own positions (1, 2, ...), so a page names exactly what it returned. */
const filled = (capacity: number, pushes: number) => {
  const buffer = new RingBuffer<number>(capacity)
  for (let position = 1; position <= pushes; position++) buffer.push(position)
  return buffer
}
const capacity = fc.integer({ min: 1, max: 12 })
const pushes = fc.integer({ min: 0, max: 40 })
const limit = fc.option(fc.integer({ min: -1, max: 15 }), { nil: undefined })
const modulus = fc.integer({ min: 1, max: 4 })

describe("event buffer pages (G23: a cursor over the bounded buffers)", () => {
  it.prop("without a cursor a page is the spec's tail, and its cursor is the newest position", [capacity, pushes, limit, modulus], ([size, count, max, m]) => {
    const buffer = filled(size, count)
    const keep = (n: number) => n % m === 0
    const page = buffer.page(keep, max, undefined)
    expect(page.items).toEqual(tail(buffer.toArray().filter(keep), max))
    expect(page).toMatchObject({ cursor: count, missed: 0 })
  })

  it.prop("with a cursor: the kept items after it, oldest first, at most limit; what overflowed is counted", [capacity, pushes, limit, modulus, fc.integer({ min: 0, max: 50 })], ([size, count, max, m, cursor]) => {
    const buffer = filled(size, count)
    const keep = (n: number) => n % m === 0
    const page = buffer.page(keep, max, cursor)
    const after = cursor > count ? 0 : cursor
    const oldest = count - buffer.length + 1
    const all = buffer.toArray().filter((n) => n > after && keep(n))
    const expected = max === undefined ? all : all.slice(0, Math.max(0, max))
    expect(page.items).toEqual(expected)
    expect(page.missed).toBe(Math.max(0, oldest - 1 - after))
    // A full page resumes after its last item; anything else resumes at the newest position (nothing kept is left).
    const full = max !== undefined && max > 0 && expected.length === max && all.length > 0
    expect(page.cursor).toBe(max !== undefined && max <= 0 ? after : full ? expected[expected.length - 1] : count)
  })

  it.prop("a reader that follows the cursor while items arrive sees each kept item once, in order, and the rest as missed", [capacity, fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 })), { maxLength: 20 }), modulus], ([size, steps, m]) => {
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
  })

  it("a cursor from a younger buffer's future (att restarted) reads from the oldest item kept", () => {
    const buffer = filled(3, 5)
    expect(buffer.page(() => true, undefined, 99)).toEqual({ items: [3, 4, 5], cursor: 5, missed: 2 })
    expect(buffer.page(() => true, 2, 0)).toEqual({ items: [3, 4], cursor: 4, missed: 2 })
    expect(buffer.page(() => true, 2, 4)).toEqual({ items: [5], cursor: 5, missed: 0 })
    expect(new RingBuffer<number>(3).page(() => true, undefined, 7)).toEqual({ items: [], cursor: 0, missed: 0 })
  })
})
