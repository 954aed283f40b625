import { recordsSpans } from "@att/core/internal"
import { HttpApiSwagger, HttpApp, HttpLayerRouter, HttpMiddleware, HttpServerResponse, OpenApi } from "@effect/platform"
import { Effect, Layer } from "effect"
import { AttApi } from "../api/Api.js"
import { Catalog } from "../catalog/Catalog.js"
import { McpEndpoint } from "../mcp/McpEndpoint.js"
import { PROMETHEUS_CONTENT_TYPE, PrometheusMetrics } from "../telemetry/PrometheusMetrics.js"
import { AuthorizationLive } from "./AuthorizationLive.js"
import { DashboardRoutes } from "./Dashboard.js"
import { DEFAULT_DETAIL, Guard, withJsonErrorBody } from "./Guard.js"
import { HeadRoutes } from "./HeadRoutes.js"
import { MethodNotAllowedRoutes } from "./MethodNotAllowed.js"
import { HealthHandlers, McpEndpointHandlers, McpHandlers } from "./McpHandlers.js"

/** The API's handlers and its bearer check. */
const Handlers = Layer.mergeAll(McpHandlers, McpEndpointHandlers, HealthHandlers)

/** The OpenAPI document; it says what the routes do: unknown body fields are ignored. */
const OpenApiRoute = HttpLayerRouter.add(
  "GET",
  "/openapi.json",
  Effect.succeed(HttpServerResponse.unsafeJson(OpenApi.fromApi(AttApi, { additionalPropertiesStrategy: "allow" })))
)

/** `GET /metrics`: Prometheus text, behind the guard (and its bearer token) like every route of att. */
const MetricsRoute = Layer.unwrapEffect(
  Effect.map(PrometheusMetrics, (metrics) =>
    HttpLayerRouter.add(
      "GET",
      "/metrics",
      Effect.map(metrics.scrape, (text) => HttpServerResponse.text(text, { contentType: PROMETHEUS_CONTENT_TYPE }))
    )
  )
)

/**
 * Every route of att, for an `HttpLayerRouter`: the API (`/api/v1/...`), att's own MCP endpoint (`/mcp`),
 * `/openapi.json`, Swagger UI at `/docs` and `/metrics`, all behind att's guard (Host, Origin, token, content type, body limits)
 * and the API's bearer check. Mount att into a host app by merging this layer with the host's own routes and
 * serving them together (`HttpLayerRouter.serve`): the host's routes are left alone. Needs the service core
 * (`serviceCore`).
 */
export const AttRoutes = Layer.mergeAll(
  HttpLayerRouter.addHttpApi(AttApi),
  MethodNotAllowedRoutes,
  OpenApiRoute,
  MetricsRoute,
  HttpApiSwagger.layerHttpLayerRouter({ api: AttApi, path: "/docs" })
).pipe(
  Layer.provide(Handlers),
  Layer.provide(AuthorizationLive),
  Layer.provide(Guard.layer),
  Layer.provide(HeadRoutes),
  Layer.provide(McpEndpoint.Default),
  Layer.provide(PrometheusMetrics.layer),
  Layer.provide(Catalog.Default)
)

/** Any other path of a server that serves only att: a JSON 404, behind the same guard. */
const NotFound = HttpLayerRouter.add(
  "*",
  "*",
  Effect.succeed(HttpServerResponse.unsafeJson({ _tag: "UnknownRoute", detail: DEFAULT_DETAIL[404] }, { status: 404 }))
).pipe(Layer.provide(Guard.layer))

/** What no route answers (a path the router cannot match at all) still answers JSON. */
const JsonErrors = HttpLayerRouter.middleware(
  (effect) =>
    Effect.zipRight(
      HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(withJsonErrorBody(response))),
      effect
    ),
  { global: true }
)

const served = HttpLayerRouter.serve(Layer.mergeAll(AttRoutes, DashboardRoutes, NotFound, JsonErrors), {
  disableLogger: true,
  disableListenLog: true
})

/**
 * att on whatever `HttpServer` is provided, alone: its routes, the dashboard at `/` and a JSON 404 for every other path. The server's span
 * per request (its URL parsed, its headers copied into attributes) is made only when a tracer records it: under
 * Effect's built-in tracer it went nowhere and cost about 40 µs of CPU per call (REST invoke over stdio, 32
 * callers: 229–238 against 264–290 µs per call).
 */
export const HttpLive = Layer.unwrapEffect(
  Effect.map(recordsSpans, (records) =>
    records ? served : served.pipe(HttpMiddleware.withTracerDisabledWhen(() => true))
  )
)
