/**
 * A consumer of the published packages, as an app outside the workspace uses them: `.ci/run` packs every package,
 * installs the tarballs with the peers into a temporary project, type-checks this file with strict `tsc` (NodeNext)
 * and runs the JS with plain `node`. It exits non-zero on the first check that fails.
 */
import { Manager, ManagerConfig, Probe, httpUpstream } from "@att/core"
import { AttRoutes, Lifecycle, decodeConfig, gatewayRoutes, makeNodeServer, serviceCore } from "@att/gateway"
import { makeClient } from "@att/gateway/api"
import { SdkTransport } from "@att/sdk-transport"
import { ScriptedTransport, scriptedAtt, startHttpUpstream } from "@att/testkit"
import { HttpLayerRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Either, Layer, Schedule } from "effect"

const check = (holds: boolean, what: string) =>
  holds ? Effect.log(`consumer: ok: ${what}`) : Effect.dieMessage(`consumer: FAILED: ${what}`)

const echoed = (result: unknown, text: string) => JSON.stringify(result).includes(text)

/** The manager over the real SDK transport, against an SDK server on loopback (the test kit's upstream). */
const managerOverSdk = Effect.gen(function* () {
  const upstream = yield* startHttpUpstream({ name: "alpha" })
  const manager = yield* Manager
  yield* manager.register("alpha", httpUpstream(upstream.url))
  const answer = yield* manager.invokeTool("echo", { message: "over the SDK" })
  yield* check(
    answer.server === "alpha" && echoed(answer.result, "alpha: over the SDK"),
    "Manager + SdkTransport invoke a tool"
  )
}).pipe(
  Effect.provide(
    Manager.layer.pipe(
      Layer.provideMerge(Probe.ping),
      Layer.provideMerge(SdkTransport.layer({ callTimeoutMs: 10_000 })),
      Layer.provideMerge(ManagerConfig.layer({}))
    )
  )
)

/** The manager over the test kit's scripted transport. */
const managerOverScript = Effect.gen(function* () {
  const manager = yield* Manager
  const scripted = yield* ScriptedTransport
  yield* manager.register("beta", httpUpstream("http://beta.invalid/mcp"))
  const answer = yield* manager.invokeTool("echo", { message: "scripted" })
  const methods = scripted.calls().map((call) => call.method)
  yield* check(
    answer.server === "beta" && methods.includes("tools/call"),
    "Manager + the scripted transport invoke a tool"
  )
}).pipe(Effect.provide(scriptedAtt()))

const TOKEN = "consumer-token-8d2e41"

/** The gateway on its own Node server with a bearer token, called through the typed client of `@att/gateway/api`. */
const gatewayThroughClient = Effect.gen(function* () {
  const upstream = yield* startHttpUpstream({ name: "alpha" })
  const config = Either.getOrThrow(
    decodeConfig({ mcpServers: { alpha: { url: upstream.url } }, auth_token: TOKEN }, "consumer")
  )
  const server = makeNodeServer(config)
  const context = yield* Layer.build(
    gatewayRoutes(config).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => server, { host: "127.0.0.1", port: 0 })),
      Layer.provideMerge(serviceCore(config, TOKEN, SdkTransport.layer({ callTimeoutMs: 10_000 })))
    )
  )
  const address = yield* Effect.provide(HttpServer.HttpServer, context).pipe(Effect.map((http) => http.address))
  const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`

  const att = yield* makeClient(origin, { token: TOKEN })
  const servers = yield* att.mcp.listServers()
  yield* check(servers.items.map((item) => item.name).join() === "alpha", "the typed client lists the servers")
  // The catalog fills in the background after the handshake: retry until the tool is routable (bounded).
  const answer = yield* att.mcp
    .invokeTool({ payload: { tool_name: "echo", arguments: { message: "through att" } } })
    .pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 100 }))
  yield* check(
    answer.server === "alpha" && echoed(answer.result, "alpha: through att"),
    "the typed client invokes a tool"
  )
  const refused = yield* Effect.flip(
    makeClient(origin).pipe(Effect.flatMap((anonymous) => anonymous.mcp.listServers()))
  )
  yield* check(refused._tag === "Unauthorized", "without the token the gateway answers 401 (Unauthorized)")
})

/** att mounted into a host app with a route of its own: att's auth, limits and /mcp hold; the host's route is untouched. */
const mountedInHostApp = Effect.gen(function* () {
  const upstream = yield* startHttpUpstream({ name: "alpha" })
  const config = Either.getOrThrow(
    decodeConfig({ mcpServers: { alpha: { url: upstream.url } }, auth_token: TOKEN, max_body_bytes: 1024 }, "host")
  )
  const HostRoutes = HttpLayerRouter.add("POST", "/host/echo", (request) =>
    Effect.map(Effect.orDie(request.text), (text) => HttpServerResponse.text(`host got ${text.length} bytes`))
  )
  const context = yield* Layer.build(
    HttpLayerRouter.serve(Layer.mergeAll(HostRoutes, AttRoutes, Lifecycle(config)), { disableLogger: true }).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => makeNodeServer(config), { host: "127.0.0.1", port: 0 })),
      Layer.provideMerge(serviceCore(config, TOKEN, SdkTransport.layer({ callTimeoutMs: 10_000 })))
    )
  )
  const address = yield* Effect.provide(HttpServer.HttpServer, context).pipe(Effect.map((http) => http.address))
  const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
  const post = (path: string, body: string, headers: Record<string, string>) =>
    Effect.promise(() => fetch(`${origin}${path}`, { method: "POST", headers, body }))

  const host = yield* post("/host/echo", "x".repeat(4096), { "content-type": "text/plain" })
  yield* check(
    host.status === 200 && (yield* Effect.promise(() => host.text())) === "host got 4096 bytes",
    "the host's route is untouched"
  )
  const att = yield* makeClient(origin, { token: TOKEN })
  yield* check(
    (yield* att.mcp.listServers()).items.length === 1,
    "mounted: the typed client reaches att with its token"
  )
  const anonymous = yield* Effect.flip(makeClient(origin).pipe(Effect.flatMap((client) => client.mcp.listServers())))
  yield* check(anonymous._tag === "Unauthorized", "mounted: att's routes need the token")
  const json = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }
  const big = yield* post("/api/v1/mcp/invoke/tool", JSON.stringify({ tool_name: "x".repeat(2048) }), json)
  yield* check(big.status === 413, "mounted: att's body limit holds")
  const mcp = yield* post(
    "/mcp",
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "0" } }
    }),
    { ...json, accept: "application/json, text/event-stream" }
  )
  yield* check(mcp.status === 200 && mcp.headers.get("mcp-session-id") !== null, "mounted: /mcp opens a session")
})

const main = Effect.gen(function* () {
  yield* managerOverSdk
  yield* managerOverScript
  yield* gatewayThroughClient
  yield* mountedInHostApp
  yield* Effect.log("consumer: all checks passed")
}).pipe(
  Effect.scoped,
  Effect.timeoutFail({ duration: "90 seconds", onTimeout: () => new Error("consumer: timed out") })
)

NodeRuntime.runMain(main)
