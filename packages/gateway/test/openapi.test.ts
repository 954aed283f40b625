import { HttpApiBuilder, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Validator } from "@seriousme/openapi-schema-validator"
import { Effect, Layer } from "effect"
import { AttApi, GatewayOptions, HostResolver } from "@att/gateway"
import { Catalog } from "../src/catalog/Catalog.js"
import { AuthorizationLive } from "../src/http/AuthorizationLive.js"
import { HealthHandlers, McpEndpointHandlers, McpHandlers } from "../src/http/McpHandlers.js"
import { McpEndpoint } from "../src/mcp/McpEndpoint.js"
import { apiHarness } from "./harness.js"

type Operation = {
  security?: Array<Record<string, unknown>>
  responses: Record<string, unknown>
  requestBody?: unknown
}
type Spec = {
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes?: Record<string, unknown> }
}

const spec = Effect.flatMap(HttpClient.HttpClient, (client) => client.get("/openapi.json")).pipe(
  Effect.flatMap((response) => response.json),
  Effect.map((json) => json as Spec)
)

/** The API with its handlers and bearer check, served without att's guard: as a host that mounts only the API would. */
const apiOnly = (authToken: string) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(HttpApiBuilder.api(AttApi)),
    Layer.provide([McpHandlers, McpEndpointHandlers, HealthHandlers]),
    Layer.provide(AuthorizationLive),
    Layer.provide(McpEndpoint.Default),
    Layer.provide(Catalog.Default),
    Layer.provideMerge(scriptedAtt()),
    Layer.provideMerge(GatewayOptions.layer({ authToken })),
    Layer.provideMerge(HostResolver.fixed()),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )

describe("the OpenAPI document and auth declared in the API", () => {
  it.effect(
    "the document validates, declares the bearer scheme, the guard's answers on every route, /mcp, and open bodies",
    () =>
      Effect.gen(function* () {
        const document = yield* spec
        const validator = new Validator()
        const result = yield* Effect.promise(() => validator.validate(document as never))
        expect(result.errors ?? []).toEqual([])
        expect(result.valid).toBe(true)
        expect(document.components.securitySchemes).toMatchObject({ bearer: { type: "http", scheme: "bearer" } })
        expect(Object.keys(document.paths["/mcp"] ?? {}).sort()).toEqual(["delete", "get", "post"])
        for (const [path, operations] of Object.entries(document.paths)) {
          for (const [method, operation] of Object.entries(operations)) {
            const where = `${method} ${path}`
            for (const status of ["400", "403", "413", "415", "421"])
              expect(operation.responses, where).toHaveProperty(status)
            if (path === "/api/v1/health" || path === "/api/v1/ready") {
              expect(operation.security ?? [], where).toEqual([])
            } else {
              expect(operation.security, where).toEqual([{ bearer: [] }])
              expect(operation.responses, where).toHaveProperty("401")
            }
          }
        }
        for (const path of ["/api/v1/mcp/invoke/tool", "/api/v1/mcp/invoke/resource"]) {
          expect(document.paths[path]?.post?.responses, path).toHaveProperty("503")
          expect(document.paths[path]?.post?.responses, path).toHaveProperty("429")
        }
        // Unknown body fields are ignored, and the document does not claim otherwise.
        expect(JSON.stringify(document)).not.toContain('"additionalProperties":false')
      }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("the bearer check holds wherever the API is mounted, and the typed client sends the token", () =>
    Effect.gen(function* () {
      const anonymous = yield* HttpApiClient.make(AttApi)
      const refused = yield* Effect.flip(anonymous.mcp.listServers())
      expect(refused._tag).toBe("Unauthorized")
      const lowercase = yield* HttpApiClient.make(AttApi, {
        transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("authorization", "bearer s3cret"))
      })
      expect((yield* lowercase.mcp.listServers()).items).toEqual([])
      const glued = yield* HttpApiClient.make(AttApi, {
        transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("authorization", "Bearers3cret"))
      })
      expect((yield* Effect.flip(glued.mcp.listServers()))._tag).toBe("Unauthorized")
      const client = yield* HttpApiClient.make(AttApi, {
        transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken("s3cret"))
      })
      expect((yield* client.mcp.listServers()).items).toEqual([])
      expect(yield* anonymous.health.health()).toEqual({ status: "ok" })
    }).pipe(Effect.provide(apiOnly("s3cret")))
  )
})
