import { createServer } from "node:http"
import { decodeConfig, gatewayRoutes, interceptRequests, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { startHttpUpstream } from "@att/testkit"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Either, Layer, Schedule } from "effect"
import { z } from "zod"

/** att in-process on a real Node server, with `/mcp`, over the given upstreams. */
const startAtt = (mcpServers: Record<string, { url: string }>, extra: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const config = Either.getOrThrow(decodeConfig({ mcpServers, health_interval_seconds: 3600, ...extra }, "test"))
    const server = createServer()
    const routes = interceptRequests(server)
    const context = yield* Layer.build(
      gatewayRoutes(config, routes).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => server, { host: "127.0.0.1", port: 0 })),
        Layer.provideMerge(serviceCore(config, null, SdkTransport.layer({ callTimeoutMs: 2_000 })))
      )
    )
    const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
    return `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}/mcp`
  })

const mcpClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "test-client", version: "0.0.0" })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

type Listed = Awaited<ReturnType<Client["listTools"]>>
/** List tools until `ready` (upstreams connect in the background), bounded. */
const listedWhen = (client: Client, ready: (listed: Listed) => boolean) =>
  Effect.promise(() => client.listTools()).pipe(
    Effect.filterOrFail(ready, () => "upstreams not ready yet"),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 150 }),
    Effect.orDie
  )

const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text

describe("att as an MCP server at /mcp", () => {
  it.scopedLive("lists the upstreams' tools once, calls them, and keeps working when one of two interchangeable upstreams is down", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const beta = yield* startHttpUpstream({ name: "beta" })
      const url = yield* startAtt({ alpha: { url: alpha.url }, beta: { url: beta.url } })
      const client = yield* mcpClient(url)
      // connect happens in the background: list once both upstreams have initialized
      const listed = yield* listedWhen(client, (r) => r.tools.length >= 4)
      const names = listed.tools.map((tool) => tool.name).sort()
      expect(names).toEqual(["add", "echo", "fail", "slow"]) // same schemas on both: one name each (conditional)
      expect(listed.tools.find((tool) => tool.name === "echo")?.inputSchema).toMatchObject({ properties: { message: {} } })
      expect(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "hi" } })))).toBe("alpha: hi")
      yield* alpha.close
      expect(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "still" } })))).toBe("beta: still")
      const resources = yield* Effect.promise(() => client.listResources())
      expect(resources.resources.map((r) => r.uri)).toEqual(["test://static"])
      const read = yield* Effect.promise(() => client.readResource({ uri: "test://static" }))
      expect((read.contents[0] as { text: string }).text).toBe("static from beta")
      const unknown = yield* Effect.either(Effect.tryPromise(() => client.callTool({ name: "nope", arguments: {} })))
      expect(Either.isLeft(unknown) || (Either.isRight(unknown) && (unknown.right as { isError?: boolean }).isError === true)).toBe(true)
    })
  )

  it.scopedLive("a name offered with different schemas is prefixed per server (conditional), or always", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const beta = yield* startHttpUpstream({
        name: "beta",
        extend: (server) => {
          server.registerTool("lookup", { description: "beta's lookup", inputSchema: { key: z.string() } }, ({ key }) => ({
            content: [{ type: "text", text: `beta:${key}` }]
          }))
        }
      })
      const gamma = yield* startHttpUpstream({
        name: "gamma",
        extend: (server) => {
          server.registerTool("lookup", { description: "gamma's lookup", inputSchema: { id: z.number() } }, ({ id }) => ({
            content: [{ type: "text", text: `gamma:${id}` }]
          }))
        }
      })
      const url = yield* startAtt({ alpha: { url: alpha.url }, beta: { url: beta.url }, gamma: { url: gamma.url } })
      const client = yield* mcpClient(url)
      const listed = yield* listedWhen(
        client,
        (r) => r.tools.filter((tool) => tool.name.endsWith("lookup")).length === 2 && r.tools.length >= 6
      )
      const names = listed.tools.map((tool) => tool.name)
      expect(names).toContain("beta__lookup")
      expect(names).toContain("gamma__lookup")
      expect(names).toContain("echo")
      expect(text(yield* Effect.promise(() => client.callTool({ name: "gamma__lookup", arguments: { id: 7 } })))).toBe("gamma:7")

      const always = yield* mcpClient(yield* startAtt({ alpha: { url: alpha.url } }, { prefix_mode: "always" }))
      const prefixed = yield* listedWhen(always, (r) => r.tools.length >= 4)
      expect(prefixed.tools.map((tool) => tool.name).sort()).toEqual(["alpha__add", "alpha__echo", "alpha__fail", "alpha__slow"])
    })
  )
})
