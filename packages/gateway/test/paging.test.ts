import { describe, expect, it } from "@effect/vitest"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import fc from "fast-check"
import { page } from "../src/mcp/Paging.js"

const readAll = <A>(items: ReadonlyArray<A>, size: number) => {
  const seen: Array<A> = []
  let cursor: string | undefined
  let pages = 0
  do {
    const one = page(items, cursor, size)
    expect(one.items.length).toBeLessThanOrEqual(size)
    seen.push(...one.items)
    cursor = one.nextCursor
    pages += 1
  } while (cursor !== undefined)
  return { seen, pages }
}

describe("att's own lists on /mcp are paged", () => {
  it("reading every page gives the whole list once, in order, in ceil(n / size) pages (one when empty)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 500 }), fc.integer({ min: 1, max: 120 }), (items, size) => {
        const { seen, pages } = readAll(items, size)
        expect(seen).toEqual(items)
        expect(pages).toBe(Math.max(1, Math.ceil(items.length / size)))
      })
    )
  })

  it("a cursor att did not make is an invalid-params error", () => {
    for (const cursor of [
      "",
      "nope",
      Buffer.from("{}").toString("base64url"),
      Buffer.from('{"o":-1}').toString("base64url")
    ]) {
      const error = (() => {
        try {
          page([1, 2, 3], cursor, 2)
          return undefined
        } catch (thrown) {
          return thrown
        }
      })()
      expect(error, cursor).toBeInstanceOf(McpError)
      expect((error as McpError).code).toBe(ErrorCode.InvalidParams)
    }
  })
})
