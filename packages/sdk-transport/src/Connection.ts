import type { Upstream } from "@att/core"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { FetchLike, Transport as SdkClientTransport } from "@modelcontextprotocol/sdk/shared/transport.js"
import { Agent } from "undici"
import { type AddressRefusal, guardedConnector } from "./AddressGuard.js"
import { type StreamRequestObserver, boundedFetch } from "./BoundedFetch.js"
import { BoundedStdioTransport } from "./StdioClient.js"
import { traceHeadersOfBody } from "./TraceHeaders.js"
import { splitUserinfo } from "./Userinfo.js"

export interface UpstreamConnection {
  readonly transport: SdkClientTransport
  /** End the session at the upstream: a Streamable HTTP session is deleted (MCP's `DELETE`); others: nothing. */
  readonly terminate: () => Promise<void>
  /** Close what the session owns besides the transport: its HTTP connection pool. */
  readonly dispose: () => Promise<void>
}

const NOTHING = () => Promise.resolve()

/** What a connection reports and carries for telemetry. */
export interface ConnectionTelemetry {
  /** The size of each message answering a request (att_result_bytes). */
  readonly resultBytes: (bytes: number) => void
  /** A tracer records spans: each request's trace context (in its `_meta`) also goes out as HTTP headers. */
  readonly traced: boolean
}

/**
 * The SDK client transport for an upstream, every message from it bounded by `maxResultBytes`. An HTTP upstream gets
 * a connection pool of its own, destroyed with the session, so a closed session leaves no idle keep-alive socket
 * behind (and sessions never share sockets).
 */
export const connectionFor = (
  upstream: Upstream,
  refuse: AddressRefusal | undefined,
  maxResultBytes: number,
  sleep: (ms: number) => Promise<void>,
  telemetry: ConnectionTelemetry,
  onStreamRequest?: StreamRequestObserver
): UpstreamConnection => {
  if (upstream.transport === "stdio") {
    return {
      transport: new BoundedStdioTransport({
        command: upstream.command,
        args: upstream.args ?? [],
        env: { ...getDefaultEnvironment(), ...upstream.env },
        ...(upstream.cwd === undefined ? {} : { cwd: upstream.cwd }),
        maxMessageBytes: maxResultBytes,
        sleep,
        resultBytes: telemetry.resultBytes
      }),
      terminate: NOTHING,
      dispose: NOTHING
    }
  }
  // A request sent on a connection the server is closing that moment fails ("other side closed") without reaching
  // it, so att lets an idle connection go first: 2 s before the keep-alive timeout a server advertises
  // (`Keep-Alive: timeout=5` from Node's servers; undici's default margin is 1 s, and its timers fire up to a second
  // late), and after 3 s when it advertises none (the SDK's servers answer with their own `Connection` header, so
  // Node adds no `Keep-Alive`, and still close after its 5 s).
  const agent = new Agent({
    keepAliveTimeout: 3_000,
    keepAliveTimeoutThreshold: 2_000,
    ...(refuse === undefined ? {} : { connect: guardedConnector(refuse) })
  })
  // Credentials in the URL are sent as Basic authentication, unless a configured header says otherwise.
  const { url: target, authorization } = splitUserinfo(upstream.url)
  const pooledFetch: FetchLike = (url, init) => {
    const { signal: _sessionWide, ...request } = init ?? {}
    const headers = new Headers(request.headers)
    if (authorization !== undefined) headers.set("authorization", authorization)
    for (const [key, value] of Object.entries(upstream.headers ?? {})) headers.set(key, value)
    if (telemetry.traced) {
      const trace = traceHeadersOfBody(request.body)
      if (trace !== null) {
        headers.set("traceparent", trace.traceparent)
        if (trace.tracestate !== undefined) headers.set("tracestate", trace.tracestate)
      }
    }
    // Node's fetch is undici: `dispatcher` selects this session's pool. The SDK's signal is one for the whole session;
    // undici hangs a listener on it per request and drops it only at garbage collection, so under load thousands pile
    // up and every request pays for walking them. It is left out: closing the session destroys the pool, which ends
    // every request and stream of the session just as the signal would.
    return fetch(url, { ...request, headers, dispatcher: agent } as unknown as RequestInit)
  }
  const bounded = boundedFetch(pooledFetch, maxResultBytes, { resultBytes: telemetry.resultBytes, onStreamRequest })
  const dispose = () => agent.destroy().catch(() => undefined)
  if (upstream.transport === "sse") {
    const transport = new SSEClientTransport(new URL(target), {
      fetch: bounded,
      eventSourceInit: { fetch: bounded }
    })
    return { transport, terminate: NOTHING, dispose }
  }
  const transport = new StreamableHTTPClientTransport(new URL(target), { fetch: bounded })
  return {
    transport,
    terminate: () => (transport.sessionId === undefined ? NOTHING() : transport.terminateSession()),
    dispose
  }
}
