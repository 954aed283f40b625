import {
  HttpUpstream,
  MANAGER_DEFAULTS,
  type ManagerOptions,
  SessionMode,
  StdioUpstream,
  type Upstream
} from "@att/core"
import { sameEndpoint } from "@att/core/internal"
import { SDK_TRANSPORT_DEFAULTS, type SdkTransportOptions } from "@att/sdk-transport"
import { DEFAULT_LEASE_SECONDS, JOURNAL_DEFAULTS, type JournalSettings } from "@att/store"
import { Schema } from "effect"
import { type ConfiguredServer, DeclaredServers } from "./DeclaredServers.js"
import { type GatewaySettings, defaultGatewaySettings as gatewayDefaults } from "../GatewayOptions.js"
import { refusalForAddress } from "../security/AddressPolicy.js"

const PositiveInt = Schema.Int.pipe(Schema.positive())
const NonNegative = Schema.Number.pipe(Schema.nonNegative())

/** An HTTP upstream entry, as MCP clients already keep them. */
const HttpServerEntry = Schema.Struct({
  url: Schema.String.pipe(
    Schema.filter((url) => (URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)) || "must be an http(s) URL")
  ),
  transport: Schema.optionalWith(HttpUpstream.fields.transport, { default: () => "streamable-http" as const }),
  headers: HttpUpstream.fields.headers,
  timeout_ms: Schema.optional(PositiveInt),
  session_mode: Schema.optional(SessionMode)
})

/** A stdio upstream entry: att starts the command. */
const StdioServerEntry = Schema.Struct({
  command: Schema.String.pipe(Schema.minLength(1)),
  args: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  env: StdioUpstream.fields.env,
  cwd: StdioUpstream.fields.cwd,
  timeout_ms: Schema.optional(PositiveInt),
  session_mode: Schema.optional(SessionMode)
})

const ServerEntry = Schema.Union(HttpServerEntry, StdioServerEntry)

/**
 * `att.config.json`: `mcpServers` plus att's own options (all optional). The defaults of the manager's, the
 * transport's and the HTTP service's options are theirs (`MANAGER_DEFAULTS`, `SDK_TRANSPORT_DEFAULTS`,
 * `defaultGatewaySettings`); those of the service's process (health checks, Node's server limits, the drain) are here.
 */
export const ConfigFile = Schema.Struct({
  mcpServers: Schema.optionalWith(Schema.Record({ key: Schema.String, value: ServerEntry }), { default: () => ({}) }),
  health_interval_seconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 30 }),
  /** Each health-check interval is drawn within ±this fraction of `health_interval_seconds`: att instances
   * started together do not probe their upstreams in step. 0 keeps the interval exact. */
  health_jitter: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 0.5)), { default: () => 0.1 }),
  health_concurrency: Schema.optionalWith(PositiveInt, { default: () => 8 }),
  call_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => SDK_TRANSPORT_DEFAULTS.callTimeoutMs }),
  /** Bound on opening a session (a stdio child's start-up included); the call timeout when absent. */
  connect_timeout_ms: Schema.optional(PositiveInt),
  max_backoff_seconds: Schema.optionalWith(NonNegative, { default: () => MANAGER_DEFAULTS.maxBackoffSeconds }),
  unreachable_after: Schema.optionalWith(PositiveInt, { default: () => MANAGER_DEFAULTS.unreachableAfter }),
  max_initialization_age_seconds: Schema.optionalWith(Schema.NullOr(NonNegative), {
    default: () => MANAGER_DEFAULTS.maxInitializationAgeSeconds
  }),
  session_stale_after_seconds: Schema.optionalWith(Schema.NullOr(NonNegative), {
    default: () => MANAGER_DEFAULTS.sessionStaleAfterSeconds
  }),
  max_invocation_events: Schema.optionalWith(PositiveInt, { default: () => MANAGER_DEFAULTS.maxInvocationEvents }),
  max_connection_events: Schema.optionalWith(PositiveInt, { default: () => MANAGER_DEFAULTS.maxConnectionEvents }),
  max_capability_events: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.maxCapabilityEvents }),
  /** Tools `/mcp` may retry on another server after the request may have reached one (beside annotated ones). */
  idempotent_tools: Schema.optionalWith(Schema.Array(Schema.String), {
    default: () => gatewayDefaults.idempotentTools
  }),
  /** Host names accepted in the Host header besides loopback and the bound address (DNS-rebinding protection). */
  allowed_hosts: Schema.optionalWith(Schema.Array(Schema.String), { default: () => gatewayDefaults.allowedHosts }),
  /** Origins (`https://app.example`) whose pages may call att; any other `Origin` is refused. */
  allowed_origins: Schema.optionalWith(Schema.Array(Schema.String), { default: () => gatewayDefaults.allowedOrigins }),
  /** Behind a reverse proxy: take the Host from `X-Forwarded-Host` (ignored otherwise). */
  trust_proxy: Schema.optionalWith(Schema.Boolean, { default: () => gatewayDefaults.trustProxy }),
  max_json_depth: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.maxJsonDepth }),
  max_mcp_sessions: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.maxMcpSessions }),
  mcp_session_idle_seconds: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.mcpSessionIdleSeconds }),
  /** Each `/mcp` session keeps its last this many SSE events (and at most `mcp_event_store_bytes`) for resuming. */
  mcp_event_store_size: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.mcpEventStoreSize }),
  mcp_event_store_bytes: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.mcpEventStoreBytes }),
  /** At most this many items in one page of att's own lists on `/mcp`. */
  list_page_size: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.listPageSize }),
  /** Node's server limits: the whole head within this, the whole request within that (streams are exempt). */
  headers_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 10_000 }),
  request_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 60_000 }),
  keep_alive_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 5_000 }),
  max_connections: Schema.optionalWith(PositiveInt, { default: () => 1024 }),
  preferred_order: Schema.optionalWith(Schema.Array(Schema.String), { default: () => gatewayDefaults.preferredOrder }),
  auth_token: Schema.optionalWith(Schema.NullOr(Schema.String.pipe(Schema.minLength(1))), { default: () => null }),
  allow_private_networks: Schema.optionalWith(Schema.Boolean, { default: () => gatewayDefaults.allowPrivateNetworks }),
  max_servers: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.maxServers }),
  max_concurrent_calls_per_server: Schema.optionalWith(PositiveInt, {
    default: () => MANAGER_DEFAULTS.maxConcurrentCallsPerServer
  }),
  max_body_bytes: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.maxBodyBytes }),
  /** Distinct values of the metrics' `tool` label at most; calls of later tools are counted as `other`. */
  metrics_max_tools: Schema.optionalWith(Schema.Int.pipe(Schema.nonNegative()), {
    default: () => MANAGER_DEFAULTS.metricsMaxTools
  }),
  /** Bound on one message from an upstream (a result): a bigger one fails its call alone, naming the limit. */
  max_result_bytes: Schema.optionalWith(PositiveInt, { default: () => SDK_TRANSPORT_DEFAULTS.maxResultBytes }),
  drain_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 5_000 }),
  /** How `/mcp` names upstream tools: `SERVER__name` only on conflicting schemas, always, or never. */
  prefix_mode: Schema.optionalWith(Schema.Literal("conditional", "always", "never"), {
    default: () => gatewayDefaults.prefixMode
  }),
  /** Connection and invocation events are written to the database in batches this often (at most this window
   * of events is lost on kill -9). */
  event_flush_ms: Schema.optionalWith(PositiveInt, { default: () => JOURNAL_DEFAULTS.flushMs }),
  /** The database keeps at most this many events per stream ... */
  event_retention_count: Schema.optionalWith(PositiveInt, { default: () => JOURNAL_DEFAULTS.retentionCount }),
  /** ... and none older than this many days. */
  event_retention_days: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), {
    default: () => JOURNAL_DEFAULTS.retentionDays
  }),
  /** On a fleet (Postgres), a health-check lease lasts this long unless its holder renews it; another replica takes
   * over within this time when the holder stops. */
  lease_seconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => DEFAULT_LEASE_SECONDS }),
  /** The most of each upstream's `instructions` `/mcp` passes on, in UTF-8 bytes (cut beyond, with a marker). */
  max_instructions_bytes: Schema.optionalWith(PositiveInt, { default: () => gatewayDefaults.maxInstructionsBytes })
})
export type ConfigFile = typeof ConfigFile.Type

export type { ConfiguredServer } from "./DeclaredServers.js"

const declaredByConfig = new WeakMap<ConfigFile, DeclaredServers>()

/**
 * The one `DeclaredServers` of a loaded config (the same object for every use of it: the HTTP handlers, the
 * transport's address guard and the config watch share it).
 */
export const declaredServers = (config: ConfigFile): DeclaredServers => {
  let declared = declaredByConfig.get(config)
  if (declared === undefined) {
    declared = new DeclaredServers(configuredServers(config))
    declaredByConfig.set(config, declared)
  }
  return declared
}

export const configuredServers = (config: ConfigFile): ReadonlyArray<ConfiguredServer> =>
  Object.entries(config.mcpServers).map(([name, entry]) => {
    if ("command" in entry) {
      const upstream: Upstream = {
        transport: "stdio",
        command: entry.command,
        args: entry.args,
        ...(entry.env === undefined ? {} : { env: entry.env }),
        ...(entry.cwd === undefined ? {} : { cwd: entry.cwd })
      }
      return { name, upstream, callTimeoutMs: entry.timeout_ms, sessionMode: entry.session_mode }
    }
    const upstream: Upstream = {
      transport: entry.transport,
      url: entry.url,
      ...(entry.headers === undefined ? {} : { headers: entry.headers })
    }
    return { name, upstream, callTimeoutMs: entry.timeout_ms, sessionMode: entry.session_mode }
  })

export const managerOptions = (config: ConfigFile): ManagerOptions => ({
  maxBackoff: `${config.max_backoff_seconds} seconds`,
  unreachableAfter: config.unreachable_after,
  maxInitializationAge:
    config.max_initialization_age_seconds === null ? null : `${config.max_initialization_age_seconds} seconds`,
  sessionStaleAfter:
    config.session_stale_after_seconds === null ? null : `${config.session_stale_after_seconds} seconds`,
  maxInvocationEvents: config.max_invocation_events,
  maxConnectionEvents: config.max_connection_events,
  maxConcurrentCallsPerServer: config.max_concurrent_calls_per_server,
  metricsMaxTools: config.metrics_max_tools
})

export const gatewaySettings = (
  config: ConfigFile,
  authToken: string | null,
  boundHost: string | null = null
): GatewaySettings => ({
  allowPrivateNetworks: config.allow_private_networks,
  maxServers: config.max_servers,
  authToken,
  maxBodyBytes: config.max_body_bytes,
  preferredOrder: config.preferred_order,
  maxCapabilityEvents: config.max_capability_events,
  idempotentTools: config.idempotent_tools,
  allowedHosts: config.allowed_hosts.map((host) => host.toLowerCase().replace(/\.$/, "")),
  prefixMode: config.prefix_mode,
  maxJsonDepth: config.max_json_depth,
  allowedOrigins: config.allowed_origins.map((origin) => origin.toLowerCase().replace(/\/$/, "")),
  trustProxy: config.trust_proxy,
  boundHost,
  maxMcpSessions: config.max_mcp_sessions,
  mcpSessionIdleSeconds: config.mcp_session_idle_seconds,
  mcpEventStoreSize: config.mcp_event_store_size,
  mcpEventStoreBytes: config.mcp_event_store_bytes,
  listPageSize: config.list_page_size,
  maxInstructionsBytes: config.max_instructions_bytes,
  declaredServers: declaredServers(config)
})

/**
 * The SDK transport's options. The servers of the config file are trusted wherever they are; any other server came
 * through HTTP registration, and its connections are held to the address policy by what names resolve to.
 */
export const transportOptions = (config: ConfigFile): SdkTransportOptions => {
  const declared = declaredServers(config)
  const policy = { allowPrivateNetworks: config.allow_private_networks }
  return {
    callTimeoutMs: config.call_timeout_ms,
    ...(config.connect_timeout_ms === undefined ? {} : { connectTimeoutMs: config.connect_timeout_ms }),
    maxResultBytes: config.max_result_bytes,
    refuseAddress: (target, address) => {
      const trusted = declared.get(target.name)
      if (trusted !== undefined && sameEndpoint(trusted.upstream, target.upstream)) return null
      const refusal = refusalForAddress(address, policy)
      return refusal === null ? null : `not allowed for a server registered over HTTP: ${refusal}`
    }
  }
}

/** The event journal's settings (`@att/store`): flush window and retention. */
export const journalSettings = (config: ConfigFile): JournalSettings => ({
  ...JOURNAL_DEFAULTS,
  flushMs: config.event_flush_ms,
  retentionCount: config.event_retention_count,
  retentionDays: config.event_retention_days
})
