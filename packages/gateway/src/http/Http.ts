import { recordsSpans } from "@att/core/internal"
import { HttpApiSwagger, HttpApp, HttpLayerRouter, HttpMiddleware, HttpServerResponse, OpenApi } from "@effect/platform"
import { Effect, Layer } from "effect"
import { AttApi } from "../api/Api.js"
import { Catalog } from "../catalog/Catalog.js"
import { McpEndpoint } from "../mcp/McpEndpoint.js"
import { PROMETHEUS_CONTENT_TYPE, PrometheusMetrics } from "../telemetry/PrometheusMetrics.js"
import { serverSpan } from "../telemetry/ServerSpan.js"
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

/** `middleware`: around the whole exchange, the response's sending included. */
const served = (middleware?: typeof serverSpan) =>
  HttpLayerRouter.serve(Layer.mergeAll(AttRoutes, DashboardRoutes, NotFound, JsonErrors), {
    disableLogger: true,
    disableListenLog: true,
    ...(middleware === undefined ? {} : { middleware })
  })

/**
 * att on whatever `HttpServer` is provided, alone: its routes, the dashboard at `/` and a JSON 404 for every other path.
 * The platform's span per request is off (it parses the URL and copies every header into attributes: under Effect's
 * built-in tracer that went nowhere and cost about 40 µs of CPU per call); when a tracer records spans, att's own
 * lighter one (`serverSpan`) takes its place.
 */
export const HttpLive = Layer.unwrapEffect(
  Effect.map(recordsSpans, (records) =>
    (records ? served(serverSpan) : served()).pipe(HttpMiddleware.withTracerDisabledWhen(() => true))
  )
)
