import { Schema } from "effect"

/** Health of one upstream server. */
export const ServerStatus = Schema.Literal("healthy", "degraded", "unreachable")
export type ServerStatus = typeof ServerStatus.Type

/** The closed set of failure categories. */
export const ErrorCategory = Schema.Literal(
  "health_check",
  "initialize_error",
  "network_timeout",
  "http_status",
  "invalid_payload",
  "rpc_error",
  "transport_error",
  "unknown"
)
export type ErrorCategory = typeof ErrorCategory.Type

/** Freshness of a transport session. */
export const Freshness = Schema.Literal("unknown", "active_recent", "stale")
export type Freshness = typeof Freshness.Type

/**
 * The requests att sends its upstreams through the Manager (every client-to-server request but `ping`, which is a
 * health check): the calls with failover, and the lists, subscriptions and log level of one server.
 */
export const InvocationMethod = Schema.Literal(
  "tools/call",
  "resources/read",
  "prompts/get",
  "completion/complete",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "prompts/list",
  "resources/subscribe",
  "resources/unsubscribe",
  "logging/setLevel"
)
export type InvocationMethod = typeof InvocationMethod.Type
