import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ServerStore, type StoredServer } from "@att/core"
import { storeLayer } from "@att/store"
import { Effect, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { writeFileSync } from "node:fs"
import { Either } from "effect"
import { exportRegistry, importRegistry } from "../src/config/ExportImport.js"
import { loadConfig } from "../src/config/LoadConfig.js"

const dir = mkdtempSync(join(tmpdir(), "att-export-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const libsql = (name: string) => storeLayer({ ephemeral: false, dataDir: join(dir, name), databaseUrl: null })

const servers: ReadonlyArray<StoredServer> = [
  {
    name: "alpha",
    upstream: {
      transport: "streamable-http",
      url: "https://bot:pa55word@alpha.example/mcp",
      headers: { authorization: "Bearer t0ken-alpha" }
    },
    call_timeout_ms: 2500,
    session_mode: "per_client"
  },
  { name: "beta.svc", upstream: { transport: "sse", url: "http://127.0.0.1:9/sse" }, call_timeout_ms: null }
]

/** A config file's reference to an environment variable, `${NAME}`. */
const ref = (name: string) => `$\{${name}}`

const run = <A, E>(effect: Effect.Effect<A, E, ServerStore>, layer: Layer.Layer<ServerStore, unknown>) =>
  Effect.runPromise(Effect.provide(effect, layer))

describe("att export / att import (registry <-> config file)", () => {
  it("exports without the secrets given through the API, and imports back what was registered", async () => {
    const source = libsql("source")
    const exported = await run(
      Effect.gen(function* () {
        const store = yield* ServerStore
        for (const server of servers) yield* store.save(server)
        return yield* exportRegistry
      }),
      source
    )
    const text = JSON.stringify(exported.config)
    expect(text).not.toContain("pa55word")
    expect(text).not.toContain("t0ken-alpha")
    expect(exported.config.mcpServers.alpha).toEqual({
      url: `https://bot:${ref("ATT_ALPHA_URL_PASSWORD")}@alpha.example/mcp`,
      transport: "streamable-http",
      headers: { authorization: ref("ATT_ALPHA_AUTHORIZATION") },
      timeout_ms: 2500,
      session_mode: "per_client"
    })
    expect(exported.config.mcpServers["beta.svc"]).toEqual({ url: "http://127.0.0.1:9/sse", transport: "sse" })
    expect(exported.variables).toEqual(["ATT_ALPHA_URL_PASSWORD", "ATT_ALPHA_AUTHORIZATION"])

    const env = { ATT_ALPHA_URL_PASSWORD: "pa55word", ATT_ALPHA_AUTHORIZATION: "Bearer t0ken-alpha" }
    const target = libsql("target")
    const imported = await run(importRegistry(text, "exported.json", env), target)
    expect(imported).toEqual(["alpha", "beta.svc"])
    expect(
      await run(
        Effect.flatMap(ServerStore, (store) => store.load),
        target
      )
    ).toEqual(servers)
  })

  it("refuses a file whose references are not set, that is invalid or is not JSON, saying why", async () => {
    const target = Layer.fresh(ServerStore.memory)
    const text = JSON.stringify({
      mcpServers: { a: { url: "http://a.example/mcp", headers: { x: ref("NOT_SET_VAR") } } }
    })
    const missing = await run(Effect.flip(importRegistry(text, "f.json", {})), target)
    expect(missing.message).toBe("f.json: the config references environment variables that are not set: NOT_SET_VAR")
    const invalid = await run(Effect.flip(importRegistry('{"mcpServers": {"a": {"url": 5}}}', "g.json", {})), target)
    expect(invalid.message).toContain("invalid config g.json")
    const notJson = await run(Effect.flip(importRegistry("{", "h.json", {})), target)
    expect(notJson.message).toBe("h.json is not valid JSON")
  })
})

describe("environment references ($NAME) in the config file", () => {
  it("take their values from the environment when the config is read; an unset one is an error naming it", () => {
    const path = join(dir, "att.config.json")
    writeFileSync(
      path,
      JSON.stringify({
        mcpServers: { a: { url: "http://a.example/mcp", headers: { authorization: `Bearer ${ref("A_TOKEN")}` } } }
      })
    )
    const loaded = Either.getOrThrow(loadConfig(path, dir, { A_TOKEN: "from-env" }))
    expect(loaded.config.mcpServers.a).toMatchObject({ headers: { authorization: "Bearer from-env" } })
    const unset = loadConfig(path, dir, {})
    expect(Either.isLeft(unset) && unset.left.message).toBe(
      `config ${path}: the config references environment variables that are not set: A_TOKEN`
    )
  })
})
