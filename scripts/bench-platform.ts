/**
 * The HTTP stack's own cost per request, with nothing of att's in it: one GET route answering `{"status":"ok"}`,
 * served by (`node`) node:http, (`effect`) `@effect/platform`'s `HttpLayerRouter` on `NodeHttpServer` with the
 * server's span per request turned off, as att runs it, and (`effect-traced`) the same with the span on.
 * Started by `scripts/bench-stack.ts` as `bench-platform.ts node|effect|effect-traced`; prints `listening <port>`.
 */
import { createServer } from "node:http"
import { HttpLayerRouter, HttpMiddleware, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"

const mode = process.argv[2] ?? "node"
const BODY = JSON.stringify({ status: "ok" })

if (mode === "node") {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) })
    response.end(BODY)
  })
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    console.log(`listening ${typeof address === "object" && address !== null ? address.port : 0}`)
  })
} else {
  const route = HttpLayerRouter.add("GET", "/ok", Effect.succeed(HttpServerResponse.unsafeJson({ status: "ok" })))
  const served = HttpLayerRouter.serve(route, { disableLogger: true })
  const app = mode === "effect" ? served.pipe(HttpMiddleware.withTracerDisabledWhen(() => true)) : served
  const server = createServer()
  app.pipe(
    Layer.provide(NodeHttpServer.layer(() => server, { port: 0, host: "127.0.0.1" })),
    Layer.tap(() =>
      Effect.sync(() => {
        const address = server.address()
        console.log(`listening ${typeof address === "object" && address !== null ? address.port : 0}`)
      })
    ),
    Layer.launch,
    NodeRuntime.runMain
  )
}
