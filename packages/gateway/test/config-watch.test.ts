import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Manager, Registry } from "@att/core"
import { NodeFileSystem } from "@effect/platform-node"
import { scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger, Schedule } from "effect"
import { ConfigWatch, applyServers } from "../src/config/ConfigWatch.js"
import { decodeConfig, loadConfig } from "../src/config/LoadConfig.js"
import { declaredServers } from "../src/config/ConfigFile.js"
import { Lifecycle } from "../src/Gateway.js"

const servers = (entries: Record<string, string>) =>
  JSON.stringify({
    mcpServers: Object.fromEntries(Object.entries(entries).map(([name, url]) => [name, { url }])),
    health_interval_seconds: 3600
  })

/** Poll `check` until it holds, at most ~5 s. */
const eventually = <A>(read: Effect.Effect<A>, check: (value: A) => boolean) =>
  read.pipe(
    Effect.filterOrFail(check, () => "not yet"),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 }),
    Effect.orDie
  )

describe("the config file is watched", () => {
  it.scopedLive(
    "added, changed and removed servers apply, the others are left alone; an invalid file is refused",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "att-watch-"))
      const path = join(dir, "att.config.json")
      writeFileSync(
        path,
        servers({ keep: "http://keep.local/mcp", change: "http://old.local/mcp", drop: "http://drop.local/mcp" })
      )
      const config = Either.getOrThrow(loadConfig(path, dir)).config
      const logged: Array<string> = []
      const logger = Logger.make(({ message }) => {
        logged.push(String(message))
      })
      return Effect.gen(function* () {
        const manager = yield* Manager
        yield* Layer.build(Lifecycle(config))
        yield* Layer.build(ConfigWatch(config, path).pipe(Layer.provide(NodeFileSystem.layer)))
        yield* Effect.sleep("200 millis")
        // State that a re-registration would reset: the untouched server must keep it.
        yield* manager.markDegraded("keep", "kept on purpose")

        // Written the way editors do: a new file renamed over the old one.
        writeFileSync(
          `${path}.tmp`,
          servers({ keep: "http://keep.local/mcp", change: "http://new.local/mcp", add: "http://add.local/mcp" })
        )
        renameSync(`${path}.tmp`, path)
        const list = yield* eventually(manager.list, (records) => records.some((record) => record.name === "add"))
        expect(list.map((record) => [record.name, record.url])).toEqual([
          ["add", "http://add.local/mcp"],
          ["change", "http://new.local/mcp"],
          ["keep", "http://keep.local/mcp"]
        ])
        expect((yield* manager.get("keep")).last_error).toBe("kept on purpose")
        expect(declaredServers(config).has("add")).toBe(true)
        expect(declaredServers(config).has("drop")).toBe(false)

        writeFileSync(path, '{"mcpServers": {"keep": {"url": 5}}}')
        yield* eventually(
          Effect.sync(() => logged),
          (lines) => lines.some((line) => line.startsWith(`config ${path} refused, the previous config keeps running:`))
        )
        expect((yield* manager.list).map((record) => record.name)).toEqual(["add", "change", "keep"])
        expect(declaredServers(config).has("add")).toBe(true)
      }).pipe(
        Effect.provide(scriptedAtt()),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      )
    }
  )

  it.effect("a server whose session_mode alone changed is registered again with it", () =>
    Effect.gen(function* () {
      const entry = (session_mode?: string) => ({
        mcpServers: { alpha: { url: "http://alpha.local/mcp", ...(session_mode ? { session_mode } : {}) } },
        health_interval_seconds: 3600
      })
      const running = Either.getOrThrow(decodeConfig(entry(), "running"))
      const manager = yield* Manager
      const registry = yield* Registry
      yield* manager.register("alpha", { transport: "streamable-http", url: "http://alpha.local/mcp" })
      yield* applyServers(running, Either.getOrThrow(decodeConfig(entry("per_client"), "next")))
      expect((yield* registry.target("alpha")).sessionMode).toBe("per_client")
      yield* applyServers(running, Either.getOrThrow(decodeConfig(entry(), "next")))
      expect((yield* registry.target("alpha")).sessionMode).toBeUndefined()
    }).pipe(Effect.provide(scriptedAtt()))
  )
})
