import { Fleet } from "@att/core"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import { DatabaseLink } from "./DatabaseLink.js"
import { follow } from "./FleetFollow.js"
import { makeLeases } from "./FleetLeases.js"

export interface FleetSettings {
  /** This replica's id (`ATT_REPLICA_ID`, default `hostname:pid`). */
  readonly replicaId: string
  /** A health-check lease's life (`lease_seconds`). */
  readonly leaseSeconds: number
}

/**
 * The fleet on one Postgres: registry changes followed through LISTEN/NOTIFY (`FleetFollow.ts`), health checks
 * shared through leases (`FleetLeases.ts`); a lost connection of either tells the store's `DatabaseLink`. `secrets` (the
 * database URL's password) stay out of every log line.
 */
export const PgFleet = (settings: FleetSettings, secrets: ReadonlyArray<string>) =>
  Layer.effect(
    Fleet,
    Effect.gen(function* () {
      const pg = yield* PgClient.PgClient
      const link = yield* DatabaseLink
      const permit = yield* Effect.makeSemaphore(1)
      const writes = <A, E, R>(effect: Effect.Effect<A, E, R>) => permit.withPermits(1)(effect)
      const { replicaId, leaseSeconds } = settings
      const leases = makeLeases({ pg, replicaId, secrets, leaseSeconds, link })
      return Fleet.of({
        replicaId,
        shared: true,
        writes,
        join: (manager, registry, declared) =>
          Effect.zipRight(
            follow({ pg, replicaId, secrets, writes, link }, manager, registry, declared),
            leases.keep(registry)
          ),
        healthCheckAll: leases.healthCheckAll
      })
    })
  )
