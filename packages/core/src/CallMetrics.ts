import type { Clock } from "effect"
import {
  LabelCache,
  ToolLabels,
  bulkheadRejectionsTotal,
  callDurationSeconds,
  callsTotal,
  failoversTotal,
  handshakesTotal,
  retriesTotal
} from "./Metrics.js"

export type CallOutcome = "success" | "error" | "rejected" | "busy"

/**
 * The metrics of invocations and handshakes, one per manager: label arrays cached per value set, the `tool` label
 * capped, times read from the manager's clock in nanoseconds. Every method is synchronous and allocates nothing once
 * its labels are cached (but the bigint of a time reading).
 */
export class CallMetrics {
  private readonly calls = new LabelCache(["server", "method", "tool", "outcome"])
  private readonly durations = new LabelCache(["scope", "server", "method"])
  private readonly perServer = new LabelCache(["server"])
  private readonly handshakes = new LabelCache(["server", "outcome"])
  private readonly tools: ToolLabels

  constructor(
    readonly clock: Clock.Clock,
    maxTools: number
  ) {
    this.tools = new ToolLabels(maxTools)
  }

  now(): bigint {
    return this.clock.unsafeCurrentTimeNanos()
  }

  private seconds(since: bigint): number {
    return Number(this.clock.unsafeCurrentTimeNanos() - since) / 1e9
  }

  /** One attempt at `server` ended (served, or failed and the invocation moves on when `failover`). */
  attemptEnded(server: string, method: string, startedAt: bigint, failover: boolean): void {
    callDurationSeconds.unsafeUpdate(this.seconds(startedAt), this.durations.get("attempt", server, method))
    if (failover) failoversTotal.unsafeUpdate(1, this.perServer.get(server))
  }

  /** An attempt at a server whose previous check failed (its retry window had opened). */
  retry(server: string): void {
    retriesTotal.unsafeUpdate(1, this.perServer.get(server))
  }

  busy(server: string): void {
    bulkheadRejectionsTotal.unsafeUpdate(1, this.perServer.get(server))
  }

  /** The invocation ended: served by `server` (or "none"), with its outcome, `startedAt` its start. */
  called(server: string, method: string, tool: string, outcome: CallOutcome, startedAt: bigint): void {
    callsTotal.unsafeUpdate(1, this.calls.get(server, method, this.tools.of(tool), outcome))
    callDurationSeconds.unsafeUpdate(this.seconds(startedAt), this.durations.get("call", server, method))
  }

  handshake(server: string, success: boolean): void {
    handshakesTotal.unsafeUpdate(1, this.handshakes.get(server, success ? "success" : "failure"))
  }
}

/** The `tool` label of a request: the tool's name for `tools/call`, empty for the other methods. */
export const toolOf = (method: string, params: Record<string, unknown>): string =>
  method === "tools/call" && typeof params.name === "string" ? params.name : ""
