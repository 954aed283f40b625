import { type IncomingMessage, type ServerResponse, createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { Manager, httpUpstream } from "@att/core"
import { decodeConfig, transportOptions } from "@att/gateway"
import { invocationError, startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js"
import { Effect, Either, Fiber, Option, Schedule } from "effect"
import { z } from "zod"
import { ROOT, childPids, commandLineOf } from "./support/processes.js"
import { sdkAtt } from "./support/sdkAtt.js"

const LIMIT = 1024 * 1024
const TOO_BIG = 3 * LIMIT
const LIMIT_MESSAGE = `result exceeds max_result_bytes (${LIMIT} bytes)`
/** The last attempt of a call that failed for its size. */
const OVERSIZED = { stage: "invoke", success: false, error: LIMIT_MESSAGE, error_category: "invalid_payload" }

// No backoff: how the manager weighs a call-only failure is not what these tests are about.
const att = (callTimeoutMs = 10_000) =>
  sdkAtt({ callTimeoutMs, transport: { maxResultBytes: LIMIT }, manager: { maxBackoff: 0 } })
const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text ?? ""

/** `big {bytes}` answers a text of that many bytes (and `echo`, `slow` as every test upstream). */
const withBigTool = (server: McpServer) => {
  server.registerTool("big", { description: "A text of bytes", inputSchema: { bytes: z.number() } }, ({ bytes }) => ({
    content: [{ type: "text", text: "x".repeat(bytes) }]
  }))
}

/** A too-big call, with a slow one in flight meanwhile: the too-big one fails alone, then a normal call works. */
const oversizedAmongOthers = (slowTool: {
  readonly name: string
  readonly args: Record<string, unknown>
  readonly answer: string
}) =>
  Effect.gen(function* () {
    const manager = yield* Manager
    const inFlight = yield* Effect.fork(manager.invokeTool(slowTool.name, slowTool.args))
    const failed = yield* invocationError(manager.invokeTool("big", { bytes: TOO_BIG }))
    expect(failed.attempts.at(-1)).toMatchObject(OVERSIZED)
    expect(text((yield* Fiber.join(inFlight)).result)).toBe(slowTool.answer)
    expect(text((yield* manager.invokeTool("big", { bytes: LIMIT / 2 })).result).length).toBe(LIMIT / 2) // within: whole
    expect(Option.getOrThrow(yield* manager.sessionDiagnostics(failed.attempts[0]?.server ?? "")).active).toBe(true)
  })

const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; close: () => void }>((resume) => {
      const http = createServer(handler)
      http.listen(0, "127.0.0.1", () =>
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
            close: () => {
              http.closeAllConnections()
              http.close()
            }
          })
        )
      )
    }),
    (server) => Effect.sync(server.close)
  )

/** An MCP server over the legacy HTTP+SSE transport (`GET /sse`, `POST /messages`), counting its event streams. */
const legacySseUpstream = Effect.gen(function* () {
  const transports = new Map<string, SSEServerTransport>()
  const streams = { opened: 0 }
  const server = yield* listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    if (req.method === "GET" && url.pathname === "/sse") {
      streams.opened += 1
      const transport = new SSEServerTransport("/messages", res)
      transports.set(transport.sessionId, transport)
      const mcp = new McpServer({ name: "legacy", version: "1.0.0" })
      withBigTool(mcp)
      mcp.registerTool("echo", { inputSchema: { message: z.string() } }, ({ message }) => ({
        content: [{ type: "text", text: message }]
      }))
      mcp.registerTool(
        "slow",
        { inputSchema: { ms: z.number() } },
        ({ ms }) =>
          new Promise((resolve) => setTimeout(() => resolve({ content: [{ type: "text", text: "done" }] }), ms))
      )
      void mcp.connect(transport)
      return
    }
    const transport = transports.get(url.searchParams.get("sessionId") ?? "")
    if (req.method === "POST" && transport !== undefined) return void transport.handlePostMessage(req, res)
    res.writeHead(404).end()
  })
  return { url: `${server.url}/sse`, streams }
})

const readBody = (req: IncomingMessage): Promise<{ id?: unknown; method?: string; params?: { name?: string } }> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))))
  })

const CHUNK = "x".repeat(64 * 1024)

/** Write `bytes` more of `res` in chunks, waiting for the socket to drain (or until the client closes it). */
const pour = (res: ServerResponse, bytes: number) =>
  new Promise<void>((resolve) => {
    let left = bytes
    const more = () => {
      while (left > 0 && !res.destroyed) {
        left -= CHUNK.length
        if (!res.write(CHUNK)) return void res.once("drain", more)
      }
      resolve()
    }
    res.once("close", resolve)
    more()
  })

/**
 * A hand-written Streamable HTTP upstream (one session): `echo` answers JSON; `json-big` a JSON body of 3 MB;
 * `endless` an SSE stream whose event never ends. Its standalone GET stream is held open for the test to pour into.
 */
const handWrittenUpstream = Effect.gen(function* () {
  const state = { endlessClosed: false, getStream: null as ServerResponse | null }
  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { "content-type": "application/json", "mcp-session-id": "only" })
    res.end(JSON.stringify(body))
  }
  const server = yield* listen((req, res) => {
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.flushHeaders()
      state.getStream = res
      return
    }
    if (req.method !== "POST") return void res.writeHead(405).end()
    void readBody(req).then((request) => {
      const { id, method } = request
      if (method === "initialize") {
        return json(res, {
          jsonrpc: "2.0",
          id,
          result: {
            protocolVersion: "2025-11-25",
            capabilities: { tools: {} },
            serverInfo: { name: "hand", version: "0" }
          }
        })
      }
      if (id === undefined) return void res.writeHead(202).end()
      const tool = request.params?.name
      if (tool === "json-big") {
        return json(res, { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "x".repeat(TOO_BIG) }] } })
      }
      if (tool === "endless") {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write(
          `event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`
        )
        res.once("close", () => {
          state.endlessClosed = true
        })
        return void pour(res, Number.POSITIVE_INFINITY)
      }
      json(res, {
        jsonrpc: "2.0",
        id,
        result: method === "ping" ? {} : { content: [{ type: "text", text: "echoed" }] }
      })
    })
  })
  return { url: `${server.url}/mcp`, state }
})

/** The memory this process holds after a full collection (heap and buffers). */
setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void
const retainedBytes = () => {
  collect()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

const eventually = (condition: () => boolean) =>
  Effect.sync(condition).pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (done) => done, times: 500 })
  )

describe("results over max_result_bytes (issue 14 §2)", () => {
  it("the config's max_result_bytes reaches the transport: 16777216 by default; a bad value is refused, naming it", () => {
    const decoded = (extra: Record<string, unknown>) => decodeConfig({ mcpServers: {}, ...extra }, "test")
    expect(transportOptions(Either.getOrThrow(decoded({}))).maxResultBytes).toBe(16_777_216)
    expect(transportOptions(Either.getOrThrow(decoded({ max_result_bytes: LIMIT }))).maxResultBytes).toBe(LIMIT)
    const refused = decoded({ max_result_bytes: 0 })
    expect(Either.isLeft(refused) && refused.left.message).toMatch(/max_result_bytes/)
  })

  it.scopedLive(
    "Streamable HTTP: a result over the limit fails that call alone, naming the limit; the session and a call in flight go on",
    () =>
      Effect.gen(function* () {
        const upstream = yield* startHttpUpstream({ name: "alpha", extend: withBigTool })
        const manager = yield* Manager
        yield* manager.register("alpha", httpUpstream(upstream.url))
        yield* manager.initializeServer("alpha")
        yield* oversizedAmongOthers({ name: "slow", args: { ms: 500 }, answer: "done" })
        expect(text((yield* manager.invokeTool("echo", { message: "after" })).result)).toBe("alpha: after")
        expect(upstream.counters.sessions).toBe(1)
        expect(upstream.counters.openings).toBe(1)
      }).pipe(Effect.provide(att()))
  )

  it.scopedLive(
    "stdio: a line over the limit fails that call alone (the id read past the result); the same child serves on",
    () =>
      Effect.gen(function* () {
        const manager = yield* Manager
        const fixture = join(ROOT, "test", "fixtures", "upstream-server.ts")
        yield* manager.register("gamma", {
          transport: "stdio",
          command: process.execPath,
          args: ["--conditions=att-source", "--import", "tsx", fixture, "gamma", "stdio"],
          cwd: ROOT
        })
        const initialized = yield* manager.initializeServer("gamma")
        expect(initialized.last_error).toBeNull()
        const children = () => childPids(process.pid).filter((pid) => commandLineOf(pid).includes("gamma"))
        const before = children()
        expect(before.length).toBe(1)
        yield* oversizedAmongOthers({ name: "slow", args: { ms: 500 }, answer: "gamma: slept 500" })
        expect(text((yield* manager.invokeTool("echo", { message: "after" })).result)).toBe("gamma: after")
        expect(children()).toEqual(before)
      }).pipe(Effect.provide(att())),
    20_000
  )

  it.scopedLive(
    "legacy SSE: an event over the limit on the session's stream fails its call alone; the stream goes on",
    () =>
      Effect.gen(function* () {
        const upstream = yield* legacySseUpstream
        const manager = yield* Manager
        yield* manager.register("legacy", { transport: "sse", url: upstream.url })
        yield* manager.initializeServer("legacy")
        yield* oversizedAmongOthers({ name: "slow", args: { ms: 500 }, answer: "done" })
        expect(text((yield* manager.invokeTool("echo", { message: "after" })).result)).toBe("after")
        expect(upstream.streams.opened).toBe(1)
      }).pipe(Effect.provide(att()))
  )

  it.scopedLive("a JSON body over the limit fails its call alone", () =>
    Effect.gen(function* () {
      const upstream = yield* handWrittenUpstream
      const manager = yield* Manager
      yield* manager.register("hand", httpUpstream(upstream.url))
      const failed = yield* invocationError(manager.invokeTool("json-big", {}))
      expect(failed.attempts.at(-1)).toMatchObject(OVERSIZED)
      expect(text((yield* manager.invokeTool("echo", {})).result)).toBe("echoed")
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("hand")).active).toBe(true)
    }).pipe(Effect.provide(att()))
  )

  it.scopedLive("an SSE event that never ends is cut off at the limit: its call fails then, not at the timeout", () =>
    Effect.gen(function* () {
      const upstream = yield* handWrittenUpstream
      const manager = yield* Manager
      yield* manager.register("hand", httpUpstream(upstream.url))
      const failed = yield* invocationError(manager.invokeTool("endless", {}))
      expect(failed.attempts.at(-1)).toMatchObject(OVERSIZED)
      yield* eventually(() => upstream.state.endlessClosed)
      expect(upstream.state.endlessClosed).toBe(true) // att closed the stream
      expect(text((yield* manager.invokeTool("echo", {})).result)).toBe("echoed")
    }).pipe(Effect.provide(att(60_000)))
  )

  it.scopedLive(
    "an endless event on the session's GET stream is read past without being kept; the stream stays open",
    () =>
      Effect.gen(function* () {
        const upstream = yield* handWrittenUpstream
        const manager = yield* Manager
        yield* manager.register("hand", httpUpstream(upstream.url))
        yield* manager.initializeServer("hand")
        yield* eventually(() => upstream.state.getStream !== null)
        const stream = upstream.state.getStream as ServerResponse
        const baseline = retainedBytes()
        yield* Effect.promise(() => pour(stream, 32 * LIMIT))
        // Until att has read what the upstream's socket still buffers (in this same process: it counts as retained
        // while unread; on a loaded machine that takes a while). Had att kept the event, it would never fall below.
        const grown = yield* Effect.sync(() => retainedBytes() - baseline).pipe(
          Effect.repeat({
            schedule: Schedule.spaced("100 millis"),
            until: (bytes) => bytes < 8 * 1024 * 1024 && stream.writableLength === 0,
            times: 100
          })
        )
        expect(grown).toBeLessThan(8 * 1024 * 1024)
        expect(stream.destroyed).toBe(false)
        expect(text((yield* manager.invokeTool("echo", {})).result)).toBe("echoed")
      }).pipe(Effect.provide(att()))
  )
})
