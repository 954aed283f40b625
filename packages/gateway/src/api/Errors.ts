import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { InvocationErrorDetail, UpstreamRejectionDetail } from "./Schemas.js"

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

/** 400: the upstream answered that the request is invalid (JSON-RPC -32600, -32601, -32602, -32042), as it sent it. */
export class UpstreamBadRequest extends Schema.TaggedError<UpstreamBadRequest>()(
  "UpstreamBadRequest",
  { detail: UpstreamRejectionDetail },
  HttpApiSchema.annotations({ status: 400, description: "The upstream refused the request as invalid (its JSON-RPC error)" })
) {}

/** 404: the upstream answered that the resource does not exist (JSON-RPC -32002), as it sent it. */
export class UpstreamNotFound extends Schema.TaggedError<UpstreamNotFound>()(
  "UpstreamNotFound",
  { detail: UpstreamRejectionDetail },
  HttpApiSchema.annotations({ status: 404, description: "The upstream has no such resource (its JSON-RPC error)" })
) {}

/** 400 for input that decodes but is refused (e.g. a forbidden registration address). */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { detail: Schema.String, field: Schema.NullOr(Schema.String) },
  HttpApiSchema.annotations({ status: 400 })
) {}
