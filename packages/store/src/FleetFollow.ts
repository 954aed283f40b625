import { type Manager, type Registry, SessionMode, StoredServer } from "@att/core"
import type { PgClient } from "@effect/sql-pg"
import { Cause, Clock, Duration, Effect, Fiber, Option, Queue, Schedule, Schema, type Scope, Stream } from "effect"
import type { DatabaseLinkShape } from "./DatabaseLink.js"
import { unavailable } from "./Failure.js"

/** The channel the servers table's trigger notifies (migration 0003) and the replicas' heartbeats share. */
export const SERVERS_CHANNEL = "att_servers"

/** Names waiting to be read again at most; beyond, one full catch-up read replaces them (counted). */
const PENDING_CAPACITY = 10_000
/** A listen connection whose own heartbeat has not come back for this long is taken as lost. */
const SILENCE_MS = 3_000
const BEAT_EVERY = Duration.millis(1_000)

const Change = Schema.parseJson(
  Schema.Union(Schema.Struct({ name: Schema.String, version: Schema.Number }), Schema.Struct({ beat: Schema.String }))
)
const Row = Schema.Struct({
  name: Schema.String,
  upstream: Schema.String,
  call_timeout_ms: Schema.NullOr(Schema.Number),
  session_mode: Schema.NullOr(SessionMode),
  version: Schema.Union(Schema.Number, Schema.NumberFromString)
})
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))
const decodeUpstream = Schema.decode(Schema.parseJson(StoredServer.fields.upstream))
const sameUpstream = Schema.equivalence(StoredServer.fields.upstream)

export interface FollowContext {
  readonly pg: PgClient.PgClient
  readonly replicaId: string
  readonly secrets: ReadonlyArray<string>
  readonly writes: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Told of a lost connection, so `/ready` and the other stores see the database's state. */
  readonly link: DatabaseLinkShape
}

/**
 * Follow the other replicas' registrations for the life of the scope. Each connection LISTENs, proves it hears
 * (its own heartbeat comes back), then reads the whole servers table (catch-up: notifications sent while it was away
 * are lost), then applies each notified name by reading its row again. A notification is only a hint: the row is
 * the truth, read under `writes`, so the change applied last on every replica is the database's last write. A
 * replica's own writes come back as notifications too; they change nothing (the same upstream is registered).
 * A connection that goes silent is replaced, on a schedule.
 */
export const follow = (
  context: FollowContext,
  manager: Manager,
  registry: Registry,
  declared: ReadonlySet<string>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { pg, replicaId, secrets, writes, link } = context
    /** The newest version applied (or seen to need nothing) per name. */
    const applied = new Map<string, number>()
    const pending = new Map<string, number>()
    let catchUpNeeded = false
    let overflows = 0
    let lastBeatMs = 0
    let lost = false
    const wake = yield* Queue.sliding<void>(1)

    const apply = (name: string, row: typeof Row.Type | undefined) =>
      Effect.gen(function* () {
        if (declared.has(name)) return
        const current = Option.getOrUndefined(yield* Effect.option(registry.target(name)))
        if (row === undefined) {
          if (current !== undefined) {
            yield* manager.unregister(name)
            yield* Effect.logInfo(`fleet: ${name} removed by another replica`)
          }
          return
        }
        const upstream = yield* decodeUpstream(row.upstream)
        const callTimeoutMs = row.call_timeout_ms ?? undefined
        const sessionMode = row.session_mode ?? undefined
        if (
          current !== undefined &&
          sameUpstream(current.upstream, upstream) &&
          current.callTimeoutMs === callTimeoutMs &&
          current.sessionMode === sessionMode
        )
          return
        yield* manager.register(name, upstream, { callTimeoutMs, sessionMode })
        yield* Effect.logInfo(`fleet: ${name} registered by another replica`)
      }).pipe(
        // One unreadable row must not stop the others from being followed.
        Effect.catchTag("ParseError", () => Effect.logWarning(`fleet: stored server ${name} is unreadable, skipped`))
      )

    const selectAll = pg`SELECT name, upstream, call_timeout_ms, session_mode, version FROM att_servers`
    const catchUp = writes(
      Effect.gen(function* () {
        catchUpNeeded = false
        pending.clear()
        const rows = yield* Effect.flatMap(selectAll, decodeRows)
        const stored = new Set(rows.map((row) => row.name))
        for (const row of rows) {
          yield* apply(row.name, row)
          applied.set(row.name, Math.max(applied.get(row.name) ?? 0, row.version))
        }
        for (const name of yield* registry.names) if (!stored.has(name)) yield* apply(name, undefined)
      })
    )

    const applyPending = writes(
      Effect.gen(function* () {
        const names = [...pending.entries()]
        pending.clear()
        for (const [name, version] of names) {
          const rows = yield* Effect.flatMap(
            pg`SELECT name, upstream, call_timeout_ms, session_mode, version FROM att_servers WHERE name = ${name}`,
            decodeRows
          )
          yield* apply(name, rows[0])
          applied.set(name, Math.max(applied.get(name) ?? 0, version, rows[0]?.version ?? 0))
        }
      })
    )

    const heard = (payload: string) =>
      Effect.gen(function* () {
        const change = Option.getOrUndefined(yield* Effect.option(Schema.decode(Change)(payload)))
        if (change === undefined) return
        if ("beat" in change) {
          if (change.beat === replicaId) lastBeatMs = yield* Clock.currentTimeMillis
          return
        }
        if (change.version <= (applied.get(change.name) ?? 0)) return
        if (pending.size >= PENDING_CAPACITY && !pending.has(change.name)) {
          overflows += 1
          catchUpNeeded = true
        } else pending.set(change.name, Math.max(pending.get(change.name) ?? 0, change.version))
        yield* Queue.offer(wake, undefined)
      })

    const beat = pg`SELECT pg_notify(${SERVERS_CHANNEL}, ${JSON.stringify({ beat: replicaId })})`
    const silentFor = Effect.map(Clock.currentTimeMillis, (now) => now - lastBeatMs)

    const connection = Effect.gen(function* () {
      lastBeatMs = 0
      const listening = yield* pg.listen(SERVERS_CHANNEL).pipe(Stream.runForEach(heard), Effect.forkScoped)
      // LISTEN is in place once this replica hears its own heartbeat: only then is the catch-up read complete.
      yield* beat.pipe(
        Effect.zipRight(Effect.sleep("50 millis")),
        Effect.repeat({ until: () => lastBeatMs > 0 }),
        Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("no heartbeat heard") })
      )
      yield* catchUp
      if (lost) {
        lost = false
        yield* Effect.logInfo("fleet: following the other replicas again (caught up)")
      }
      const applying = Queue.take(wake).pipe(
        Effect.zipRight(Effect.suspend(() => (catchUpNeeded ? catchUp : applyPending))),
        Effect.forever
      )
      const watchdog = beat.pipe(
        Effect.zipRight(Effect.sleep(BEAT_EVERY)),
        Effect.zipRight(silentFor),
        Effect.repeat({ until: (silent) => silent > SILENCE_MS }),
        Effect.zipRight(Effect.fail(new Error("the listen connection went silent")))
      )
      // Whichever ends first (all three only end by failing) ends this connection.
      yield* Fiber.join(listening).pipe(Effect.raceFirst(applying), Effect.raceFirst(watchdog))
    }).pipe(Effect.scoped)

    yield* connection.pipe(
      // A lost connection may end as a defect (its UNLISTEN on a closed client): retried like any failure.
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.fail(Cause.squash(cause))
      ),
      Effect.tapError((error) => {
        const failure = unavailable("fleet: not following the other replicas, reconnecting", secrets)(error)
        return Effect.zipRight(
          link.lost(failure),
          lost
            ? Effect.void
            : Effect.sync(() => {
                lost = true
              }).pipe(Effect.zipRight(Effect.logWarning(failure.reason)))
        )
      }),
      Effect.retry(Schedule.spaced("500 millis")),
      Effect.catchAllCause((cause) => Effect.logError("fleet: following stopped", cause)),
      Effect.forkScoped
    )
    yield* Effect.addFinalizer(() =>
      overflows > 0 ? Effect.logWarning(`fleet: ${overflows} changes replaced by a full read`) : Effect.void
    )
  })
