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

/**
 * Whose upstream session serves a client that can answer the upstream's own requests (sampling, elicitation, roots):
 * `auto`, the one session all clients share where the transport tells which call each such request belongs to
 * (Streamable HTTP), else a session of the client's own; `shared`, always the shared one (such requests are then not
 * offered); `per_client`, always its own.
 */
export const SessionMode = Schema.Literal("auto", "shared", "per_client")
export type SessionMode = typeof SessionMode.Type

/** Everything a Transport needs to reach one registered server. Secrets (headers, env) stay here, never on the wire. */
export interface UpstreamTarget {
  readonly name: string
  readonly upstream: Upstream
  /** Per-call timeout override in milliseconds; the transport's default applies when absent. */
  readonly callTimeoutMs?: number | undefined
  /** Default `auto`. */
  readonly sessionMode?: SessionMode | undefined
  /** Set on a call that must use the upstream session of this client of att's own (opened on first use). */
  readonly clientSession?: string | undefined
}

/** The target of a call made for `client` (one that can answer upstream requests): its own session when it needs one. */
export const targetFor = (target: UpstreamTarget, client: string | undefined): UpstreamTarget => {
  if (client === undefined) return target
  const mode = target.sessionMode ?? "auto"
  const own = mode === "per_client" || (mode === "auto" && target.upstream.transport !== "streamable-http")
  return own ? { ...target, clientSession: client } : target
}

/**
 * Where a target's session is kept: the server's name for the session its clients share, the name and the client for
 * a client's own.
 */
export const slotOf = (target: UpstreamTarget): string =>
  target.clientSession === undefined ? target.name : `${target.name}\u0000${target.clientSession}`

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
