import { timingSafeEqual } from "node:crypto"
import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import type { GatewaySettings } from "../GatewayOptions.js"

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export interface Refusal {
  readonly status: 401 | 413
  readonly detail: string
  readonly headers: Record<string, string>
}

/**
 * Whether a request may enter: the bearer token when one is configured (401) and the declared body size (413).
 * Shared by the Effect routes and the invoke fast path, so both answer the same.
 */
export const admission = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  settings: GatewaySettings
): Refusal | null => {
  if (settings.authToken !== null) {
    const header = typeof headers.authorization === "string" ? headers.authorization : ""
    const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : ""
    if (!sameSecret(token, settings.authToken)) {
      return { status: 401, detail: "Missing or invalid bearer token", headers: { "www-authenticate": "Bearer" } }
    }
  }
  const declared = Number(typeof headers["content-length"] === "string" ? headers["content-length"] : "0")
  if (Number.isFinite(declared) && declared > settings.maxBodyBytes) {
    return { status: 413, detail: `Request body exceeds ${settings.maxBodyBytes} bytes`, headers: {} }
  }
  return null
}

/**
 * In front of every route: the bearer token when one is configured (401), and the request-body size limit (413
 * from the declared length; a body that streams past the limit fails to decode).
 */
export const guard =
  (settings: GatewaySettings) =>
  <E, R>(app: HttpApp.HttpApp<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const refusal = admission(request.headers, settings)
      if (refusal !== null) {
        return HttpServerResponse.unsafeJson({ detail: refusal.detail }, { status: refusal.status, headers: refusal.headers })
      }
      yield* HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(withJsonErrorBody(response)))
      return yield* HttpServerRequest.withMaxBodySize(app, Option.some(settings.maxBodyBytes))
    })

export const DEFAULT_DETAIL: Record<number, string> = {
  400: "Malformed request: the body must be valid JSON matching the route's schema",
  404: "Not found",
  405: "Method not allowed",
  413: "Request body too large"
}

/** Every error answers JSON: the router's bare 404s and the body parser's bare 400s get a `detail` before they are sent. */
const withJsonErrorBody = (response: HttpServerResponse.HttpServerResponse) =>
  response.status >= 400 && response.body._tag === "Empty"
    ? HttpServerResponse.unsafeJson(
        { detail: DEFAULT_DETAIL[response.status] ?? "Request failed" },
        { status: response.status, headers: response.headers }
      )
    : response
