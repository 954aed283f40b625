import { Manager, Registry, Transport, asJsonObject } from "@att/core"
import { Effect, Option } from "effect"

export interface CatalogTool {
  readonly name: string
  readonly description: string | null
  readonly servers: ReadonlyArray<string>
  /** Each offering server's own definition (input schema, annotations), by server. */
  readonly definitions: Readonly<Record<string, Record<string, unknown>>>
}

export interface CatalogResource {
  readonly uri: string
  readonly name: string | null
  readonly description: string | null
  readonly servers: ReadonlyArray<string>
}

/** Follow `nextCursor` of a list method up to a bound, collecting `key` items. */
const listAll = (
  transport: Transport["Type"],
  target: Parameters<Transport["Type"]["send"]>[0],
  method: string,
  key: string
) =>
  Effect.gen(function* () {
    const items: Array<Record<string, unknown>> = []
    let cursor: string | undefined
    for (let page = 0; page < 50; page++) {
      const response = yield* transport.send(target, {
        jsonrpc: "2.0",
        id: `${method}-${crypto.randomUUID()}`,
        method,
        ...(cursor === undefined ? {} : { params: { cursor } })
      })
      const result = asJsonObject(response.result)
      const list = result?.[key]
      if (Array.isArray(list)) for (const item of list) if (asJsonObject(item) !== null) items.push(item)
      cursor = typeof result?.nextCursor === "string" ? result.nextCursor : undefined
      if (cursor === undefined) break
    }
    return items
  })

/** One entry per key, listing every server that offers it, in server order. */
const mergeBy = <A extends object>(
  perServer: ReadonlyArray<{ readonly server: string; readonly entries: ReadonlyArray<A> }>,
  keyOf: (entry: A) => string
): ReadonlyArray<A & { readonly servers: ReadonlyArray<string> }> => {
  const merged = new Map<string, A & { servers: Array<string> }>()
  for (const { server, entries } of perServer)
    for (const entry of entries) {
      const existing = merged.get(keyOf(entry))
      if (existing === undefined) merged.set(keyOf(entry), { ...entry, servers: [server] })
      else existing.servers.push(server)
    }
  return [...merged.values()]
}

/**
 * The tools and resources offered by the initialized, healthy upstreams, with the servers that offer each entry.
 * An upstream that fails to list is left out of this answer.
 */
export class Catalog extends Effect.Service<Catalog>()("att/Catalog", {
  effect: Effect.gen(function* () {
    const manager = yield* Manager
    const registry = yield* Registry
    const transport = yield* Transport

    const collect = <A>(method: string, key: string, toEntry: (item: Record<string, unknown>) => A | null) =>
      Effect.gen(function* () {
        const servers = (yield* manager.list).filter((record) => record.initialized && record.status === "healthy")
        const perServer = yield* Effect.forEach(
          servers,
          (record) =>
            registry.target(record.name).pipe(
              Effect.flatMap((target) => listAll(transport, target, method, key)),
              Effect.map((items) => ({ server: record.name, entries: items.flatMap((item) => toEntry(item) ?? []) })),
              Effect.option
            ),
          { concurrency: 8 }
        )
        return perServer.flatMap(Option.toArray)
      })

    return {
      tools: collect("tools/list", "tools", (item) =>
        typeof item.name === "string"
          ? { name: item.name, description: typeof item.description === "string" ? item.description : null, item }
          : null
      ).pipe(
        Effect.map((perServer): ReadonlyArray<CatalogTool> => {
          const definitions = new Map<string, Record<string, Record<string, unknown>>>()
          for (const { server, entries } of perServer)
            for (const entry of entries) definitions.set(entry.name, { ...definitions.get(entry.name), [server]: entry.item })
          return mergeBy(perServer, (entry) => entry.name).map(({ name, description, servers }) => ({
            name,
            description,
            servers,
            definitions: definitions.get(name) ?? {}
          }))
        })
      ),
      resources: collect("resources/list", "resources", (item) =>
        typeof item.uri === "string"
          ? {
              uri: item.uri,
              name: typeof item.name === "string" ? item.name : null,
              description: typeof item.description === "string" ? item.description : null
            }
          : null
      ).pipe(Effect.map((perServer) => mergeBy(perServer, (entry) => entry.uri)))
    }
  })
}) {}
