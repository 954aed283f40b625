import type { Item, ListKind } from "./Drift.js"
import { keyOf } from "./Drift.js"

export interface CatalogTool {
  readonly name: string
  readonly description: string | null
  readonly servers: ReadonlyArray<string>
  /** Each offering server's own definition (input schema, annotations), by server. */
  readonly definitions: Readonly<Record<string, Item>>
}

export interface CatalogResource {
  readonly uri: string
  readonly name: string | null
  readonly description: string | null
  readonly servers: ReadonlyArray<string>
}

/** An entry of any list with the servers that offer it (first server's definition). */
export interface CatalogEntry {
  readonly key: string
  readonly definition: Item
  readonly servers: ReadonlyArray<string>
  /** Each offering server's own definition, by server. */
  readonly definitions: Readonly<Record<string, Item>>
}

/** The lists of one server, by kind. */
export type ServerLists = Record<ListKind, ReadonlyArray<Item>>

export const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

/** One entry per key of `kind`, with every server that offers it, in the order of `perServer`. */
export const merge = (kind: ListKind, perServer: ReadonlyArray<{ server: string; lists: ServerLists }>) => {
  const merged = new Map<
    string,
    { key: string; definition: Item; servers: Array<string>; definitions: Record<string, Item> }
  >()
  for (const { server, lists: known } of perServer)
    for (const item of known[kind]) {
      const key = keyOf(kind, item)
      if (key === null) continue
      const existing = merged.get(key)
      if (existing === undefined)
        merged.set(key, { key, definition: item, servers: [server], definitions: { [server]: item } })
      else if (!existing.servers.includes(server)) {
        existing.servers.push(server)
        existing.definitions[server] = item
      }
    }
  return merged as ReadonlyMap<string, CatalogEntry>
}
