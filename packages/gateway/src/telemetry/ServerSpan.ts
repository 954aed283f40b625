import { HttpServerError, HttpServerRequest, type HttpServerResponse, HttpTraceContext } from "@effect/platform"
import { Context, Effect, Option } from "effect"

/** The path of a request target (`/a/b?x=1` → `/a/b`): no query, which may carry what a span must not. */
const pathOf = (url: string): string => {
  const query = url.indexOf("?")
  return query < 0 ? url : url.slice(0, query)
}

/**
 * The span of each incoming request, `http.server METHOD` (kind server), continuing the caller's `traceparent` (or
 * B3), with the method, path, client address and status. It replaces the platform's (`HttpMiddleware.tracer`,
 * then disabled): that one parses the whole URL (`new URL`) and copies every request and response header into an
 * attribute, about a third of what always-on tracing cost per call beyond the spans themselves. Applied around
 * the whole exchange (`HttpLayerRouter.serve`'s `middleware`), so the status is the one sent.
 */
export const serverSpan = <A extends HttpServerResponse.HttpServerResponse, E, R>(
  app: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    return Effect.useSpan(
      `http.server ${request.method}`,
      {
        parent: Option.getOrUndefined(HttpTraceContext.fromHeaders(request.headers)),
        kind: "server",
        captureStackTrace: false
      },
      (span) => {
        span.attribute("http.request.method", request.method)
        span.attribute("url.path", pathOf(request.url))
        if (request.remoteAddress._tag === "Some") span.attribute("client.address", request.remoteAddress.value)
        return Effect.onExit(Effect.withParentSpan(app, span), (exit) =>
          Effect.sync(() => span.attribute("http.response.status_code", HttpServerError.exitResponse(exit).status))
        )
      }
    )
  })
