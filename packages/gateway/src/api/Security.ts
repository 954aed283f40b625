import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Unauthorized } from "./Errors.js"

/**
 * The bearer token, declared in the API: in the OpenAPI document as a `bearer` scheme, sent by the typed client
 * (`HttpApiClient` with a bearer-token request transform), and checked wherever the API is mounted. Every group
 * but liveness uses it.
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("att/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
