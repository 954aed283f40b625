import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { type Responder, rpcErrorAnswer } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { apiClient, apiHarness, register } from "./harness.js"

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))
const body = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.json, (json) => json as Record<string, unknown>)
const post = (path: string, value: unknown) =>
  Effect.flatMap(send(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(value))), (response) =>
    Effect.map(body(response), (json) => ({ status: response.status, json }))
  )
const readResource = (uri: string) => post("/api/v1/mcp/invoke/resource", { uri, preferred_servers: ["P", "B"] })
const invokeTool = (tool_name: string, extra: Record<string, unknown> = {}) =>
  post("/api/v1/mcp/invoke/tool", { tool_name, arguments: {}, preferred_servers: ["P", "B"], ...extra })

const STRUCTURED = {
  content: [{ type: "text", text: "42" }],
  structuredContent: { answer: 42, nested: { list: [1, null, "x"] } },
  _meta: { "example.com/trace": "abc", progressToken: null },
  extension: { kept: true }
}

/** P answers about the request for some names and URIs, and with a structured result; the rest is the cluster fake's. */
const responder: Responder = (server, request) => {
  if (server !== "P" || !("id" in request)) return undefined
  const params = request.params ?? {}
  if (request.method === "resources/read") {
    if (params.uri === "demo://missing")
      return rpcErrorAnswer(request, { code: -32002, message: "Resource not found", data: { uri: params.uri } })
    if (params.uri === "demo://bad") return rpcErrorAnswer(request, { code: -32602, message: "Invalid uri" })
  }
  if (request.method === "tools/call") {
    if (params.name === "bad-request") return rpcErrorAnswer(request, { code: -32600, message: "Invalid request" })
    if (params.name === "no-method")
      return rpcErrorAnswer(request, { code: -32601, message: "Method not found", data: null })
    if (params.name === "bad-params")
      return rpcErrorAnswer(request, { code: -32602, message: "Invalid params", data: { field: "x" } })
    if (params.name === "consent") {
      return rpcErrorAnswer(request, {
        code: -32042,
        message: "URL elicitation required",
        data: { elicitations: [{ mode: "url" }] }
      })
    }
    if (params.name === "crash") return rpcErrorAnswer(request, { code: -32603, message: "Internal error" })
    if (params.name === "structured") return Effect.succeed({ jsonrpc: "2.0", id: request.id, result: STRUCTURED })
  }
  return undefined
}
const harness = () => apiHarness({ transport: { responder } })

const statusOf = (name: string) =>
  Effect.flatMap(apiClient, (client) => Effect.map(client.mcp.getServer({ path: { name } }), (server) => server.status))

describe("issue 14 §1 over REST: the upstream's answer about the request is the caller's", () => {
  it.effect("a resource the upstream does not have answers 404 with its error; P stays healthy and keeps serving", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "P", "B")
      const missing = yield* readResource("demo://missing")
      expect(missing.status).toBe(404)
      expect(missing.json).toEqual({
        _tag: "UpstreamNotFound",
        detail: {
          server: "P",
          request_id: (missing.json.detail as { request_id: string }).request_id,
          code: -32002,
          message: "Resource not found",
          data: { uri: "demo://missing" }
        }
      })
      expect(yield* statusOf("P")).toBe("healthy")
      const served = yield* readResource("demo://fine")
      expect(served.status).toBe(200)
      expect(served.json.server).toBe("P")
      // The typed client decodes it as the declared error.
      const typed = yield* Effect.flip(
        client.mcp.readResource({ payload: { uri: "demo://missing", preferred_servers: ["P"] } })
      )
      expect(typed._tag).toBe("UpstreamNotFound")
    }).pipe(Effect.provide(harness()))
  )

  it.effect("the other caller-fault codes answer 400 with code, message and data as the upstream sent them", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "P", "B")
      const cases = [
        [yield* readResource("demo://bad"), -32602, "Invalid uri", undefined],
        [yield* invokeTool("bad-request"), -32600, "Invalid request", undefined],
        [yield* invokeTool("no-method"), -32601, "Method not found", null],
        [yield* invokeTool("bad-params"), -32602, "Invalid params", { field: "x" }],
        [yield* invokeTool("consent"), -32042, "URL elicitation required", { elicitations: [{ mode: "url" }] }]
      ] as const
      for (const [answer, code, message, data] of cases) {
        expect(answer.status).toBe(400)
        expect(answer.json._tag).toBe("UpstreamBadRequest")
        const detail = answer.json.detail as Record<string, unknown>
        expect(Object.keys(detail).sort()).toEqual(
          data === undefined
            ? ["code", "message", "request_id", "server"]
            : ["code", "data", "message", "request_id", "server"]
        )
        expect(detail).toMatchObject({ server: "P", code, message })
        expect(detail.data).toEqual(data)
      }
      expect(yield* statusOf("P")).toBe("healthy")
      const typed = yield* Effect.flip(
        client.mcp.invokeTool({ payload: { tool_name: "bad-params", preferred_servers: ["P"] } })
      )
      expect(typed).toMatchObject({ _tag: "UpstreamBadRequest", detail: { code: -32602, data: { field: "x" } } })
    }).pipe(Effect.provide(harness()))
  )

  it.effect("a server-side rpc error still counts against P and fails over to B", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "P", "B")
      const answer = yield* invokeTool("crash")
      expect(answer.status).toBe(200)
      expect(answer.json.server).toBe("B")
      expect(yield* statusOf("P")).toBe("degraded")
    }).pipe(Effect.provide(harness()))
  )

  it.effect("a result is answered once, structuredContent and _meta unchanged; raw_response only when asked", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "P")
      const plain = yield* invokeTool("structured")
      expect(plain.status).toBe(200)
      expect(plain.json).toEqual({
        server: "P",
        method: "tools/call",
        request_id: plain.json.request_id,
        result: STRUCTURED
      })
      expect(yield* invokeTool("structured", { include_raw: false })).toMatchObject({ json: { result: STRUCTURED } })
      expect((yield* invokeTool("structured", { include_raw: false })).json).not.toHaveProperty("raw_response")

      const raw = yield* invokeTool("structured", { include_raw: true })
      expect(raw.json.result).toEqual(STRUCTURED)
      // What the transport received: here the scripted upstream's response object, with the id the transport sent.
      expect(raw.json.raw_response).toEqual({ jsonrpc: "2.0", id: expect.any(String), result: STRUCTURED })
      const read = yield* post("/api/v1/mcp/invoke/resource", { uri: "demo://fine", include_raw: true })
      expect(read.json.raw_response).toEqual({ jsonrpc: "2.0", id: expect.any(String), result: read.json.result })
      expect((yield* readResource("demo://fine")).json).not.toHaveProperty("raw_response")
      const bad = yield* post("/api/v1/mcp/invoke/tool", { tool_name: "structured", include_raw: "yes" })
      expect(bad.status).toBe(400)
      expect(JSON.stringify(bad.json)).toContain("include_raw")
    }).pipe(Effect.provide(harness()))
  )

  it.effect("OpenAPI declares the 400 and 404 answers of both invoke routes and the include_raw field", () =>
    Effect.gen(function* () {
      const spec = (yield* body(yield* send(HttpClientRequest.get("/openapi.json")))) as {
        paths: Record<string, { post: { responses: Record<string, unknown>; requestBody: unknown } }>
        components: { schemas: Record<string, unknown> }
      }
      for (const path of ["/api/v1/mcp/invoke/tool", "/api/v1/mcp/invoke/resource"]) {
        const { responses, requestBody } = spec.paths[path]?.post ?? { responses: {}, requestBody: null }
        expect(JSON.stringify(responses["400"])).toContain("#/components/schemas/UpstreamBadRequest")
        expect(JSON.stringify(responses["404"])).toContain("#/components/schemas/UpstreamNotFound")
        expect(JSON.stringify(responses["503"])).toContain("#/components/schemas/InvocationFailed")
        expect(JSON.stringify(requestBody)).toContain("include_raw")
      }
      const rejection = JSON.stringify(spec.components.schemas.UpstreamNotFound)
      for (const field of ["server", "request_id", "code", "message", "data"]) expect(rejection).toContain(`"${field}"`)
    }).pipe(Effect.provide(harness()))
  )
})
