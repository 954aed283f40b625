import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Duration, Effect } from "effect"
import { z } from "zod"
import { statefulMcpHandler } from "@att/sdk-transport/stateful-http"

/** What a test upstream has seen, counted at the upstream. */
export interface UpstreamCounters {
  initialize: number
  toolCalls: number
  cancelled: number
  sessions: number
  /** Requests that would open a session (no `mcp-session-id`), counted even while hung. */
  openings: number
  /** Sessions the client ended (`DELETE`). */
  ended: number
  /** `notifications/initialized` received, over all sessions. */
  initializedNotifications: number
}

export interface RunningUpstream {
  readonly name: string
  /** The Streamable HTTP endpoint, ending in `/mcp`. */
  readonly url: string
  readonly port: number
  readonly counters: UpstreamCounters
  /** From now on, accept requests and never answer them (a hung upstream). */
  readonly hang: Effect.Effect<void>
  /** Stop listening and cut every connection (a crashed upstream). */
  readonly close: Effect.Effect<void>
  /**
   * From now on, answer every request on the sessions seen so far with 400 "No valid session ID provided", as the
   * SDK's example servers do for a session they do not know (after a restart, say).
   */
  readonly forgetSessions: Effect.Effect<void>
  /**
   * From now on, answer every request on the sessions seen so far with 404 "Session not found", as MCP says a server
   * does for a session it ended: the client must start a new session.
   */
  readonly expireSessions: Effect.Effect<void>
  /** The session ids requests carried, in the order first seen. */
  readonly sessionIds: () => ReadonlyArray<string>
  /** How many connections that carried a request of the session are still open (a closed client closes its own). */
  readonly openConnections: (sessionId: string) => number
  /**
   * The connections that ended so far, by who ended them: the client (its end came first) or this server (its
   * keep-alive timeout, a crash). A client that lets an idle connection go before the server's keep-alive timeout
   * never sends a request on a connection the server is closing.
   */
  readonly endedConnections: () => { readonly byClient: number; readonly byServer: number }
}

export interface UpstreamOptions {
  readonly name: string
  /** Register more tools on each session's server. */
  readonly extend?: (server: McpServer, counters: UpstreamCounters) => void
  /** The `instructions` of its initialize result. */
  readonly instructions?: string
  /** Answer 401 to a request without exactly this `Authorization` header. */
  readonly authorization?: string
  /** Close a connection idle this long (Node's `keepAliveTimeout`, advertised as `Keep-Alive: timeout=<s>`; 5 s). */
  readonly keepAliveTimeoutMs?: number
}

/** The default tools: `echo {message}`, `add {a, b}`, `slow {ms}` (cancellable), `fail`; resource `test://static`. */
const makeServer = (options: UpstreamOptions, counters: UpstreamCounters) => {
  const server = new McpServer(
    { name: options.name, version: "1.0.0" },
    options.instructions === undefined ? {} : { instructions: options.instructions }
  )
  server.registerTool(
    "echo",
    { description: "Echo a message", inputSchema: { message: z.string() } },
    ({ message }) => {
      counters.toolCalls += 1
      return { content: [{ type: "text", text: `${options.name}: ${message}` }] }
    }
  )
  server.registerTool(
    "add",
    { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }) => {
      counters.toolCalls += 1
      return { content: [{ type: "text", text: String(a + b) }], structuredContent: { sum: a + b } }
    }
  )
  server.registerTool("slow", { description: "Answer after ms", inputSchema: { ms: z.number() } }, ({ ms }, extra) => {
    counters.toolCalls += 1
    // Sleeps on Effect's clock; a cancelled request (the SDK aborts the handler's signal) ends the sleep at once.
    const cancelled = Effect.async<string>((resume) => {
      extra.signal.addEventListener("abort", () => {
        counters.cancelled += 1
        resume(Effect.succeed("cancelled"))
      })
    })
    const answer = Effect.race(Effect.as(Effect.sleep(Duration.millis(ms)), "done"), cancelled)
    return Effect.runPromise(Effect.map(answer, (text) => ({ content: [{ type: "text" as const, text }] })))
  })
  server.registerTool("fail", { description: "Always fails" }, () => {
    counters.toolCalls += 1
    return { content: [{ type: "text", text: "failed on purpose" }], isError: true }
  })
  server.registerResource("static", "test://static", { mimeType: "text/plain" }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: `static from ${options.name}` }]
  }))
  server.server.oninitialized = () => {
    counters.initializedNotifications += 1
  }
  options.extend?.(server, counters)
  return server
}

/** A JSON-RPC error answer with an HTTP status, as the SDK's servers send one. */
const refuse = (res: ServerResponse, status: number, code: number, message: string) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }))
}

const listen = (http: Server) =>
  Effect.async<number>((resume) => {
    http.listen(0, "127.0.0.1", () => resume(Effect.succeed((http.address() as AddressInfo).port)))
  })

/**
 * A real MCP upstream for tests: the SDK's McpServer over Streamable HTTP (stateful, one transport per session) on
 * 127.0.0.1, port 0. Scoped: closed with its scope.
 */
export const startHttpUpstream = (options: UpstreamOptions) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const counters: UpstreamCounters = {
        initialize: 0,
        toolCalls: 0,
        cancelled: 0,
        sessions: 0,
        openings: 0,
        ended: 0,
        initializedNotifications: 0
      }
      let hung = false
      const endpoint = statefulMcpHandler(() => makeServer(options, counters), {
        onInitialize: () => {
          counters.initialize += 1
        },
        onSession: () => {
          counters.sessions += 1
        }
      })
      // Every session id requests carried, with the connections they came on while those are open.
      const connections = new Map<string, Set<Socket>>()
      const forgotten = new Set<string>()
      const expired = new Set<string>()
      const handle = async (req: IncomingMessage, res: ServerResponse) => {
        const sessionId = req.headers["mcp-session-id"]
        if (sessionId === undefined) counters.openings += 1
        if (req.method === "DELETE") counters.ended += 1
        if (hung) return
        if (options.authorization !== undefined && req.headers.authorization !== options.authorization)
          return refuse(res, 401, -32001, "Unauthorized")
        if (typeof sessionId !== "string") return endpoint.handle(req, res)
        if (forgotten.has(sessionId)) return refuse(res, 400, -32000, "Bad Request: No valid session ID provided")
        if (expired.has(sessionId)) return refuse(res, 404, -32001, "Session not found")
        return endpoint.handle(req, res)
      }
      const http = createServer((req, res) => {
        const sessionId = req.headers["mcp-session-id"]
        if (typeof sessionId === "string") {
          const sockets = connections.get(sessionId) ?? new Set<Socket>()
          connections.set(sessionId, sockets)
          if (!req.socket.destroyed && !sockets.has(req.socket)) {
            sockets.add(req.socket)
            req.socket.once("close", () => sockets.delete(req.socket))
          }
        }
        handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500)
          res.end()
        })
      })
      if (options.keepAliveTimeoutMs !== undefined) http.keepAliveTimeout = options.keepAliveTimeoutMs
      const ended = { byClient: 0, byServer: 0 }
      http.on("connection", (socket: Socket) => {
        let clientEnded = false
        socket.once("end", () => {
          clientEnded = true
        })
        socket.once("close", () => {
          if (clientEnded) ended.byClient += 1
          else ended.byServer += 1
        })
      })
      const port = yield* listen(http)
      const close = Effect.sync(() => {
        http.closeAllConnections()
        http.close()
        endpoint.closeAll()
      })
      const upstream: RunningUpstream = {
        name: options.name,
        url: `http://127.0.0.1:${port}/mcp`,
        port,
        counters,
        hang: Effect.sync(() => {
          hung = true
        }),
        close,
        forgetSessions: Effect.sync(() => {
          for (const id of connections.keys()) forgotten.add(id)
        }),
        expireSessions: Effect.sync(() => {
          for (const id of connections.keys()) expired.add(id)
        }),
        sessionIds: () => [...connections.keys()],
        openConnections: (sessionId) => connections.get(sessionId)?.size ?? 0,
        endedConnections: () => ({ ...ended })
      }
      return upstream
    }),
    (upstream) => upstream.close
  )
