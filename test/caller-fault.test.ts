import { decodeConfig, everythingServerCommand, gatewayRoutes, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Either, Layer, Schedule } from "effect"

/**
 * att's REST service (routes, background connect and health checks, the SDK transport) on a real socket over the
 * real server-everything (stdio). Without the Node-level invoke fast path (`startAtt` installs it; it is going away):
 * the invoke routes here are the HttpApi handlers.
 */
const config = Either.getOrThrow(
  decodeConfig({ mcpServers: { everything: everythingServerCommand() }, health_interval_seconds: 3600 }, "test")
)
const service = gatewayRoutes(config).pipe(
  Layer.provideMerge(NodeHttpServer.layerTest),
  Layer.provideMerge(serviceCore(config, null, SdkTransport.layer({ callTimeoutMs: 10_000, connectTimeoutMs: 20_000 })))
)

const request = (method: "GET" | "POST", path: string, payload?: unknown) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const base = method === "GET" ? HttpClientRequest.get(path) : HttpClientRequest.post(path)
    const response = yield* client.execute(payload === undefined ? base : HttpClientRequest.bodyUnsafeJson(base, payload))
    return { status: response.status, body: (yield* response.json) as Record<string, unknown> }
  })

/** The server as REST shows it, once the background connect has initialized it (bounded). */
const initialized = request("GET", "/api/v1/mcp/servers/everything").pipe(
  Effect.filterOrFail((answer) => answer.body.initialized === true, () => "server-everything not initialized yet"),
  Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
  Effect.orDie
)

describe("issue 14 §1 through the running service, against server-everything", () => {
  layer(service, { excludeTestServices: true })((it) => {
    it.effect("reading a resource server-everything does not have answers the caller; the server stays healthy for everyone", () =>
      Effect.gen(function* () {
        yield* initialized
        const missing = yield* request("POST", "/api/v1/mcp/invoke/resource", { uri: "demo://nope/x" })
        const detail = missing.body.detail as Record<string, unknown>
        // server-everything (SDK servers) answer -32602 for an unknown resource; -32002 is MCP's "resource not found".
        expect([[404, -32002], [400, -32602]]).toContainEqual([missing.status, detail.code])
        expect(missing.body._tag).toBe(missing.status === 404 ? "UpstreamNotFound" : "UpstreamBadRequest")
        expect(detail.server).toBe("everything")
        // The message as the upstream sent it (an SDK server words its errors so); the SDK client would prefix it again.
        expect(detail.message).toBe(`MCP error ${detail.code}: Resource demo://nope/x not found`)

        const server = yield* request("GET", "/api/v1/mcp/servers/everything")
        expect(server.body).toMatchObject({ status: "healthy", retry_count: 0, initialized: true, last_error: null })
        const echoed = yield* request("POST", "/api/v1/mcp/invoke/tool", { tool_name: "echo", arguments: { message: "still here" } })
        expect(echoed.status).toBe(200)
        expect(echoed.body.result).toEqual({ content: [{ type: "text", text: "Echo: still here" }] })
      })
    )

    it.effect("a result is answered once, structuredContent intact; raw_response is the upstream's response as received", () =>
      Effect.gen(function* () {
        yield* initialized
        const payload = { tool_name: "get-structured-content", arguments: { location: "Chicago" } }
        const plain = yield* request("POST", "/api/v1/mcp/invoke/tool", payload)
        expect(plain.status).toBe(200)
        expect(plain.body).not.toHaveProperty("raw_response")
        const weather = { temperature: 36, conditions: "Light rain / drizzle", humidity: 82 }
        expect(plain.body.result).toMatchObject({ structuredContent: weather })

        const raw = yield* request("POST", "/api/v1/mcp/invoke/tool", { ...payload, include_raw: true })
        const response = raw.body.raw_response as Record<string, unknown>
        expect(response.jsonrpc).toBe("2.0")
        expect(typeof response.id).toBe("number") // the id the SDK client gave the request upstream
        expect(response.result).toEqual(raw.body.result)
        expect(Object.keys(response).sort()).toEqual(["id", "jsonrpc", "result"])
      })
    )
  })
})
