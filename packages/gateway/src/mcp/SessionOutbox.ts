import { Effect, Fiber, Option, Queue } from "effect"

/** How many messages wait for one slow session before the oldest are dropped. */
export const OUTBOX_CAPACITY = 256

/**
 * The messages broadcast to one `/mcp` session (upstream log messages), waiting in a bounded queue that its own
 * fiber drains: a slow or dead session only ever delays itself. When the queue is full the oldest message is
 * dropped and counted.
 */
export class SessionOutbox<A> {
  private readonly queue: Queue.Queue<A>
  private readonly pump: Fiber.RuntimeFiber<never>
  dropped = 0

  constructor(
    send: (message: A) => Promise<unknown>,
    readonly capacity = OUTBOX_CAPACITY
  ) {
    this.queue = Effect.runSync(Queue.sliding<A>(capacity))
    this.pump = Effect.runFork(
      Queue.take(this.queue).pipe(
        Effect.flatMap((message) => Effect.promise(() => send(message).catch(() => undefined))),
        Effect.forever
      )
    )
  }

  offer(message: A): void {
    if (Option.getOrElse(this.queue.unsafeSize(), () => 0) >= this.capacity) this.dropped++
    this.queue.unsafeOffer(message)
  }

  close(): void {
    Effect.runFork(Fiber.interrupt(this.pump))
    Effect.runFork(Queue.shutdown(this.queue))
  }
}
