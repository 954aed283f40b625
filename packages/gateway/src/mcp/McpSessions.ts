import type { SessionBudgetShape } from "@att/core"
import { recordMcpSessions } from "@att/core/internal"
import { randomUUID } from "node:crypto"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
import type { Transport as SdkTransportLike } from "@modelcontextprotocol/sdk/shared/transport.js"
import { type EventStoreLimits, SessionEventStore } from "./SessionEventStore.js"

/** Anything that serves MCP over a transport: the SDK's `Server` or `McpServer`. */
export interface ConnectableServer {
  connect(transport: SdkTransportLike): Promise<void>
  close(): Promise<void>
}

interface Session {
  readonly transport: WebStandardStreamableHTTPServerTransport
  readonly server: ConnectableServer
  /** When the session last received a request (ms, from the caller's clock). */
  lastActive: number
}

export interface SessionLimits {
  /**
   * The places sessions take (`max_mcp_sessions`, shared with the upstream sessions of a client's own): a new session
   * with none left is refused (503).
   */
  readonly budget: SessionBudgetShape
  /** A session with no request for this long may be ended by `endIdle`. */
  readonly idleMs: number
  /** What each session keeps of its SSE events for a client that resumes (`Last-Event-ID`). */
  readonly events: EventStoreLimits
  /** Put before each new session id (names the replica that holds the session; empty for none). */
  readonly idPrefix?: string | undefined
}

const jsonRpcError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }), {
    status,
    headers: { ...headers, "content-type": "application/json" }
  })

const OPENED = new TextEncoder().encode(": open\n\n")

/**
 * An SSE stream that starts with a comment line, so its head reaches the client now: the server sends a response's
 * head with its first bytes, and a GET stream may have nothing to say until its first keep-alive, 15 s later.
 */
const startsAtOnce = (response: Response): Response => {
  if (response.status !== 200 || response.body === null) return response
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return response
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({ start: (controller) => controller.enqueue(OPENED) })
  )
  return new Response(body, { status: response.status, headers: response.headers })
}

const isInitialize = (body: unknown): boolean => {
  const messages = Array.isArray(body) ? body : [body]
  return messages.some(
    (message) =>
      typeof message === "object" && message !== null && (message as { method?: unknown }).method === "initialize"
  )
}

/**
 * Stateful Streamable HTTP sessions over web-standard requests: one SDK transport and one server (from
 * `makeServer`) per session, found by the `mcp-session-id` header. Unknown session: 404; none and not an
 * initialize: 400. Every SSE event has an id; a client that lost a stream resumes it with `Last-Event-ID` from the
 * session's bounded event store. Bounded: at most `max` sessions (503 with `Retry-After` above), idle ones ended
 * by `endIdle`, `DELETE` ends one. The body comes already parsed (the HTTP pipeline read it under its limits).
 */
export class McpSessions {
  private readonly sessions = new Map<string, Session>()

  constructor(
    private readonly makeServer: () => ConnectableServer,
    private readonly limits: SessionLimits,
    /** Told each time a session opens (the idle sweeper waits for one). */
    private readonly onOpen: () => void = () => undefined,
    /** Told when a session ends whose event store dropped events to stay within its bounds. */
    private readonly onEventsDropped: (dropped: number) => void = () => undefined
  ) {}

  get size(): number {
    return this.sessions.size
  }

  async handle(request: Request, body: unknown, now: number): Promise<Response> {
    const id = request.headers.get("mcp-session-id")
    if (id !== null) {
      const session = this.sessions.get(id)
      if (session === undefined) return jsonRpcError(404, -32001, "Session not found")
      session.lastActive = now
      return startsAtOnce(await session.transport.handleRequest(request, { parsedBody: body }))
    }
    if (request.method !== "POST" || !isInitialize(body)) {
      return jsonRpcError(400, -32000, "Bad Request: No valid session ID provided")
    }
    // A session whose initialize is under way takes its place before it has an id.
    const budget = this.limits.budget
    if (!budget.tryAcquire()) {
      return jsonRpcError(503, -32000, `Too many MCP sessions (max_mcp_sessions ${budget.max}); try again later`, {
        "retry-after": "5"
      })
    }
    let opened = false
    try {
      const response = await this.open(request, body, now, () => {
        opened = true
      })
      return response
    } finally {
      if (!opened) budget.release()
    }
  }

  /** Open a session; `onOpened` once it has an id (its place of the budget is then given back when it closes). */
  private async open(request: Request, body: unknown, now: number, onOpened: () => void): Promise<Response> {
    const server = this.makeServer()
    const events = new SessionEventStore(this.limits.events)
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => `${this.limits.idPrefix ?? ""}${randomUUID()}`,
      eventStore: events,
      onsessioninitialized: (id) => {
        onOpened()
        this.sessions.set(id, { transport, server, lastActive: now })
        recordMcpSessions(this.sessions.size)
        this.onOpen()
      }
    })
    transport.onclose = () => {
      if (transport.sessionId !== undefined && this.sessions.delete(transport.sessionId)) {
        recordMcpSessions(this.sessions.size)
        this.limits.budget.release()
      }
      if (events.dropped > 0) this.onEventsDropped(events.dropped)
    }
    await server.connect(transport)
    const response = await transport.handleRequest(request, { parsedBody: body })
    // An initialize the transport refused (a malformed message, an unsupported version) opened no session: close the
    // server made for it, or every such request would leave one behind.
    if (transport.sessionId === undefined || !this.sessions.has(transport.sessionId)) await server.close()
    return response
  }

  /** When the session idle longest would end if no request came (ms), or null when there is none. */
  nextExpiry(): number | null {
    let oldest: number | null = null
    for (const session of this.sessions.values()) {
      if (oldest === null || session.lastActive < oldest) oldest = session.lastActive
    }
    return oldest === null ? null : oldest + this.limits.idleMs
  }

  /** End the sessions that received no request since `now - idleMs`; answers how many ended. */
  async endIdle(now: number): Promise<number> {
    const idle = [...this.sessions.values()].filter((session) => now - session.lastActive >= this.limits.idleMs)
    await Promise.all(idle.map((session) => session.server.close().catch(() => undefined)))
    return idle.length
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(all.map((session) => session.server.close().catch(() => undefined)))
  }
}
