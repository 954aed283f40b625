/**
 * A one-shot abort signal for one SDK request. A Node `AbortSignal` is an EventTarget: making one and hanging the
 * SDK's listener on it cost ~15–20 µs per forwarded call in process (A/B of the bare forward). The SDK's
 * `Protocol.request` reads only `aborted`, `reason`, `throwIfAborted()` and `addEventListener("abort", ...)` of
 * the signal it is given (it never hands the signal to the transport), so this covers what it uses; the pinned
 * SDK version and the cancellation test in `test/sdk-transport.test.ts` keep it honest.
 */
export class CallSignal {
  aborted = false
  reason: unknown = undefined
  private listeners: Array<() => void> = []

  addEventListener(type: string, listener: () => void): void {
    if (type === "abort") this.listeners.push(listener)
  }

  removeEventListener(type: string, listener: () => void): void {
    if (type === "abort") this.listeners = this.listeners.filter((each) => each !== listener)
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    for (const listener of this.listeners) listener()
    this.listeners = []
  }

  /** The signal as the SDK's option type (structurally what `Protocol.request` uses of it). */
  get asAbortSignal(): AbortSignal {
    return this as unknown as AbortSignal
  }
}
