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

/** The JSON-RPC methods att invokes with failover. */
export const InvocationMethod = Schema.Literal("tools/call", "resources/read", "prompts/get", "completion/complete")
export type InvocationMethod = typeof InvocationMethod.Type
