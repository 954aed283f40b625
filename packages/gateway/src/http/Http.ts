import { HttpApiBuilder, HttpApiSwagger } from "@effect/platform"
import { Effect, Layer } from "effect"
import { AttApi } from "../api/Api.js"
import { Catalog } from "../catalog/Catalog.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { McpEndpoint } from "../mcp/McpEndpoint.js"
import { guard } from "./Guard.js"
import { AuthorizationLive } from "./AuthorizationLive.js"
import { HealthHandlers, McpEndpointHandlers, McpHandlers } from "./McpHandlers.js"

/**
 * The API with its handlers and its bearer check; needs the Manager (and what it exposes), GatewayOptions, a
 * HostResolver, the Catalog and att's MCP endpoint.
 */
export const ApiLive = HttpApiBuilder.api(AttApi).pipe(
  Layer.provide([McpHandlers, McpEndpointHandlers, HealthHandlers]),
  Layer.provide(AuthorizationLive)
)

/**
 * Every route of att on whatever `HttpServer` is provided, behind one guard: the API, att's own MCP endpoint at
 * `/mcp`, `/openapi.json` and Swagger UI at `/docs`.
 */
export const HttpLive = Layer.unwrapEffect(
  Effect.map(GatewayOptions, (settings) =>
    HttpApiBuilder.serve(guard(settings)).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      // The routes ignore body fields they do not know (as the seed did): the document says so.
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ additionalPropertiesStrategy: "allow" })),
      Layer.provide(ApiLive),
      Layer.provide(McpEndpoint.Default),
      Layer.provide(Catalog.Default)
    )
  )
)
