import { JsonValue } from "./Json.js"
import { Schema } from "effect"
import { ErrorCategory, ServerStatus } from "./Status.js"

const JsonObject = Schema.Record({ key: Schema.String, value: JsonValue })

/** What the last successful initialize said about the server. Never cleared, only replaced. */
export const CapabilitySnapshot = Schema.Struct({
  protocol_version: Schema.NullOr(Schema.String),
  server_info: Schema.NullOr(JsonObject),
  capabilities: Schema.NullOr(JsonObject),
  /** The server's `instructions` (how to use it), for clients' models; null when it gave none. */
  instructions: Schema.NullOr(Schema.String),
  captured_at: Schema.DateTimeUtc
})
export type CapabilitySnapshot = typeof CapabilitySnapshot.Type

/** The state of one registered upstream server; field names are the wire names. */
export const ServerRecord = Schema.Struct({
  name: Schema.String,
  url: Schema.String,
  transport: Schema.Literal("streamable-http", "sse", "stdio"),
  status: ServerStatus,
  last_error: Schema.NullOr(Schema.String),
  last_error_category: Schema.NullOr(ErrorCategory),
  retry_count: Schema.Number,
  last_checked_at: Schema.NullOr(Schema.DateTimeUtc),
  next_retry_at: Schema.NullOr(Schema.DateTimeUtc),
  initialized: Schema.Boolean,
  protocol_version: Schema.NullOr(Schema.String),
  last_initialized_at: Schema.NullOr(Schema.DateTimeUtc),
  initialization_expires_at: Schema.NullOr(Schema.DateTimeUtc),
  capability_snapshot: Schema.NullOr(CapabilitySnapshot)
})
export type ServerRecord = typeof ServerRecord.Type
