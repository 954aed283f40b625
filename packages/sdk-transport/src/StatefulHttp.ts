import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Transport as SdkTransportLike } from "@modelcontextprotocol/sdk/shared/transport.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"

export const readJsonBody = (req: IncomingMessage): Promise<unknown> =>
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

export interface StatefulHooks {
  readonly onInitialize?: () => void
  readonly onSession?: (sessionId: string) => void
}

/**
 * A stateful Streamable HTTP endpoint for `node:http`: one SDK transport (and one server from `makeServer`) per
 * session, found by the `mcp-session-id` header; 404 for an unknown session, 400 without one.
 */
/** Anything that serves MCP over a transport: the SDK's `McpServer` or its low-level `Server`. */
export interface ConnectableServer {
  connect(transport: SdkTransportLike): Promise<void>
}

export const statefulMcpHandler = (makeServer: () => ConnectableServer, hooks: StatefulHooks = {}) => {
  const transports = new Map<string, StreamableHTTPServerTransport>()
  /** Serve one request; `parsedBody`: a POST body the caller has read already. */
  const handle = async (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> => {
    const sessionId = req.headers["mcp-session-id"]
    const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined
    const body = parsedBody !== undefined ? parsedBody : req.method === "POST" ? await readJsonBody(req) : undefined
    if (existing !== undefined) return existing.handleRequest(req, res, body)
    if (req.method === "POST" && isInitializeRequest(body)) {
      hooks.onInitialize?.()
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          hooks.onSession?.(id)
          transports.set(id, transport)
        }
      })
      transport.onclose = () => {
        if (transport.sessionId !== undefined) transports.delete(transport.sessionId)
      }
      await makeServer().connect(transport)
      return transport.handleRequest(req, res, body)
    }
    res.writeHead(typeof sessionId === "string" ? 404 : 400, { "content-type": "application/json" })
    res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "No valid session" }, id: null }))
  }
  const closeAll = () => {
    for (const transport of transports.values()) void transport.close()
    transports.clear()
  }
  return { handle, closeAll }
}
