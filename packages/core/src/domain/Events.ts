import { JsonValue } from "./Json.js"
import { Schema } from "effect"
import { ErrorCategory, Freshness, ServerStatus } from "./Status.js"

/** A status transition of one server. */
export const ConnectionEvent = Schema.Struct({
  server: Schema.String,
  from_status: ServerStatus,
  to_status: ServerStatus,
  reason: Schema.String,
  timestamp: Schema.DateTimeUtc,
  correlation_id: Schema.NullOr(Schema.String)
})
export type ConnectionEvent = typeof ConnectionEvent.Type

export const InvocationPhase = Schema.Literal(
  "initialize_start",
  "initialize_success",
  "initialize_failure",
  "invoke_start",
  "invoke_success",
  "invoke_failure",
  /** An upstream's request (sampling, elicitation, roots) att refused: no call of a client could be named for it. */
  "upstream_request_refused"
)
export type InvocationPhase = typeof InvocationPhase.Type

/** One lifecycle step of one invocation against one candidate server. */
export const InvocationEvent = Schema.Struct({
  server: Schema.String,
  method: Schema.String,
  request_id: Schema.String,
  phase: InvocationPhase,
  timestamp: Schema.DateTimeUtc,
  error: Schema.NullOr(Schema.String),
  error_category: Schema.NullOr(ErrorCategory)
})
export type InvocationEvent = typeof InvocationEvent.Type

/** One stage of one candidate in an invocation. */
export const InvocationAttempt = Schema.Struct({
  server: Schema.String,
  stage: Schema.Literal("initialize", "invoke"),
  success: Schema.Boolean,
  error: Schema.NullOr(Schema.String),
  error_category: Schema.NullOr(ErrorCategory)
})
export type InvocationAttempt = typeof InvocationAttempt.Type

/** A successful invocation. */
export const InvocationResult = Schema.Struct({
  server: Schema.String,
  method: Schema.String,
  request_id: Schema.String,
  result: JsonValue,
  raw_response: JsonValue
})
export type InvocationResult = typeof InvocationResult.Type

/** What a transport knows about its cached session for one server. */
export const SessionDiagnostics = Schema.Struct({
  active: Schema.Boolean,
  initialized: Schema.Boolean,
  last_activity_at: Schema.NullOr(Schema.DateTimeUtc)
})
export type SessionDiagnostics = typeof SessionDiagnostics.Type

export const AdapterSessionDiagnostics = Schema.Struct({
  ...SessionDiagnostics.fields,
  freshness: Freshness
})
export type AdapterSessionDiagnostics = typeof AdapterSessionDiagnostics.Type

export const AdapterSessionStatus = Schema.Struct({
  server: Schema.String,
  ...AdapterSessionDiagnostics.fields
})
export type AdapterSessionStatus = typeof AdapterSessionStatus.Type
