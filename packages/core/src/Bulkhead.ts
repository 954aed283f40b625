/**
 * Calls in flight per server, at most `limit`. Acquire and release are synchronous, so check-and-take is atomic
 * under Effect's single-threaded scheduler; the manager releases in a finalizer, so interruption never leaks a slot.
 */
export class Bulkhead {
  private readonly inUse = new Map<string, number>()

  constructor(readonly limit: number) {}

  tryAcquire(server: string): boolean {
    const current = this.inUse.get(server) ?? 0
    if (current >= this.limit) return false
    this.inUse.set(server, current + 1)
    return true
  }

  release(server: string): void {
    const current = this.inUse.get(server) ?? 0
    if (current <= 1) this.inUse.delete(server)
    else this.inUse.set(server, current - 1)
  }

  inFlight(server: string): number {
    return this.inUse.get(server) ?? 0
  }
}
