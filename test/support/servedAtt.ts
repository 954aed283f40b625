import type { ChildProcess } from "node:child_process"
import { Effect, Exit, Scope } from "effect"
import { afterAll } from "vitest"
import { exitOf, spawnTs, waitForOutput } from "./processes.js"

const MAIN = "packages/gateway/src/cli/main.ts"

/**
 * `att serve` processes on a libSQL data directory, started from the sources, and the scopes a test opens beside
 * them (its upstreams): all ended after the file's tests, whatever happened in them.
 */
export const servedAttFixture = () => {
  const started: Array<ChildProcess> = []
  const scopes: Array<Scope.CloseableScope> = []
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    for (const scope of scopes) await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  /** `att serve --config CONFIG --data-dir DATA` on a free port, once it listens. */
  const serve = async (config: string, data: string) => {
    const att = spawnTs(MAIN, ["serve", "--config", config, "--port", "0", "--data-dir", data])
    started.push(att)
    const [, port] = await waitForOutput(att, /Listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000)
    return { att, base: `http://127.0.0.1:${port}` }
  }

  /** SIGTERM, and its exit. */
  const stop = async (att: ChildProcess) => {
    att.kill("SIGTERM")
    await exitOf(att)
  }

  return { scopes, serve, stop }
}
