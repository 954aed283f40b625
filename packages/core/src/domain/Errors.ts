import { Schema } from "effect"
import { InvocationAttempt } from "./Events.js"
import { ErrorCategory } from "./Status.js"

/** A categorized failure of a transport call (spec §2.10). */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  message: Schema.String,
  category: ErrorCategory,
  /** The request certainly did not reach the upstream (the session could not be opened): always safe to fail over. */
  unsent: Schema.optional(Schema.Boolean),
  /** The failure belongs to this call alone: the server's health is unchanged and the call does not fail over. */
  callOnly: Schema.optional(Schema.Boolean)
}) {}

/** Every candidate failed, or none was eligible (spec §2.9, §7.3, §7.5). Carries the request id (fixes G22). */
export class InvocationError extends Schema.TaggedError<InvocationError>()("InvocationError", {
  message: Schema.String,
  method: Schema.NullOr(Schema.String),
  request_id: Schema.NullOr(Schema.String),
  attempts: Schema.Array(InvocationAttempt)
}) {}

/** No server is registered under that name. */
export class ServerNotFound extends Schema.TaggedError<ServerNotFound>()("ServerNotFound", {
  name: Schema.String
}) {}

/** The configured transport has no session controls (spec §10; HTTP 409). */
export class SessionControlsUnavailable extends Schema.TaggedError<SessionControlsUnavailable>()(
  "SessionControlsUnavailable",
  {}
) {}
