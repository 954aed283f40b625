import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { InvocationErrorDetail, UpstreamRejectionDetail } from "./Schemas.js"

/** 404 `{"detail":"Server not found"}`: no server is registered under the path's name. */
export class ServerNotFoundError extends Schema.TaggedError<ServerNotFoundError>()(
  "ServerNotFoundError",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** 409 when the transport has no session controls (invalidate, refresh). */
export class SessionControlsConflict extends Schema.TaggedError<SessionControlsConflict>()(
  "SessionControlsConflict",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** 503 with every attempt and the request id: no server served the invocation. */
export class InvocationFailed extends Schema.TaggedError<InvocationFailed>()(
  "InvocationFailed",
  { detail: InvocationErrorDetail },
  HttpApiSchema.annotations({ status: 503 })
) {}

/**
 * 429 with every attempt and the request id: each server that could serve the call is at its
 * `max_concurrent_calls_per_server`. Nothing failed; retry after the `Retry-After` seconds.
 */
export class ServersBusy extends Schema.TaggedError<ServersBusy>()(
  "ServersBusy",
  { detail: InvocationErrorDetail },
  HttpApiSchema.annotations({
    status: 429,
    description: "Every server that could serve the call is at its concurrency limit; retry after Retry-After"
  })
) {}

/** 400: the upstream answered that the request is invalid (JSON-RPC -32600, -32601, -32602, -32042), as it sent it. */
export class UpstreamBadRequest extends Schema.TaggedError<UpstreamBadRequest>()(
  "UpstreamBadRequest",
  { detail: UpstreamRejectionDetail },
  HttpApiSchema.annotations({
    status: 400,
    description: "The upstream refused the request as invalid (its JSON-RPC error)"
  })
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

/** 401: the route needs the bearer token (`Authorization: Bearer <token>`) and the request has none or another. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 401, description: "Missing or invalid bearer token" })
) {}

/** 403: a browser page of an origin att does not serve (not its own, not in `allowed_origins`). */
export class OriginRefused extends Schema.TaggedError<OriginRefused>()(
  "OriginRefused",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 403, description: "The request's Origin is not allowed" })
) {}

/** 413: a body over `max_body_bytes` (a chunked one is cut off as it passes the limit). */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 413, description: "The request body exceeds max_body_bytes" })
) {}

/** 415: a body that is not `application/json`, or a body where the route takes none. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  { detail: Schema.String },
  HttpApiSchema.annotations({
    status: 415,
    description: "Bodies are application/json; routes without a body take none"
  })
) {}

/** 421: a Host att does not serve (DNS-rebinding protection): not loopback, the bound address or `allowed_hosts`. */
export class MisdirectedRequest extends Schema.TaggedError<MisdirectedRequest>()(
  "MisdirectedRequest",
  { detail: Schema.String },
  HttpApiSchema.annotations({ status: 421, description: "The request's Host is not served by att" })
) {}

/** 409: the name is declared in the config file, which owns it: change the file instead. */
export class ConfiguredServerConflict extends Schema.TaggedError<ConfiguredServerConflict>()(
  "ConfiguredServerConflict",
  { detail: Schema.String },
  HttpApiSchema.annotations({
    status: 409,
    description: "The server is declared in the config file; register, replace and delete it there"
  })
) {}

/** 503: the registration could not be written to the database (nothing changed); `detail` says why. */
export class StoreUnavailableError extends Schema.TaggedError<StoreUnavailableError>()(
  "StoreUnavailableError",
  { detail: Schema.String },
  HttpApiSchema.annotations({
    status: 503,
    description: "The database cannot be written now; the registry was left as it was"
  })
) {}

/** 503 from `/api/v1/ready`: att is alive but cannot serve registrations (its database link is down). */
export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  {
    status: Schema.Literal("unavailable"),
    database: Schema.Struct({
      state: Schema.Literal("reconnecting"),
      reason: Schema.String.annotations({ description: "Why the last check of the database failed" }),
      attempts: Schema.Int.annotations({ description: "Checks of the database that failed since the link was lost" }),
      since: Schema.String.annotations({ description: "When the link was lost (UTC, ISO 8601)" })
    })
  },
  HttpApiSchema.annotations({
    status: 503,
    description: "The database link is down; att reconnects on a schedule (reason, attempts and since given)"
  })
) {}
