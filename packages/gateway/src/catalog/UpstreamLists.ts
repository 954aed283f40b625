import type { ListChange, Manager } from "@att/core"
import { asJsonObject } from "@att/core/internal"
import { Effect } from "effect"
import type { ListKind } from "./Drift.js"
import { text } from "./Entries.js"

/** The request that lists each kind, the result's key holding the items, and the capability that offers it. */
export const LIST_METHODS: Record<
  ListKind,
  {
    readonly method: "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list"
    readonly key: string
    readonly capability: string
  }
> = {
  tools: { method: "tools/list", key: "tools", capability: "tools" },
  resources: { method: "resources/list", key: "resources", capability: "resources" },
  resource_templates: { method: "resources/templates/list", key: "resourceTemplates", capability: "resources" },
  prompts: { method: "prompts/list", key: "prompts", capability: "prompts" }
}
export const ALL_LISTS: ReadonlyArray<ListKind> = ["tools", "resources", "resource_templates", "prompts"]
/** The lists to fetch again when an upstream says one changed (resources and templates change together). */
export const CHANGED_LISTS: Record<ListChange["list"], ReadonlyArray<ListKind>> = {
  tools: ["tools"],
  resources: ["resources", "resource_templates"],
  prompts: ["prompts"]
}

/** At most this many pages of one list are fetched (an upstream whose cursors never end cannot hold att). */
export const MAX_LIST_PAGES = 100

/**
 * Fetch one list of a server through the Manager (its session, bulkhead, timeout and events), following
 * `nextCursor` up to a bound, collecting the items. On the live session as it is (`staleOk`): lists are fetched
 * because a session was opened or verified, and must not verify it again.
 */
export const fetchList = (manager: Manager, server: string, kind: ListKind) =>
  Effect.gen(function* () {
    const { method, key } = LIST_METHODS[kind]
    const items: Array<unknown> = []
    let cursor: string | undefined
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const served = yield* manager.request(server, method, cursor === undefined ? {} : { cursor }, { staleOk: true })
      const result = asJsonObject(served.result)
      const list = result?.[key]
      if (Array.isArray(list)) items.push(...list)
      cursor = text(result?.nextCursor) ?? undefined
      if (cursor === undefined) break
    }
    return items
  })
