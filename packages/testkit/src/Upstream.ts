import { randomUUID } from "node:crypto"
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { z } from "zod"

/** What a test upstream has seen, counted at the upstream. */
export interface UpstreamCounters {
  initialize: number
  toolCalls: number
  cancelled: number
  sessions: number
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
}

export interface UpstreamOptions {
  readonly name: string
  /** Register more tools on each session's server. */
  readonly extend?: (server: McpServer, counters: UpstreamCounters) => void
}

const readBody = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      try {
        resolve(text === "" ? undefined : JSON.parse(text))
      } catch (error) {
        reject(error)
      }
    })
    req.on("error", reject)
  })

/** The default tools: `echo {message}`, `add {a, b}`, `slow {ms}` (cancellable), `fail`; resource `test://static`. */
const makeServer = (options: UpstreamOptions, counters: UpstreamCounters) => {
  const server = new McpServer({ name: options.name, version: "1.0.0" })
  server.registerTool("echo", { description: "Echo a message", inputSchema: { message: z.string() } }, ({ message }) => {
    counters.toolCalls += 1
    return { content: [{ type: "text", text: `${options.name}: ${message}` }] }
  })
  server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => {
    counters.toolCalls += 1
    return { content: [{ type: "text", text: String(a + b) }], structuredContent: { sum: a + b } }
  })
  server.registerTool("slow", { description: "Answer after ms", inputSchema: { ms: z.number() } }, ({ ms }, extra) => {
    counters.toolCalls += 1
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ content: [{ type: "text", text: "done" }] }), ms)
      extra.signal.addEventListener("abort", () => {
        clearTimeout(timer)
        counters.cancelled += 1
        resolve({ content: [{ type: "text", text: "cancelled" }] })
      })
    })
  })
  server.registerTool("fail", { description: "Always fails" }, () => {
    counters.toolCalls += 1
    return { content: [{ type: "text", text: "failed on purpose" }], isError: true }
  })
  server.registerResource("static", "test://static", { mimeType: "text/plain" }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: `static from ${options.name}` }]
  }))
  options.extend?.(server, counters)
  return server
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
      const counters: UpstreamCounters = { initialize: 0, toolCalls: 0, cancelled: 0, sessions: 0 }
      const transports = new Map<string, StreamableHTTPServerTransport>()
      let hung = false
      const handle = async (req: IncomingMessage, res: ServerResponse) => {
        if (hung) return
        const sessionId = req.headers["mcp-session-id"]
        const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined
        const body = req.method === "POST" ? await readBody(req) : undefined
        if (hung) return
        if (existing !== undefined) return existing.handleRequest(req, res, body)
        if (req.method === "POST" && isInitializeRequest(body)) {
          counters.initialize += 1
          const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id) => {
              counters.sessions += 1
              transports.set(id, transport)
            }
          })
          transport.onclose = () => {
            if (transport.sessionId !== undefined) transports.delete(transport.sessionId)
          }
          await makeServer(options, counters).connect(transport)
          return transport.handleRequest(req, res, body)
        }
        res.writeHead(typeof sessionId === "string" ? 404 : 400, { "content-type": "application/json" })
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "No valid session" }, id: null }))
      }
      const http = createServer((req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500)
          res.end()
        })
      })
      const port = yield* listen(http)
      const close = Effect.sync(() => {
        http.closeAllConnections()
        http.close()
        for (const transport of transports.values()) void transport.close()
        transports.clear()
      })
      const upstream: RunningUpstream = {
        name: options.name,
        url: `http://127.0.0.1:${port}/mcp`,
        port,
        counters,
        hang: Effect.sync(() => {
          hung = true
        }),
        close
      }
      return upstream
    }),
    (upstream) => upstream.close
  )
