import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"

/**
 * A cursor into one of att's own lists: the offset of the next page, opaque to clients. A list that changes between
 * pages is announced with `list_changed`; a client that keeps reading gets the list as it now is, from that offset.
 */
const encode = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString("base64url")

const decode = (cursor: string): number | undefined => {
  try {
    const offset = (JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o?: unknown }).o
    return typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined
  } catch {
    return undefined
  }
}

/**
 * One page of `items`: at most `size` from the cursor's offset (from the start without one), and the cursor of
 * the next page when there is more. A cursor att did not make is an invalid-params error, as MCP asks.
 */
export const page = <A>(
  items: ReadonlyArray<A>,
  cursor: string | undefined,
  size: number
): { readonly items: ReadonlyArray<A>; readonly nextCursor?: string } => {
  const offset = cursor === undefined ? 0 : decode(cursor)
  if (offset === undefined) throw new McpError(ErrorCode.InvalidParams, `Invalid cursor: ${cursor}`)
  const end = offset + size
  return end < items.length
    ? { items: items.slice(offset, end), nextCursor: encode(end) }
    : { items: items.slice(offset) }
}

/** One page of a list as an MCP list result: the items under the list's own key, and `nextCursor` when there is more. */
export const listResult = (key: string, items: ReadonlyArray<unknown>, cursor: string | undefined, size: number) => {
  const one = page(items, cursor, size)
  return one.nextCursor === undefined ? { [key]: one.items } : { [key]: one.items, nextCursor: one.nextCursor }
}
