import { Context, Layer } from "effect"
import { DeclaredServers } from "./config/DeclaredServers.js"
import type { PrefixMode } from "./mcp/Exposure.js"

/** Settings of the HTTP service itself (not of the manager). */
export interface GatewaySettings {
  /** Refuse HTTP registration of private-range addresses unless true. */
  readonly allowPrivateNetworks: boolean
  /** At most this many registered servers; registering more answers 400. */
  readonly maxServers: number
  /** Bearer token required on every route when set. */
  readonly authToken: string | null
  /** Largest accepted request body, in bytes (413 above). */
  readonly maxBodyBytes: number
  /** The order tried when a request names no `preferred_servers`. */
  readonly preferredOrder: ReadonlyArray<string>
  /** How many capability (list drift) events are kept. */
  readonly maxCapabilityEvents: number
  /** Tools that `/mcp` may repeat on another server after a failure that may have reached an upstream. */
  readonly idempotentTools: ReadonlyArray<string>
  /** Host names accepted in the Host header besides loopback and the bound address (DNS-rebinding protection). */
  readonly allowedHosts: ReadonlyArray<string>
  /** How `/mcp` names upstream tools. */
  readonly prefixMode: PrefixMode
  /** Deepest JSON nesting a request body may have (400 deeper). */
  readonly maxJsonDepth: number
  /** Origins besides att's own whose pages may call it (CORS); any other `Origin` is refused (403). */
  readonly allowedOrigins: ReadonlyArray<string>
  /** Take the Host from `X-Forwarded-Host` (and the scheme from `X-Forwarded-Proto`): only behind a proxy. */
  readonly trustProxy: boolean
  /** The address att listens on, accepted as a Host besides loopback names; null when unknown. */
  readonly boundHost: string | null
  /** At most this many `/mcp` sessions at once (503 with `Retry-After` above). */
  readonly maxMcpSessions: number
  /** A `/mcp` session with no request for this long ends. */
  readonly mcpSessionIdleSeconds: number
  /** The SSE events each `/mcp` session keeps for a client that resumes with `Last-Event-ID` (oldest dropped). */
  readonly mcpEventStoreSize: number
  /** ... and at most this many bytes of them. */
  readonly mcpEventStoreBytes: number
  /** The most items in one page of att's own lists on `/mcp` (tools, resources, templates, prompts). */
  readonly listPageSize: number
  /** The most of each upstream's `instructions` passed on to `/mcp` clients, in UTF-8 bytes. */
  readonly maxInstructionsBytes: number
  /** The servers the config file declares (kept current by the config watch): the API answers 409 for them. */
  readonly declaredServers: DeclaredServers
}

export const defaultGatewaySettings: GatewaySettings = {
  allowPrivateNetworks: false,
  maxServers: 256,
  authToken: null,
  maxBodyBytes: 1024 * 1024,
  preferredOrder: [],
  maxCapabilityEvents: 500,
  idempotentTools: [],
  allowedHosts: [],
  prefixMode: "conditional",
  maxJsonDepth: 64,
  allowedOrigins: [],
  trustProxy: false,
  boundHost: null,
  maxMcpSessions: 256,
  mcpSessionIdleSeconds: 1800,
  mcpEventStoreSize: 1000,
  mcpEventStoreBytes: 16 * 1024 * 1024,
  listPageSize: 100,
  maxInstructionsBytes: 8192,
  declaredServers: new DeclaredServers()
}

export class GatewayOptions extends Context.Tag("att/GatewayOptions")<GatewayOptions, GatewaySettings>() {
  static readonly layer = (settings: Partial<GatewaySettings> = {}) =>
    Layer.succeed(GatewayOptions, { ...defaultGatewaySettings, ...settings })
}
