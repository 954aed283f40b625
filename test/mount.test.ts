import { createServer } from "node:http"
import { AttRoutes, decodeConfig, Lifecycle, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { startHttpUpstream } from "@att/testkit"
import { HttpLayerRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Either, Layer } from "effect"
import { listedWhen } from "./support/mcpAtt.js"
import { rawRequest } from "./support/rawHttp.js"

/** A host app's own routes: a greeting, and an upload that takes any body of any size and type. */
const HostRoutes = Layer.mergeAll(
  HttpLayerRouter.add("GET", "/hello", Effect.succeed(HttpServerResponse.text("hello from the host"))),
  HttpLayerRouter.add(
    "POST",
    "/upload",
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.map(request.text, (text) => HttpServerResponse.text(`got ${text.length} bytes`))
    )
  )
)

describe("att mounted into a host app", () => {
  it.scopedLive("att's auth, limits and /mcp hold on its routes; the host's routes are untouched", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const config = Either.getOrThrow(
        decodeConfig(
          {
            mcpServers: { alpha: { url: alpha.url } },
            auth_token: "s3cret",
            max_body_bytes: 1024,
            health_interval_seconds: 3600
          },
          "host"
        )
      )
      // The host serves its routes and att's together; att brings its service core and its lifecycle.
      const context = yield* Layer.build(
        HttpLayerRouter.serve(Layer.mergeAll(HostRoutes, AttRoutes, Lifecycle(config)), { disableLogger: true }).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { host: "127.0.0.1", port: 0 })),
          Layer.provideMerge(serviceCore(config, config.auth_token, SdkTransport.layer({ callTimeoutMs: 5_000 })))
        )
      )
      const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
      const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
      const auth = { authorization: "Bearer s3cret" }

      // The host's routes: no token, no body limit, any content type.
      expect((yield* rawRequest(`${origin}/hello`, { method: "GET" })).text).toBe("hello from the host")
      const upload = yield* rawRequest(`${origin}/upload`, {
        headers: { "content-type": "text/plain" },
        body: "x".repeat(10_000)
      })
      expect([upload.status, upload.text]).toEqual([200, "got 10000 bytes"])

      // att's routes: the token, the body limit, the content type, Host and Origin.
      expect((yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET" })).status).toBe(401)
      expect((yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET", headers: auth })).status).toBe(200)
      expect((yield* rawRequest(`${origin}/api/v1/health`, { method: "GET" })).status).toBe(200)
      // HEAD: att's GET routes answer it (behind the guard), the host's GET still answers it as the router does.
      const head = yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "HEAD", headers: auth })
      expect([head.status, head.headers["content-type"], head.text]).toEqual([200, "application/json", ""])
      expect((yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "HEAD" })).status).toBe(401)
      const hostHead = yield* rawRequest(`${origin}/hello`, { method: "HEAD" })
      expect([hostHead.status, hostHead.headers["content-type"], hostHead.text]).toEqual([200, "text/plain", ""])
      const big = yield* rawRequest(`${origin}/api/v1/mcp/invoke/tool`, {
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ tool_name: "x".repeat(2_000) })
      })
      expect(big.status).toBe(413)
      const form = yield* rawRequest(`${origin}/api/v1/mcp/invoke/tool`, {
        headers: { ...auth, "content-type": "text/plain" },
        body: "{}"
      })
      expect(form.status).toBe(415)
      expect(
        (yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          method: "GET",
          headers: { ...auth, host: "evil.example" }
        })).status
      ).toBe(421)
      expect((yield* rawRequest(`${origin}/openapi.json`, { method: "GET" })).status).toBe(401)

      // /mcp: refused without the token, served with it.
      const refused = yield* rawRequest(`${origin}/mcp`, {
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } }
        })
      })
      expect(refused.status).toBe(401)
      const client = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const client = new Client({ name: "host-test", version: "0.0.0" })
          await client.connect(
            new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: auth } })
          )
          return client
        }),
        (client) => Effect.promise(() => client.close())
      )
      yield* listedWhen(client, (listed) => listed.tools.some((tool) => tool.name === "echo"))
      const echoed = yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "mounted" } }))
      expect((echoed.content as Array<{ text: string }>)[0]?.text).toBe("alpha: mounted")
    })
  )
})
