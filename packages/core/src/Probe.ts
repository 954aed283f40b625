import { Cause, Context, Effect, Layer } from "effect"
import type { UpstreamTarget } from "./domain/Upstream.js"
import { asJsonObject, rpcErrorText } from "./domain/JsonRpc.js"
import { Transport } from "./Transport.js"

export interface ProbeResult {
  readonly healthy: boolean
  readonly error: string | null
  /** There was no session to ask: the Manager opens one (its handshake is the check). */
  readonly sessionLost?: boolean
}

export type ProbeShape = (target: UpstreamTarget) => Effect.Effect<ProbeResult>

/** The health check of one server. Never fails: a failed probe is an unhealthy result. */
export class Probe extends Context.Tag("att/Probe")<Probe, ProbeShape>() {
  /** The default probe: the MCP `ping` request on the server's session. */
  static readonly ping: Layer.Layer<Probe, never, Transport> = Layer.effect(
    Probe,
    Effect.map(
      Transport,
      (transport) => (target: UpstreamTarget) =>
        transport.request(target, "ping", {}).pipe(
          Effect.map((response): ProbeResult => {
            const error = asJsonObject(response)?.error
            return error === undefined || error === null
              ? { healthy: true, error: null }
              : { healthy: false, error: `rpc error: ${rpcErrorText(error)}` }
          }),
          Effect.catchAll((error) =>
            Effect.succeed<ProbeResult>(
              error.sessionLost === true
                ? { healthy: false, error: error.message, sessionLost: true }
                : { healthy: false, error: error.message }
            )
          )
        )
    )
  )

  static readonly make = (probe: ProbeShape): Layer.Layer<Probe> => Layer.succeed(Probe, probe)
}

const crashMessage = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

/**
 * Run a probe so that it cannot crash a health check: a probe that throws, dies or fails anyway (a custom probe
 * may break its contract) is an unhealthy result, `health probe crashed: <message>`. Interruption stays
 * interruption.
 */
export const runProbe = (probe: ProbeShape, target: UpstreamTarget): Effect.Effect<ProbeResult> =>
  Effect.suspend(() => probe(target)).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.succeed<ProbeResult>({ healthy: false, error: `health probe crashed: ${crashMessage(cause)}` })
    )
  )
