import { createHash } from "node:crypto"
import type { FleetOptions, Manager, Registry, ServerRecord, UpstreamTarget } from "@att/core"
import type { PgClient } from "@effect/sql-pg"
import { DateTime, Effect, Option, Schema } from "effect"
import type { DatabaseLinkShape } from "./DatabaseLink.js"
import { unavailable } from "./Failure.js"

export interface LeaseContext {
  readonly pg: PgClient.PgClient
  readonly replicaId: string
  readonly secrets: ReadonlyArray<string>
  /** How long a lease lasts unless its holder renews it (`lease_seconds`). */
  readonly leaseSeconds: number
  /** Told of a failed renewal, so `/ready` and the other stores see the database's state. */
  readonly link: DatabaseLinkShape
}

const Holder = Schema.Array(Schema.Struct({ holder: Schema.String }))
const Result = Schema.Array(
  Schema.Struct({
    healthy: Schema.NullOr(Schema.Boolean),
    error: Schema.NullOr(Schema.String),
    checked_ms: Schema.NullOr(Schema.Union(Schema.Number, Schema.NumberFromString))
  })
)

/**
 * A lease names one upstream: its name and what it is (two replicas whose config files give one name different
 * upstreams hold different leases). A hash: the upstream's secrets stay out of the table.
 */
const leaseKey = (target: UpstreamTarget): string =>
  `${target.name}:${createHash("sha256").update(JSON.stringify(target.upstream)).digest("hex").slice(0, 16)}`

/**
 * Health checks shared by the fleet. Each upstream has a lease row; a replica takes it with one atomic upsert that
 * succeeds only when the lease is free, expired or already its own (renewal). The holder probes and writes the
 * result into the row; the others read it and record it into their registries (no probe). The holder renews its
 * leases every third of a lease, so a lease only expires when its holder stops: then the next replica to `claim`
 * (each does every third of a lease) takes it, within one lease time.
 */
export const makeLeases = (context: LeaseContext) => {
  const { pg, replicaId, secrets, leaseSeconds, link } = context
  const held = new Set<string>()
  /** Whether the last claim failed: a database that stays away is logged once, not every third of a lease. */
  let failing = false
  /** The check time of the last shared result recorded per lease, so one result is recorded once. */
  const recorded = new Map<string, number>()

  const claim = (key: string) =>
    pg`INSERT INTO att_leases (key, holder, expires_at)
VALUES (${key}, ${replicaId}, now() + make_interval(secs => ${leaseSeconds}))
ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE att_leases.holder = excluded.holder OR att_leases.expires_at < now()
RETURNING holder`.pipe(
      Effect.flatMap(Schema.decodeUnknown(Holder)),
      Effect.map((rows) => rows.length > 0)
    )

  const targets = (registry: Registry) =>
    Effect.flatMap(registry.names, (names) =>
      Effect.map(
        Effect.forEach(names, (name) => Effect.option(registry.target(name))),
        (found) => found.flatMap(Option.toArray)
      )
    )

  /** Take or renew the lease of every registered upstream; remember which this replica holds. */
  const claimAll = (registry: Registry) =>
    Effect.gen(function* () {
      for (const target of yield* targets(registry)) {
        const key = leaseKey(target)
        if (yield* claim(key)) held.add(key)
        else held.delete(key)
      }
      if (failing) yield* Effect.logInfo("fleet: health-check leases renewed again")
      failing = false
    }).pipe(
      Effect.catchAll((error) => {
        // Unrenewed leases lapse: probe nothing on their strength until they are claimed again.
        held.clear()
        const failure = unavailable("fleet: health-check leases not renewed", secrets)(error)
        if (failing) return link.lost(failure)
        failing = true
        return Effect.zipRight(link.lost(failure), Effect.logWarning(failure.reason))
      }),
      Effect.withSpan("Fleet.claimLeases")
    )

  const publish = (key: string, record: ServerRecord) =>
    pg`UPDATE att_leases SET healthy = ${record.last_error === null}, error = ${record.last_error},
checked_at = ${record.last_checked_at === null ? null : DateTime.formatIso(record.last_checked_at)}
WHERE key = ${key} AND holder = ${replicaId}`

  /** The holder's newest result, recorded here once (a replica that holds no lease probes nothing). */
  const adopt = (manager: Manager, name: string, key: string) =>
    Effect.gen(function* () {
      const rows = yield* Effect.flatMap(
        pg`SELECT healthy, error, (extract(epoch FROM checked_at) * 1000)::bigint AS checked_ms
FROM att_leases WHERE key = ${key}`,
        Schema.decodeUnknown(Result)
      )
      const row = rows[0]
      if (row === undefined || row.healthy === null || row.checked_ms === null) return
      if (row.checked_ms <= (recorded.get(key) ?? 0)) return
      recorded.set(key, row.checked_ms)
      yield* manager.recordCheckResult(name, {
        healthy: row.healthy,
        error: row.error,
        category: row.healthy ? null : "health_check"
      })
    })

  const checkOne = (manager: Manager, target: UpstreamTarget) =>
    Effect.gen(function* () {
      const key = leaseKey(target)
      if (!held.has(key)) return yield* adopt(manager, target.name, key)
      const before = Option.getOrUndefined(yield* Effect.option(manager.get(target.name)))?.last_checked_at ?? null
      const after = yield* manager.healthCheckServer(target.name)
      if (after.last_checked_at !== null && (before === null || !DateTime.Equivalence(before, after.last_checked_at)))
        yield* publish(key, after)
    }).pipe(
      Effect.catchTag("ServerNotFound", () => Effect.void),
      Effect.catchAll((error) =>
        Effect.logWarning(unavailable(`fleet: health check of ${target.name} not shared`, secrets)(error).reason)
      )
    )

  /** One round: claim (renew) the leases, probe what this replica holds, adopt the holders' results for the rest. */
  const healthCheckAll = (manager: Manager, registry: Registry, options: FleetOptions) =>
    Effect.gen(function* () {
      yield* claimAll(registry)
      const all = yield* targets(registry)
      yield* Effect.forEach(all, (target) => checkOne(manager, target), {
        concurrency: options.concurrency ?? 1,
        discard: true
      })
    }).pipe(Effect.withSpan("Fleet.healthCheckAll"))

  /** Renew this replica's leases and take expired ones every third of a lease, for the life of the scope. */
  const keep = (registry: Registry) =>
    claimAll(registry).pipe(
      Effect.zipRight(Effect.sleep(`${Math.max(100, Math.floor((leaseSeconds * 1000) / 3))} millis`)),
      Effect.forever,
      Effect.forkScoped,
      Effect.asVoid
    )

  return { healthCheckAll, keep, held: () => held.size }
}
