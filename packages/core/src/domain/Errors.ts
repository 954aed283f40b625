import { JsonValue } from "./Json.js"
import { Schema } from "effect"
import { InvocationAttempt } from "./Events.js"
import { ErrorCategory } from "./Status.js"

/** A categorized failure of a transport call. */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  message: Schema.String,
  category: ErrorCategory,
  /** The request certainly did not reach the upstream (the session could not be opened): always safe to fail over. */
  unsent: Schema.optional(Schema.Boolean),
  /**
   * The failure belongs to this call alone (e.g. a result over the size limit): the server's health is unchanged
   * and the call does not fail over to another server.
   */
  callOnly: Schema.optional(Schema.Boolean),
  /**
   * The slot has no session (never opened, closed after a failure, or the upstream no longer knows it): the request
   * was not sent, and a new session may serve it.
   */
  sessionLost: Schema.optional(Schema.Boolean)
}) {}

/**
 * Every candidate failed, or none was eligible. Carries the request id (null when there were no candidates).
 * `busy` is true when every server tried was passed over at its `max_concurrent_calls_per_server`: nothing failed,
 * the call may be retried later.
 */
export class InvocationError extends Schema.TaggedError<InvocationError>()("InvocationError", {
  message: Schema.String,
  method: Schema.NullOr(Schema.String),
  request_id: Schema.NullOr(Schema.String),
  attempts: Schema.Array(InvocationAttempt),
  busy: Schema.optional(Schema.Boolean)
}) {}

/**
 * The upstream answered the invocation with a JSON-RPC error about the request itself (invalid request, unknown
 * method, invalid params, unknown resource, URL elicitation required): the caller's to handle. It is passed on as
 * the upstream sent it (`code`, `message`, `data`), does not count against the server's health and is not retried
 * elsewhere.
 */
export class UpstreamRejected extends Schema.TaggedError<UpstreamRejected>()("UpstreamRejected", {
  server: Schema.String,
  method: Schema.String,
  request_id: Schema.String,
  code: Schema.Int,
  message: Schema.String,
  data: Schema.optional(JsonValue).annotations({
    description: "The error's `data`; absent when the upstream sent none"
  })
}) {}

/** No server is registered under that name. */
export class ServerNotFound extends Schema.TaggedError<ServerNotFound>()("ServerNotFound", {
  name: Schema.String
}) {}

/** The configured transport has no session controls (HTTP 409). */
export class SessionControlsUnavailable extends Schema.TaggedError<SessionControlsUnavailable>()(
  "SessionControlsUnavailable",
  {}
) {}

/**
 * A request an upstream sent while serving a call (sampling, elicitation, roots) was not answered by the call's
 * client: its JSON-RPC error as the client gave it, or att's own when there is no client to ask. The upstream gets it
 * as the error response to its request.
 */
export class RelayRefused extends Schema.TaggedError<RelayRefused>()("RelayRefused", {
  code: Schema.Int,
  message: Schema.String,
  data: Schema.optional(JsonValue)
}) {}
