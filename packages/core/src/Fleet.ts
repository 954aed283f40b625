import { Context, Effect, Layer, Option, type Scope } from "effect"
import type { FleetOptions, Manager } from "./Manager.js"
import type { Registry } from "./Registry.js"

export interface FleetShape {
  /** This replica's id: tags its persisted events and prefixes its `/mcp` session ids. */
  readonly replicaId: string
  /** Whether other replicas share this one's database (Postgres): registry changes and health checks are shared. */
  readonly shared: boolean
  /**
   * Run a registry write (the store's, then the Manager's) so that a change from another replica is applied before
   * or after it, never in between: the change applied last is the database's, on every replica.
   */
  readonly writes: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Take part in the fleet for the life of the scope: apply the other replicas' registry changes through `manager`
   * (never written back) and keep this replica's health-check leases. Names in `declared` are the config file's:
   * another replica never changes them here.
   */
  readonly join: (
    manager: Manager,
    registry: Registry,
    declared: ReadonlySet<string>
  ) => Effect.Effect<void, never, Scope.Scope>
  /** One round of health checks: on a fleet, a replica probes only the upstreams whose lease it holds. */
  readonly healthCheckAll: (manager: Manager, registry: Registry, options: FleetOptions) => Effect.Effect<void>
}

/**
 * The replicas sharing att's state. A single replica (memory, libSQL) follows nothing and probes every server; the
 * Postgres fleet (`@att/store`) follows its peers through LISTEN/NOTIFY and shares health checks through leases.
 */
export class Fleet extends Context.Tag("att/Fleet")<Fleet, FleetShape>() {
  static readonly single = (replicaId = "local"): Layer.Layer<Fleet> => Layer.effect(Fleet, makeSingle(replicaId))

  /** The fleet provided, or a single replica of its own when none is (a host app's or a test's layers). */
  static readonly current: Effect.Effect<FleetShape> = Effect.flatMap(
    Effect.serviceOption(Fleet),
    Option.match({ onNone: () => makeSingle("local"), onSome: Effect.succeed })
  )
}

const makeSingle = (replicaId: string): Effect.Effect<FleetShape> =>
  Effect.map(Effect.makeSemaphore(1), (permit) => ({
    replicaId,
    shared: false,
    writes: (effect) => permit.withPermits(1)(effect),
    join: () => Effect.void,
    healthCheckAll: (manager, _registry, options) => Effect.asVoid(manager.healthCheckAll(options))
  }))
