import type { Clock } from "effect"
import { currentUtc } from "./CurrentUtc.js"
import { InvocationError } from "./domain/Errors.js"
import type { InvocationAttempt, InvocationEvent, InvocationPhase } from "./domain/Events.js"
import type { InvocationMethod } from "./domain/Status.js"
import type { StageFailure } from "./Handshake.js"

/**
 * The bookkeeping of one invocation: its lifecycle events, as they happen, and its attempts and failure
 * messages for the error that ends it when no candidate serves. Plain synchronous methods, called from the
 * manager's continuations: one object per call instead of a closure per step, on the hot path. Every failure text
 * goes through `redact` (the registry's: the server's configured secrets out) before it is recorded or answered.
 */
export class InvocationLog {
  readonly attempts: Array<InvocationAttempt> = []
  private readonly errors: Array<string> = []
  /** Set when the call must not be tried elsewhere after a failure at this server (see `stop`). */
  stopAt: string | null = null
  private stopReason = ""
  /** Servers passed over as busy (at their concurrency limit): when that was every attempt, nothing failed. */
  private busyCount = 0

  constructor(
    readonly method: InvocationMethod,
    readonly requestId: string,
    private readonly record: (event: InvocationEvent) => void,
    private readonly clock: Clock.Clock,
    private readonly redact: (server: string, text: string) => string
  ) {}

  event(server: string, phase: InvocationPhase, failure?: StageFailure): void {
    this.record({
      server,
      method: this.method,
      request_id: this.requestId,
      phase,
      timestamp: currentUtc(this.clock),
      error: failure === undefined ? null : this.redact(server, failure.error),
      error_category: failure?.category ?? null
    })
  }

  succeeded(server: string, stage: InvocationAttempt["stage"]): void {
    this.attempts.push({ server, stage, success: true, error: null, error_category: null })
  }

  failed(server: string, stage: InvocationAttempt["stage"], failure: StageFailure, message: string): void {
    const error = this.redact(server, failure.error)
    this.attempts.push({ server, stage, success: false, error, error_category: failure.category })
    this.errors.push(`${server}: ${message === failure.error ? error : this.redact(server, message)}`)
  }

  /**
   * End the walk at `server`: the failure may have reached the upstream and the call is not safe to repeat
   * (`unsafe`), or it belongs to this call alone (`callOnly`).
   */
  stop(server: string, why: "unsafe" | "callOnly"): void {
    this.stopAt = server
    this.stopReason =
      why === "unsafe"
        ? ` (not tried elsewhere: the request may have reached ${server} and is not safe to repeat)`
        : ` (not tried elsewhere: the failure at ${server} belongs to this call alone)`
  }

  /** The bulkhead passed a saturated server over: busy, not broken, so no event and no health failure. */
  busy(server: string, limit: number): void {
    const error = `server busy: ${limit} calls in flight`
    this.busyCount++
    this.failed(server, "invoke", { error, category: "unknown" }, error)
  }

  /** The error of an invocation no candidate served (`Invocation failed across servers: …`, HTTP 503). */
  exhausted(): InvocationError {
    const errors = this.errors.length > 0 ? this.errors.join("; ") : "unknown invocation failure"
    const fields = {
      message: `Invocation failed across servers: ${errors}${this.stopReason}`,
      method: this.method,
      request_id: this.requestId,
      attempts: this.attempts
    }
    const busy = this.busyCount > 0 && this.busyCount === this.attempts.length
    return new InvocationError(busy ? { ...fields, busy } : fields)
  }
}
