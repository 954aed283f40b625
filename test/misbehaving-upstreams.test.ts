import { type IncomingMessage, type ServerResponse, createServer } from "node:http"
import { type Server as NetServer, type Socket, createServer as createNetServer } from "node:net"
import type { AddressInfo } from "node:net"
import { Manager, httpUpstream } from "@att/core"
import { invocationError } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schedule, Supervisor } from "effect"
import { sdkAtt } from "./support/sdkAtt.js"

type Behaviour = (
  request: { readonly id: unknown; readonly method: string },
  res: ServerResponse,
  req: IncomingMessage
) => void

const readJson = (req: IncomingMessage): Promise<Record<string, unknown>> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
      } catch {
        resolve({})
      }
    })
  })

/** A hand-written HTTP "upstream" that misbehaves on purpose; counts its open sockets. */
const misbehaving = (behave: Behaviour) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; sockets: Set<Socket>; close: () => void }>((resume) => {
      const sockets = new Set<Socket>()
      const http = createServer((req, res) => {
        if (req.method !== "POST") {
          res.writeHead(405).end()
          return
        }
        void readJson(req).then((body) => behave({ id: body.id, method: String(body.method) }, res, req))
      })
      http.on("connection", (socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      http.listen(0, "127.0.0.1", () => {
        const port = (http.address() as AddressInfo).port
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${port}/mcp`,
            sockets,
            close: () => {
              http.closeAllConnections()
              http.close()
            }
          })
        )
      })
    }),
    (server) => Effect.sync(server.close)
  )

/** A TCP server that accepts connections and never says a word. */
const silent = Effect.acquireRelease(
  Effect.async<{ url: string; sockets: Set<Socket>; server: NetServer }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createNetServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => undefined)
      socket.resume() // read (and drop) what arrives, so the client's FIN is seen and the socket closes
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, sockets, server }))
    )
  }),
  ({ server, sockets }) =>
    Effect.sync(() => {
      for (const socket of sockets) socket.destroy()
      server.close()
    })
)

const INIT_RESULT = {
  protocolVersion: "2025-11-25",
  capabilities: { tools: {} },
  serverInfo: { name: "odd", version: "0" }
}
const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(typeof body === "string" ? body : JSON.stringify(body))
}
/** Answer the handshake correctly, misbehave on everything else. */
const afterHandshake =
  (misbehave: Behaviour): Behaviour =>
  (request, res, req) => {
    if (request.method === "initialize") return json(res, { jsonrpc: "2.0", id: request.id, result: INIT_RESULT })
    if (request.id === undefined) {
      res.writeHead(202).end()
      return
    }
    misbehave(request, res, req)
  }

/** Invoke once against `url`: the failing attempt, and whether the session was kept. No fiber may outlive it. */
const failureOf = (url: string) =>
  Effect.gen(function* () {
    const manager = yield* Manager
    const supervisor = yield* Supervisor.track
    yield* manager.register("odd", httpUpstream(url))
    const error = yield* invocationError(manager.invokeTool("echo", { message: "x" })).pipe(
      Effect.supervised(supervisor)
    )
    expect(yield* supervisor.value).toEqual([]) // every fiber the invocation started has ended
    const failed = error.attempts.find((attempt) => !attempt.success)
    const kept = Option.getOrThrow(yield* manager.sessionDiagnostics("odd")).active
    return { failed, kept }
  })

/** The upstream's open sockets, once they have had up to 3 s to close. */
const openSocketsAfterwards = (sockets: Set<Socket>) =>
  Effect.sync(() => sockets.size).pipe(
    Effect.repeat({ schedule: Schedule.spaced("25 millis"), until: (n) => n === 0, times: 120 }),
    Effect.zipRight(Effect.sync(() => sockets.size))
  )

describe("upstreams that misbehave", () => {
  it.scopedLive("malformed JSON-RPC is invalid_payload, and the session is kept (spec §9.3)", () =>
    Effect.gen(function* () {
      const server = yield* misbehaving(afterHandshake((_, res) => json(res, "{not json")))
      const { failed, kept } = yield* failureOf(server.url)
      expect(failed).toMatchObject({ stage: "invoke", error_category: "invalid_payload" })
      expect(kept).toBe(true)
      yield* (yield* Manager).unregister("odd")
      expect(yield* openSocketsAfterwards(server.sockets)).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 500 })))
  )

  it.scopedLive("a response with the wrong id never matches: network_timeout", () =>
    Effect.gen(function* () {
      const server = yield* misbehaving(
        afterHandshake((_, res) => json(res, { jsonrpc: "2.0", id: "someone-else", result: {} }))
      )
      const { failed, kept } = yield* failureOf(server.url)
      expect(kept).toBe(false)
      expect(failed).toMatchObject({ stage: "invoke", error_category: "network_timeout" })
      expect(yield* openSocketsAfterwards(server.sockets)).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 300 })))
  )

  it.scopedLive("a huge response is delivered whole", () =>
    Effect.gen(function* () {
      const blob = "x".repeat(8 * 1024 * 1024)
      const server = yield* misbehaving(
        afterHandshake((request, res) =>
          json(res, { jsonrpc: "2.0", id: request.id, result: { content: [{ type: "text", text: blob }] } })
        )
      )
      const manager = yield* Manager
      yield* manager.register("odd", httpUpstream(server.url))
      const result = yield* manager.invokeTool("echo", {})
      expect((result.result as { content: Array<{ text: string }> }).content[0]?.text.length).toBe(blob.length)
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 5_000 })))
  )

  it.scopedLive("an SSE stream that never ends is cut at the timeout: network_timeout", () =>
    Effect.gen(function* () {
      const server = yield* misbehaving(
        afterHandshake((_, res) => {
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(": keep-alive\n\n")
        })
      )
      const { failed, kept } = yield* failureOf(server.url)
      expect(kept).toBe(false)
      expect(failed).toMatchObject({ stage: "invoke", error_category: "network_timeout" })
      expect(yield* openSocketsAfterwards(server.sockets)).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 300 })))
  )

  it.scopedLive("a server that accepts TCP and never answers: network_timeout at initialize", () =>
    Effect.gen(function* () {
      const server = yield* silent
      const { failed, kept } = yield* failureOf(server.url)
      expect(kept).toBe(false)
      expect(failed).toMatchObject({ stage: "initialize", error_category: "network_timeout" })
      expect(yield* openSocketsAfterwards(server.sockets)).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 300 })))
  )

  it.scopedLive("a server that crashes during initialize: transport_error", () =>
    Effect.gen(function* () {
      const server = yield* misbehaving((_, res, req) => {
        req.socket.destroy()
        res.destroy()
      })
      const { failed, kept } = yield* failureOf(server.url)
      expect(kept).toBe(false)
      expect(failed).toMatchObject({ stage: "initialize", error_category: "transport_error" })
      expect(yield* openSocketsAfterwards(server.sockets)).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 1_000 })))
  )

  it.scopedLive("an HTTP error status at initialize: http_status", () =>
    Effect.gen(function* () {
      const server = yield* misbehaving((_, res) => {
        res.writeHead(503, { "content-type": "text/plain" })
        res.end("unavailable")
      })
      const { failed, kept } = yield* failureOf(server.url)
      expect(kept).toBe(false)
      expect(failed).toMatchObject({ stage: "initialize", error_category: "http_status", error: "http status 503" })
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 1_000 })))
  )
})
