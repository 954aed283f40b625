import { join } from "node:path"
import { makeClient } from "@att/gateway/api"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { Effect, Schedule } from "effect"
import { startAtt } from "./support/mcpAtt.js"

const TOKEN = "client-test-token-4f1c"

describe("@att/gateway/api: the typed client and the browser entry (issue 15 §2)", () => {
  it.scopedLive(
    "makeClient lists the servers and invokes a tool through the running service, sending the bearer token",
    () =>
      Effect.gen(function* () {
        const upstream = yield* startHttpUpstream({ name: "alpha" })
        const mcp = yield* startAtt({ alpha: { url: upstream.url } }, { auth_token: TOKEN })
        const origin = mcp.replace(/\/mcp$/, "")

        const att = yield* makeClient(origin, { token: TOKEN })
        const servers = yield* att.mcp.listServers()
        expect(servers.items.map((server) => server.name)).toEqual(["alpha"])
        // The catalog fills in the background after the handshake: retry until the tool is routable (bounded).
        const answer = yield* att.mcp
          .invokeTool({ payload: { tool_name: "echo", arguments: { message: "hi" } } })
          .pipe(Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 200 }))
        expect(answer.server).toBe("alpha")
        expect(answer.result).toMatchObject({ content: [{ type: "text", text: "alpha: hi" }] })

        // Without the token the same call is refused: the client is what sends it.
        const anonymous = yield* makeClient(origin)
        const refused = yield* Effect.flip(anonymous.mcp.listServers())
        // The bearer check is declared in the API: the typed client decodes its 401 as `Unauthorized`.
        expect(refused._tag).toBe("Unauthorized")
      })
  )

  it.live("bundles for the browser: no Node builtin, no MCP SDK, no platform-node in what it imports", () =>
    Effect.gen(function* () {
      const result = yield* Effect.promise(() =>
        build({
          stdin: {
            contents: 'export { AttApi, makeClient } from "@att/gateway/api"',
            resolveDir: join(import.meta.dirname, ".."),
            loader: "ts"
          },
          bundle: true,
          platform: "browser",
          format: "esm",
          // The workspace's sources (the published package bundles the same way from dist: see .ci/run).
          conditions: ["att-source"],
          write: false,
          metafile: true,
          logLevel: "silent"
        })
      )
      expect(result.errors).toEqual([])
      const inputs = Object.keys(result.metafile.inputs)
      expect(inputs.filter((input) => /@effect\/platform-node|@modelcontextprotocol|^node:/.test(input))).toEqual([])
      expect(inputs.some((input) => input.endsWith("packages/gateway/src/api/Client.ts"))).toBe(true)
    })
  )
})
