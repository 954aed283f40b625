import { Manager, Registry } from "@att/core"
import { type CapabilityEventQuery, makeCapabilityHistory, now } from "@att/core/internal"
import { Effect, Option, PubSub, Stream } from "effect"
import { GatewayOptions } from "../GatewayOptions.js"
import { type ExposedTool, type HiddenTool, exposure, hiddenReason } from "../mcp/Exposure.js"
import { admit, newlyRejected } from "./Admission.js"
import type { ListKind, RejectedItem } from "./Drift.js"
import { driftOf, isEmptyDrift, rejectedEvent } from "./Drift.js"
import { type CatalogEntry, type CatalogResource, type CatalogTool, type ServerLists, merge, text } from "./Entries.js"
import { composeInstructions } from "./Instructions.js"
import { ALL_LISTS, CHANGED_LISTS, LIST_METHODS, fetchList } from "./UpstreamLists.js"

export type { CatalogEntry, CatalogResource, CatalogTool } from "./Entries.js"

export type { CapabilityEventQuery } from "@att/core/internal"

/** The catalog state a derived value was made from: the catalog's version and the registry's membership. */
interface MadeFrom {
  readonly version: number
  readonly members: number
}

/** One list kind merged across servers. */
interface ListIndex extends MadeFrom {
  readonly byKey: ReadonlyMap<string, CatalogEntry>
  readonly entries: ReadonlyArray<CatalogEntry>
}

/** The tools `/mcp` offers, with an index by exposed name. */
export interface ExposedTools extends MadeFrom {
  readonly tools: ReadonlyArray<ExposedTool>
  readonly byName: ReadonlyMap<string, ExposedTool>
}

const hiddenKey = (tool: HiddenTool) => `${tool.server}\u0000${tool.upstreamName}`

/**
 * The upstreams' tools, resources, resource templates and prompts, fetched when a server completes a handshake
 * and again when it says a list changed. Answers come from this cache (no upstream traffic per listing), for the
 * servers still registered. A change between two snapshots of a server's list is recorded as a capability event,
 * and announced on `changes` (att's own MCP clients are told `list_changed` in turn). Items an MCP client would
 * reject, or whose names carry control, bidirectional or zero-width characters, are left out, each reported once in
 * a `rejected` capability event; the server's other items stay.
 */
export class Catalog extends Effect.Service<Catalog>()("att/Catalog", {
  scoped: Effect.gen(function* () {
    const manager = yield* Manager
    const registry = yield* Registry
    const settings = yield* GatewayOptions
    const lists = new Map<string, ServerLists>()
    const rejections = new Map<string, Partial<Record<ListKind, ReadonlyArray<RejectedItem>>>>()
    const locks = new Map<string, Effect.Semaphore>()
    // Journaled with connection and invocation events when att has a durable store.
    const history = yield* makeCapabilityHistory(settings.maxCapabilityEvents)
    const changes = yield* PubSub.unbounded<ReadonlyArray<ListKind>>()
    let version = 0

    /** Fetch `kinds` of one server (one refresh per server at a time), record drift, announce what changed. */
    const refresh = (server: string, kinds: ReadonlyArray<ListKind>) => {
      let lock = locks.get(server)
      if (lock === undefined) {
        lock = Effect.unsafeMakeSemaphore(1)
        locks.set(server, lock)
      }
      return lock
        .withPermits(1)(
          Effect.gen(function* () {
            const record = yield* registry.get(server)
            const capabilities = record.capability_snapshot?.capabilities ?? {}
            const previous = lists.get(server)
            const next: ServerLists = previous ?? { tools: [], resources: [], resource_templates: [], prompts: [] }
            const updated: Partial<ServerLists> = {}
            const refused: Partial<Record<ListKind, ReadonlyArray<RejectedItem>>> = {}
            for (const kind of kinds) {
              if (!Object.hasOwn(capabilities, LIST_METHODS[kind].capability)) {
                updated[kind] = []
                refused[kind] = []
              } else {
                // A list that fails to fetch keeps its last snapshot.
                const fetched = yield* Effect.option(fetchList(manager, server, kind))
                if (Option.isSome(fetched)) {
                  const { accepted, rejected } = admit(kind, fetched.value)
                  updated[kind] = accepted
                  refused[kind] = rejected
                }
              }
            }
            const at = yield* now
            const changed: Array<ListKind> = []
            for (const kind of kinds) {
              const after = updated[kind]
              if (after === undefined) continue
              const rejected = newlyRejected(rejections.get(server)?.[kind] ?? [], refused[kind] ?? [])
              if (rejected.length > 0) history.unsafeRecord(rejectedEvent(server, kind, rejected, at))
              const drift = driftOf(kind, next[kind], after)
              if (isEmptyDrift(drift)) continue
              changed.push(kind)
              if (previous !== undefined)
                history.unsafeRecord({ kind: "drift", server, list: kind, ...drift, rejected: [], timestamp: at })
            }
            lists.set(server, { ...next, ...updated })
            rejections.set(server, { ...rejections.get(server), ...refused })
            if (previous === undefined || changed.length > 0) {
              version += 1
              // Made now, so a tool left out for its exposed name is reported with the change that caused it.
              yield* exposedTools
              if (changed.length > 0) yield* PubSub.publish(changes, changed)
            }
          })
        )
        .pipe(
          Effect.catchTag("ServerNotFound", () =>
            Effect.sync(() => {
              lists.delete(server)
              rejections.delete(server)
            })
          )
        )
    }

    /** The lists of registered servers, in server-name order. */
    const current = () =>
      registry.unsafeNames().flatMap((server) => {
        const known = lists.get(server)
        return known === undefined ? [] : [{ server, lists: known }]
      })

    /** Made from the current state (compared as two numbers: every invocation checks, so no key is built). */
    const isCurrent = (made: MadeFrom | undefined | null): made is MadeFrom =>
      made != null && made.version === version && made.members === registry.unsafeMembership()

    // The merged lists, recomputed only when a server's lists or the set of servers changed (every REST tool call
    // looks up which servers offer its name). Read in one synchronous step with the registry's membership.
    const indexes = new Map<ListKind, ListIndex>()
    const indexed = (kind: ListKind) => {
      const cached = indexes.get(kind)
      if (isCurrent(cached)) return cached
      const members = registry.unsafeMembership()
      const byKey = merge(kind, current())
      const index = { version, members, byKey, entries: [...byKey.values()] }
      indexes.set(kind, index)
      return index
    }
    const entries = (kind: ListKind) => Effect.sync(() => indexed(kind).entries)

    const tools = Effect.map(
      entries("tools"),
      (found): ReadonlyArray<CatalogTool> =>
        found.map(({ key, definition, servers, definitions }) => ({
          name: key,
          description: text(definition.description),
          servers,
          definitions
        }))
    )

    // The tools as `/mcp` shows them, recomputed only when the lists or the set of servers changed. A tool left out
    // because its exposed name is taken is reported once, when it is first left out.
    let exposed: ExposedTools | null = null
    let reportedHidden = new Set<string>()
    const exposedTools: Effect.Effect<ExposedTools> = Effect.suspend(() => {
      if (isCurrent(exposed)) return Effect.succeed(exposed)
      const made = { version, members: registry.unsafeMembership() }
      return Effect.map(Effect.zip(tools, now), ([found, at]) => {
        const { tools: offered, hidden } = exposure(found, settings.prefixMode)
        for (const tool of hidden)
          if (!reportedHidden.has(hiddenKey(tool)))
            history.unsafeRecord(
              rejectedEvent(tool.server, "tools", [{ name: tool.upstreamName, reason: hiddenReason(tool) }], at)
            )
        reportedHidden = new Set(hidden.map(hiddenKey))
        exposed = { ...made, tools: offered, byName: new Map(offered.map((tool) => [tool.name, tool])) }
        return exposed
      })
    })

    /** The upstreams' instructions as one text for `/mcp` clients (see `composeInstructions`), in server-name order. */
    const instructions = Effect.map(registry.list, (records) =>
      composeInstructions(
        records.map((record) => ({ server: record.name, instructions: record.capability_snapshot?.instructions })),
        settings.maxInstructionsBytes
      )
    )

    // Subscribe first, then catch up on the servers initialized already: no session opened or verified goes unseen.
    const refreshes = yield* manager.subscribeRefreshes
    const listChanges = yield* manager.subscribeListChanges
    const initialized = (yield* manager.list).filter((record) => record.initialized).map((record) => record.name)
    yield* Stream.mergeAll(
      [
        Stream.fromIterable(initialized).pipe(Stream.map((server) => ({ server, kinds: ALL_LISTS }))),
        Stream.fromQueue(refreshes).pipe(Stream.map((server) => ({ server, kinds: ALL_LISTS }))),
        Stream.fromQueue(listChanges).pipe(
          Stream.map((change) => ({ server: change.server, kinds: CHANGED_LISTS[change.list] }))
        )
      ],
      { concurrency: "unbounded" }
    ).pipe(
      Stream.mapEffect(({ server, kinds }) => refresh(server, kinds), { concurrency: 8, unordered: true }),
      Stream.runDrain,
      Effect.forkScoped
    )

    return {
      /** Bumped whenever a server's lists are first known or change: a key for caches derived from the catalog. */
      version: Effect.sync(() => version),
      tools,
      exposedTools,
      /** What the upstreams say about using them, for `/mcp` clients; undefined when none says anything. */
      instructions,
      /** The servers that list `key` in `kind` (empty when none does). */
      offering: (kind: ListKind, key: string) =>
        Effect.sync((): ReadonlyArray<string> => indexed(kind).byKey.get(key)?.servers ?? []),
      resources: Effect.map(
        entries("resources"),
        (resources): ReadonlyArray<CatalogResource> =>
          resources.map(({ key, definition, servers }) => ({
            uri: key,
            name: text(definition.name),
            description: text(definition.description),
            servers
          }))
      ),
      entries: (kind: ListKind): Effect.Effect<ReadonlyArray<CatalogEntry>> => entries(kind),
      /** How many items of each list the server offers, as kept; null before its lists are first fetched. */
      counts: (server: string) =>
        Effect.sync(() => {
          const known = lists.get(server)
          return known === undefined
            ? null
            : {
                tools: known.tools.length,
                resources: known.resources.length,
                resource_templates: known.resource_templates.length,
                prompts: known.prompts.length
              }
        }),
      /** Fetch a server's lists now (also done on every handshake and list_changed). */
      refresh: (server: string) => refresh(server, ALL_LISTS),
      /** Subscribe (for the enclosing scope) to the lists that changed, as they change. */
      subscribeChanges: PubSub.subscribe(changes),
      /** What changed in the upstreams' lists, with the cursor to read on from. */
      events: (query: CapabilityEventQuery = {}) => history.page(query)
    }
  })
}) {}
