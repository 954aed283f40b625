import { Schema } from "effect"
import { redactUrl } from "../Secrets.js"

/** How att reaches an upstream MCP server over HTTP (Streamable HTTP or the older SSE transport). */
export const HttpUpstream = Schema.Struct({
  transport: Schema.Literal("streamable-http", "sse"),
  url: Schema.String,
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})
export type HttpUpstream = typeof HttpUpstream.Type

/** How att starts an upstream MCP server as a child process speaking stdio. */
export const StdioUpstream = Schema.Struct({
  transport: Schema.Literal("stdio"),
  command: Schema.String,
  args: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  cwd: Schema.optional(Schema.String)
})
export type StdioUpstream = typeof StdioUpstream.Type

export const Upstream = Schema.Union(HttpUpstream, StdioUpstream)
export type Upstream = typeof Upstream.Type

/** Everything a Transport needs to reach one registered server. Secrets (headers, env) stay here, never on the wire. */
export interface UpstreamTarget {
  readonly name: string
  readonly upstream: Upstream
  /** Per-call timeout override in milliseconds; the transport's default applies when absent. */
  readonly callTimeoutMs?: number | undefined
}

/** Shorthand for the common case: a Streamable HTTP upstream at `url`. */
export const httpUpstream = (url: string, headers?: Record<string, string>): HttpUpstream =>
  headers === undefined ? { transport: "streamable-http", url } : { transport: "streamable-http", url, headers }

/**
 * The display URL of an upstream: the URL without its credentials (`redactUrl`), or `stdio:<command>` (arguments and
 * env may carry secrets).
 */
export const displayUrl = (upstream: Upstream): string =>
  upstream.transport === "stdio" ? `stdio:${upstream.command}` : redactUrl(upstream.url)

/** Two upstreams address the same endpoint (a change means the cached session must be closed). */
export const sameEndpoint = (a: Upstream, b: Upstream): boolean => JSON.stringify(a) === JSON.stringify(b)
