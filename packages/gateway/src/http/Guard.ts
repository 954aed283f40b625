import { timingSafeEqual } from "node:crypto"
import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import type { GatewaySettings } from "../GatewayOptions.js"

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

const refuse = (status: number, detail: string) => HttpServerResponse.unsafeJson({ detail }, { status })

/**
 * In front of every route: the bearer token when one is configured (401), and the request-body size limit (413
 * from the declared length; a body that streams past the limit fails to decode).
 */
export const guard =
  (settings: GatewaySettings) =>
  <E, R>(app: HttpApp.HttpApp<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (settings.authToken !== null) {
        const header = request.headers.authorization ?? ""
        const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : ""
        if (!sameSecret(token, settings.authToken)) {
          return refuse(401, "Missing or invalid bearer token").pipe(
            HttpServerResponse.setHeader("www-authenticate", "Bearer")
          )
        }
      }
      const declared = Number(request.headers["content-length"] ?? "0")
      if (Number.isFinite(declared) && declared > settings.maxBodyBytes) {
        return refuse(413, `Request body exceeds ${settings.maxBodyBytes} bytes`)
      }
      yield* HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(withJsonErrorBody(response)))
      return yield* HttpServerRequest.withMaxBodySize(app, Option.some(settings.maxBodyBytes))
    })

const DEFAULT_DETAIL: Record<number, string> = {
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
