import { Clock, DateTime, Effect, Option, Ref } from "effect"
import { ServerNotFound } from "./domain/Errors.js"
import type { ServerRecord } from "./domain/ServerRecord.js"
import { type Upstream, type UpstreamTarget, displayUrl } from "./domain/Upstream.js"
import { Diagnostics } from "./Diagnostics.js"
import { ManagerConfig } from "./ManagerConfig.js"
import { type CheckResult, type ServerState, freshRecord, recordCheckResult } from "./StatusMachine.js"

interface Entry {
  readonly state: ServerState
  readonly target: UpstreamTarget
}

export interface RegisterOptions {
  readonly callTimeoutMs?: number | undefined
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export const now = Clock.currentTimeMillis.pipe(Effect.map((millis) => DateTime.unsafeMake(millis)))

/**
 * The registered upstream servers and their state. Every transition is one atomic `Ref.modify`, so concurrent
 * results for one server never interleave half-way; the connection event of a transition is recorded with it.
 */
export class Registry extends Effect.Service<Registry>()("att/Registry", {
  effect: Effect.gen(function* () {
    const settings = yield* ManagerConfig
    const diagnostics = yield* Diagnostics
    const entries = yield* Ref.make(new Map<string, Entry>())

    const find = (name: string) => Ref.get(entries).pipe(Effect.map((map) => Option.fromNullable(map.get(name))))

    const get = (name: string) =>
      find(name).pipe(
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.fail(new ServerNotFound({ name })),
            onSome: (entry) => Effect.succeed(entry)
          })
        )
      )

    /** Apply `f` to one entry atomically; `None` when the name is not registered. */
    const modify = <A>(name: string, f: (entry: Entry) => readonly [A, Entry]) =>
      Ref.modify(entries, (map): readonly [Option.Option<A>, Map<string, Entry>] => {
        const entry = map.get(name)
        if (entry === undefined) return [Option.none(), map]
        const [out, next] = f(entry)
        return [Option.some(out), new Map(map).set(name, next)]
      })

    return {
      /** Register or replace (spec §2.3): a fresh record; returns the previous target so its session can be closed. */
      register: (name: string, upstream: Upstream, options: RegisterOptions = {}) =>
        Ref.modify(entries, (map) => {
          const previous = Option.fromNullable(map.get(name)?.target)
          const target: UpstreamTarget = { name, upstream, callTimeoutMs: options.callTimeoutMs }
          const record = freshRecord(name, displayUrl(upstream), upstream.transport)
          const generation = (map.get(name)?.state.generation ?? 0) + 1
          return [{ record, previous }, new Map(map).set(name, { state: { record, generation }, target })] as const
        }),

      /** Remove a server; returns its target when it was registered. */
      unregister: (name: string) =>
        Ref.modify(entries, (map) => {
          const entry = map.get(name)
          if (entry === undefined) return [Option.none<UpstreamTarget>(), map] as const
          const next = new Map(map)
          next.delete(name)
          return [Option.some(entry.target), next] as const
        }),

      find: (name: string) => find(name).pipe(Effect.map(Option.map((entry) => entry.state.record))),
      get: (name: string) => get(name).pipe(Effect.map((entry) => entry.state.record)),
      state: (name: string) => get(name).pipe(Effect.map((entry) => entry.state)),
      /** State and target together, in one read. */
      entry: get,
      target: (name: string) => get(name).pipe(Effect.map((entry) => entry.target)),
      names: Ref.get(entries).pipe(Effect.map((map) => [...map.keys()].sort(byName))),
      size: Ref.get(entries).pipe(Effect.map((map) => map.size)),

      /** All records, sorted by name (spec §2.3 `list`). */
      list: Ref.get(entries).pipe(
        Effect.map((map) =>
          [...map.values()].map((entry) => entry.state.record).sort((a, b) => byName(a.name, b.name))
        )
      ),

      /** Spec §4.1 on the live record; records the transition's connection event. `None` for an unknown name. */
      record: (name: string, result: CheckResult, at?: DateTime.Utc) =>
        Effect.gen(function* () {
          const when = at ?? (yield* now)
          const transition = yield* modify(name, (entry) => {
            const next = recordCheckResult(entry.state, result, when, settings)
            return [next, { ...entry, state: next.state }] as const
          })
          if (Option.isSome(transition) && Option.isSome(transition.value.event)) {
            yield* diagnostics.recordConnection(transition.value.event.value)
          }
          return Option.map(transition, (t) => t.state.record)
        }),

      /** Change record fields without a status transition (handshake metadata, invalidation). */
      update: (name: string, f: (record: ServerRecord) => ServerRecord) =>
        modify(name, (entry) => {
          const record = f(entry.state.record)
          return [record, { ...entry, state: { ...entry.state, record } }] as const
        })
    }
  })
}) {}
