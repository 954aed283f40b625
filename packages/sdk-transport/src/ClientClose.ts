import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { type Duration, Effect } from "effect"
import { readFileSync } from "node:fs"
import type { UpstreamConnection } from "./Connection.js"
import type { ObservedTransport } from "./ObservedTransport.js"
import type { Ending } from "./Session.js"

/** Running and not a zombie. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z"
  } catch {
    return true
  }
}

const signal = (pid: number, name: NodeJS.Signals) =>
  Effect.sync(() => {
    if (isAlive(pid)) process.kill(pid, name)
  })

/**
 * Wait for a promise at most `limit`, whatever it does. Interruptible even inside a closing scope (finalizers run
 * uninterruptibly, and a timeout there would otherwise wait for the promise: a DELETE to a hung upstream, forever).
 */
const bounded = (run: () => Promise<unknown>, limit: Duration.DurationInput) =>
  Effect.promise(() =>
    Promise.resolve()
      .then(run)
      .catch(() => undefined)
  ).pipe(Effect.interruptible, Effect.timeout(limit), Effect.ignore)

/**
 * Close a client and make sure its stdio child is gone before the scope closes. The stdio transport's close waits
 * seconds for the child to leave on its own before it signals it (and forgets the child as it starts closing, as when
 * a connect is interrupted), which can outlast a shutdown: att signals the pid it recorded at spawn, waits a bounded
 * time, and kills what is left.
 */
export const closeClient = (
  client: Client,
  transport: ObservedTransport,
  connection: UpstreamConnection,
  ending: Ending
) =>
  Effect.gen(function* () {
    const pid = transport.childPid
    if (pid !== null) yield* signal(pid, "SIGTERM")
    // Before the client closes: the DELETE goes over the session's pool, which closing destroys.
    if (ending.terminate) {
      yield* bounded(() => connection.terminate(), "1 second")
    }
    yield* bounded(() => client.close(), "3 seconds")
    yield* bounded(connection.dispose, "1 second")
    if (pid === null) return
    yield* Effect.sleep("20 millis").pipe(Effect.repeat({ until: () => !isAlive(pid), times: 100 }))
    yield* signal(pid, "SIGKILL")
  }).pipe(Effect.catchAllDefect(() => Effect.void))
