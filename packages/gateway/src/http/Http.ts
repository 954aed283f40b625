import { HttpApiBuilder, HttpApiSwagger, } from "@effect/platform"
import { Effect, Layer } from "effect"
import { AttApi } from "../api/Api.js"
import { Catalog } from "../catalog/Catalog.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { guard } from "./Guard.js"
import { HealthHandlers, McpHandlers } from "./McpHandlers.js"

/** The API with its handlers; needs the Manager (and what it exposes), GatewayOptions and a HostResolver. */
export const ApiLive = HttpApiBuilder.api(AttApi).pipe(
  Layer.provide([McpHandlers, HealthHandlers]),
  Layer.provide(Catalog.Default)
)

/** Serve the API, `/openapi.json` and Swagger UI at `/docs` on whatever `HttpServer` is provided. */
export const HttpLive = Layer.unwrapEffect(
  Effect.map(GatewayOptions, (settings) =>
    HttpApiBuilder.serve(guard(settings)).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(HttpApiBuilder.middlewareOpenApi()),
      Layer.provide(ApiLive)
    )
  )
)
