import { HttpApp, HttpLayerRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { GatewayOptions, type GatewaySettings } from "../GatewayOptions.js"
import {
  type Refusal,
  admission,
  corsHeaders,
  hasBody,
  originAllowed,
  preflightHeaders,
  tooLarge
} from "./Admission.js"
import { jsonDepthExceeds } from "./JsonDepth.js"
import { TOO_LARGE, readBody, withReadBody } from "./RequestBody.js"

export const DEFAULT_DETAIL: Record<number, string> = {
  400: "Malformed request: the body must be valid JSON matching the route's schema",
  404: "Not found",
  405: "Method not allowed",
  413: "Request body too large"
}

const pathOf = (url: string): string => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

/** `/mcp` speaks JSON-RPC: its refusals are JSON-RPC errors (with the HTTP status), the API's are `{detail}`. */
const isMcp = (path: string) => path === "/mcp"

/** The API's error tags of the guard's refusals (declared in `AttApi`, so the typed client decodes them). */
const TAGS: Record<Refusal["status"], string> = {
  401: "Unauthorized",
  403: "OriginRefused",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  421: "MisdirectedRequest"
}

const refuse = (path: string, refusal: Refusal, code = -32600) =>
  HttpServerResponse.unsafeJson(
    isMcp(path)
      ? { jsonrpc: "2.0", id: null, error: { code, message: refusal.detail } }
      : { _tag: TAGS[refusal.status], detail: refusal.detail },
    { status: refusal.status, ...(refusal.headers === undefined ? {} : { headers: refusal.headers }) }
  )

const badRequest = (path: string, detail: string, code: number) =>
  HttpServerResponse.unsafeJson(
    isMcp(path)
      ? { jsonrpc: "2.0", id: null, error: { code, message: detail } }
      : { _tag: "BadRequest", detail, field: null },
    { status: 400 }
  )

/** Every error answers JSON: the router's bare 404s and 405s get a `detail` before they are sent. */
export const withJsonErrorBody = (response: HttpServerResponse.HttpServerResponse) =>
  response.status >= 400 && response.body._tag === "Empty"
    ? HttpServerResponse.unsafeJson(
        { detail: DEFAULT_DETAIL[response.status] ?? "Request failed" },
        { status: response.status, headers: response.headers }
      )
    : response

/** A 429 (every server busy) tells the caller when to try again: a call in flight takes about that long. */
const withRetryAfter = (response: HttpServerResponse.HttpServerResponse) =>
  response.status === 429 && response.headers["retry-after"] === undefined
    ? HttpServerResponse.setHeader(response, "retry-after", "1")
    : response

/**
 * In front of every route, `/mcp` included: what the request's head decides (Host, Origin and CORS, the bearer
 * token, the content type, the declared size), then the body, read once under `max_body_bytes` (a chunked body
 * that runs past it is cut off with a 413), checked for nesting deeper than `max_json_depth` before anything
 * recursive touches it, and parsed. Routes read the parsed body from the request.
 */
export const guard =
  (settings: GatewaySettings) =>
  <E, R>(app: HttpApp.HttpApp<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = pathOf(request.url)
      const headers = request.headers
      if (
        request.method === "OPTIONS" &&
        headers.origin !== undefined &&
        headers["access-control-request-method"] !== undefined
      ) {
        const allowed = originAllowed(headers, settings) && Object.keys(corsHeaders(headers, settings)).length > 0
        return allowed
          ? HttpServerResponse.empty({ status: 204, headers: preflightHeaders(headers, settings) })
          : refuse(path, { status: 403, detail: `Origin not allowed: ${headers.origin}` })
      }
      const refusal = admission(request.method, path, headers, settings)
      if (refusal !== null) return refuse(path, refusal)
      const cors = corsHeaders(headers, settings)
      yield* HttpApp.appendPreResponseHandler((_request, response) =>
        Effect.succeed(
          withRetryAfter(
            withJsonErrorBody(Object.keys(cors).length === 0 ? response : HttpServerResponse.setHeaders(response, cors))
          )
        )
      )
      if (!hasBody(headers)) return yield* app
      const body = yield* Effect.either(readBody(request, settings.maxBodyBytes))
      if (body._tag === "Left") return badRequest(path, "The request body could not be read", -32700)
      if (body.right === TOO_LARGE) return refuse(path, tooLarge(settings))
      const text = body.right
      if (jsonDepthExceeds(text, settings.maxJsonDepth)) {
        return badRequest(
          path,
          `Malformed request: JSON nested deeper than max_json_depth (${settings.maxJsonDepth})`,
          -32700
        )
      }
      let json: unknown
      try {
        json = text === "" ? null : JSON.parse(text)
      } catch (error) {
        return badRequest(path, `Malformed request: the body is not valid JSON (${(error as Error).message})`, -32700)
      }
      return yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, withReadBody(request, text, json))
    })

/** att's guard as route middleware: it holds on att's routes wherever they are mounted, and on no other route. */
export const Guard = HttpLayerRouter.middleware(
  Effect.map(
    GatewayOptions,
    (settings) => (route: Effect.Effect<HttpServerResponse.HttpServerResponse, HttpLayerRouter.unhandled>) =>
      guard(settings)(route)
  )
)
