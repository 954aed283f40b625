import { DateTime, Effect, Layer, TestClock } from "effect"
import {
  type InvocationError,
  Manager,
  type ManagerOptions,
  ManagerConfig,
  Probe,
  type ProbeResult,
  type ProbeShape,
  ServerStore,
  SnapshotStore,
  type UpstreamRejected
} from "@att/core"
import { ScriptedTransport, type ScriptedTransportOptions } from "./ScriptedTransport.js"

/** The test epoch `t0` scenario tests start from: 2026-01-01T00:00:00Z. */
export const T0 = DateTime.unsafeMake("2026-01-01T00:00:00Z")

/** Set the TestClock to `t0`; call first in a test that reads timestamps. */
export const atT0 = TestClock.setTime(DateTime.toEpochMillis(T0))

/** Advance the TestClock by whole seconds. */
export const advanceSeconds = (seconds: number) => TestClock.adjust(`${seconds} seconds`)

/** A probe that always answers the same. */
export const staticProbe =
  (healthy: boolean, error: string | null = null): ProbeShape =>
  () =>
    Effect.succeed<ProbeResult>({ healthy, error: healthy ? null : error })

export interface ScriptedAttOptions {
  readonly manager?: ManagerOptions
  readonly transport?: ScriptedTransportOptions
  readonly probe?: ProbeShape
}

/**
 * A whole manager over the scripted transport: Manager, Registry, Diagnostics, ManagerConfig, ScriptedTransport,
 * Transport, Probe and a `ServerStore` and `SnapshotStore` in memory, for tests driven by TestClock. Build it once per test (it holds state).
 */
export const scriptedAtt = (options: ScriptedAttOptions = {}) =>
  Manager.layer.pipe(
    Layer.provideMerge(ScriptedTransport.layer(options.transport)),
    Layer.provideMerge(Probe.make(options.probe ?? staticProbe(true))),
    Layer.provideMerge(ManagerConfig.layer(options.manager)),
    Layer.provideMerge(ServerStore.memory),
    Layer.provideMerge(SnapshotStore.memory)
  )

/**
 * The `InvocationError` of an invocation expected to fail on every candidate; a success or an upstream's rejection
 * fails the test (as a defect).
 */
export const invocationError = <A, R>(
  invocation: Effect.Effect<A, InvocationError | UpstreamRejected, R>
): Effect.Effect<InvocationError, never, R> =>
  Effect.matchEffect(invocation, {
    onSuccess: (value) => Effect.dieMessage(`expected the invocation to fail, it answered ${JSON.stringify(value)}`),
    onFailure: (error) =>
      error._tag === "InvocationError"
        ? Effect.succeed(error)
        : Effect.dieMessage(`expected an InvocationError, got the upstream's rejection ${error.code}: ${error.message}`)
  })
