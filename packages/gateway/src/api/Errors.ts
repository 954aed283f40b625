import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { InvocationErrorDetail } from "./Schemas.js"

/** 404 `{"detail":"Server not found"}` (spec R4). */
export class ServerNotFoundError extends Schema.TaggedError<ServerNotFoundError>()(
  "ServerNotFound",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** 409 when the transport has no session controls (spec R14, R15). */
export class SessionControlsConflict extends Schema.TaggedError<SessionControlsConflict>()(
  "SessionControlsUnavailable",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** 503 with every attempt (spec §7.5, with the request id: G22). */
export class InvocationFailed extends Schema.TaggedError<InvocationFailed>()(
  "InvocationFailed",
  { detail: InvocationErrorDetail },
  HttpApiSchema.annotations({ status: 503 })
) {}

/** 400 for input that decodes but is refused (e.g. a forbidden registration address). */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { detail: Schema.String, field: Schema.NullOr(Schema.String) },
  HttpApiSchema.annotations({ status: 400 })
) {}
