import type { Server } from "node:http"
import { HttpServer } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"

/**
 * Bounds the drain at shutdown. The Node server's finalizer stops accepting and waits for in-flight requests; this
 * layer, built after it and so finalized before it, first arms a timer that cuts the remaining connections once
 * `drainMs` has passed, so shutdown always ends.
 */
export const DrainGuard = (server: Server, drainMs: number) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      yield* HttpServer.HttpServer
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => server.closeIdleConnections()).pipe(
          Effect.zipRight(Effect.sleep(Duration.millis(drainMs))),
          Effect.zipRight(Effect.sync(() => server.closeAllConnections())),
          Effect.forkDaemon,
          Effect.asVoid
        )
      )
    })
  )
