import { HttpApiBuilder, HttpApiSwagger } from "@effect/platform"
import { Effect, Layer } from "effect"
import { AttApi } from "../api/Api.js"
import { Catalog } from "../catalog/Catalog.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { McpEndpoint } from "../mcp/McpEndpoint.js"
import { guard } from "./Guard.js"
import { HealthHandlers, McpHandlers } from "./McpHandlers.js"

/** The API with its handlers; needs the Manager (and what it exposes), GatewayOptions, a HostResolver and the Catalog. */
export const ApiLive = HttpApiBuilder.api(AttApi).pipe(Layer.provide([McpHandlers, HealthHandlers]))

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
      Layer.provide(McpEndpoint),
      Layer.provide(ApiLive),
      Layer.provide(Catalog.Default)
    )
  )
)
