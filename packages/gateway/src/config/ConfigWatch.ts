import { basename, dirname } from "node:path"
import { Manager } from "@att/core"
import { sameEndpoint } from "@att/core/internal"
import { FileSystem } from "@effect/platform"
import { Cause, Effect, Either, Layer, Stream } from "effect"
import { type ConfigFile, configuredServers, declaredServers } from "./ConfigFile.js"
import { loadConfig } from "./LoadConfig.js"

/**
 * Apply a new config file's servers: removed ones are unregistered, added or changed ones (endpoint, secrets,
 * timeout, session mode) registered, the others left alone (their state and sessions kept). Only `mcpServers` applies while
 * running; the other options take effect at the next start.
 */
export const applyServers = Effect.fn("ConfigWatch.apply")(function* (running: ConfigFile, next: ConfigFile) {
  const manager = yield* Manager
  const declared = declaredServers(running)
  const before = new Map(declared.all().map((server) => [server.name, server]))
  const after = configuredServers(next)
  // The declared set first: the address guard trusts a new endpoint before it is connected to.
  declared.replace(after)
  const names = new Set(after.map((server) => server.name))
  for (const name of before.keys()) if (!names.has(name)) yield* manager.unregister(name)
  const changed: Array<string> = []
  for (const server of after) {
    const old = before.get(server.name)
    if (
      old !== undefined &&
      sameEndpoint(old.upstream, server.upstream) &&
      old.callTimeoutMs === server.callTimeoutMs &&
      old.sessionMode === server.sessionMode
    )
      continue
    yield* manager.register(server.name, server.upstream, {
      callTimeoutMs: server.callTimeoutMs,
      sessionMode: server.sessionMode
    })
    changed.push(server.name)
  }
  const removed = [...before.keys()].filter((name) => !names.has(name))
  yield* Effect.logInfo(`config applied: ${changed.length} added or changed, ${removed.length} removed`)
})

/**
 * Watch the config file at `path` (its directory, so an editor's replace-by-rename is seen too) and apply each valid
 * version's servers. An invalid file is refused with a log line naming the problem; the previous servers keep
 * running.
 */
export const ConfigWatch = (config: ConfigFile, path: string, env: NodeJS.ProcessEnv = process.env) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const file = basename(path)
      const reload = Effect.suspend(() =>
        Either.match(loadConfig(path, dirname(path), env), {
          onLeft: (error) =>
            Effect.logWarning(`config ${path} refused, the previous config keeps running: ${error.message}`),
          onRight: ({ config: next }) => applyServers(config, next)
        })
      )
      yield* fs.watch(dirname(path)).pipe(
        Stream.filter((event) => basename(event.path) === file),
        Stream.debounce("100 millis"),
        Stream.runForEach(() => reload),
        Effect.catchAllCause((cause) => Effect.logError("config watch stopped", Cause.pretty(cause))),
        Effect.forkScoped
      )
    })
  )
