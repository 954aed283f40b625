import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { apiClient, apiHarness, register } from "./harness.js"

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))
const body = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.json, (json) => json as Record<string, unknown>)
const postJson = (path: string, value: unknown) =>
  HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(value))

/** A 4xx JSON answer whose text names `field`. */
const expectRefusal = (request: HttpClientRequest.HttpClientRequest, status: number, field: string) =>
  Effect.gen(function* () {
    const response = yield* send(request)
    expect(response.status).toBe(status)
    expect(response.headers["content-type"]).toContain("application/json")
    expect(JSON.stringify(yield* body(response))).toContain(field)
  })

describe("HTTP input validation and safe defaults", () => {
  it.effect("bad limits, freshness and active_only answer 400 naming the field (the seed answered 422)", () =>
    Effect.gen(function* () {
      for (const limit of ["0", "-1", "abc", "1.5", "1e400"]) {
        yield* expectRefusal(HttpClientRequest.get(`/api/v1/mcp/events?limit=${limit}`), 400, "limit")
        yield* expectRefusal(HttpClientRequest.get(`/api/v1/mcp/invocation-events?limit=${limit}`), 400, "limit")
        yield* expectRefusal(HttpClientRequest.get(`/api/v1/mcp/adapter-sessions?limit=${limit}`), 400, "limit")
      }
      yield* expectRefusal(HttpClientRequest.get("/api/v1/mcp/adapter-sessions?freshness=old"), 400, "freshness")
      yield* expectRefusal(HttpClientRequest.get("/api/v1/mcp/adapter-sessions?active_only=maybe"), 400, "active_only")
      const fine = yield* send(HttpClientRequest.get("/api/v1/mcp/events?limit=1&unknown=1"))
      expect(fine.status).toBe(200)
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("registration refuses bad names and URLs with 400", () =>
    Effect.gen(function* () {
      yield* expectRefusal(postJson("/api/v1/mcp/servers", { name: "a", url: "ftp://x" }), 400, "url")
      yield* expectRefusal(postJson("/api/v1/mcp/servers", { name: "a", url: "not a url" }), 400, "url")
      yield* expectRefusal(postJson("/api/v1/mcp/servers", { url: "http://x" }), 400, "name")
      yield* expectRefusal(postJson("/api/v1/mcp/servers", { name: "a/b", url: "http://x" }), 400, "name")
      yield* expectRefusal(postJson("/api/v1/mcp/servers", { name: "", url: "http://x" }), 400, "name")
      yield* expectRefusal(postJson("/api/v1/mcp/servers", { name: "a\u0000", url: "http://x" }), 400, "name")
      yield* expectRefusal(postJson("/api/v1/mcp/invoke/tool", { arguments: {} }), 400, "tool_name")
      yield* expectRefusal(postJson("/api/v1/mcp/invoke/tool", { tool_name: "x", arguments: [] }), 400, "arguments")
      yield* expectRefusal(postJson("/api/v1/mcp/invoke/resource", { preferred_servers: "a" }), 400, "uri")
      const malformed = yield* send(
        HttpClientRequest.post("/api/v1/mcp/invoke/tool").pipe(HttpClientRequest.bodyText("{nope", "application/json"))
      )
      expect(malformed.status).toBe(400)
      expect(yield* body(malformed)).toHaveProperty("detail")
      expect((yield* (yield* apiClient).mcp.listServers()).items).toEqual([])
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("link-local and metadata addresses are always refused; private ranges unless allowed (G2)", () =>
    Effect.gen(function* () {
      for (const url of [
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://metadata.google.internal/",
        "http://0.0.0.0/"
      ]) {
        const response = yield* send(postJson("/api/v1/mcp/servers", { name: "x", url }))
        expect(response.status).toBe(400)
        expect(yield* body(response)).toMatchObject({ field: "url" })
      }
      for (const url of ["http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://[fd00::1]/"]) {
        expect((yield* send(postJson("/api/v1/mcp/servers", { name: "x", url }))).status).toBe(400)
      }
      expect((yield* send(postJson("/api/v1/mcp/servers", { name: "x", url: "http://127.0.0.1:9/" }))).status).toBe(201)
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("private ranges can be allowed by configuration; link-local never", () =>
    Effect.gen(function* () {
      expect((yield* send(postJson("/api/v1/mcp/servers", { name: "x", url: "http://10.0.0.1/" }))).status).toBe(201)
      expect((yield* send(postJson("/api/v1/mcp/servers", { name: "y", url: "http://169.254.1.1/" }))).status).toBe(400)
      // The shared range 100.64/10 is private; the metadata endpoint inside it, in any form, is not (issue 14 §4).
      expect((yield* send(postJson("/api/v1/mcp/servers", { name: "cgnat", url: "http://100.64.0.1/" }))).status).toBe(
        201
      )
      expect((yield* send(postJson("/api/v1/mcp/servers", { name: "ula", url: "http://[fd00::1]/" }))).status).toBe(201)
      for (const url of [
        "http://100.100.100.200/",
        "http://[::ffff:100.100.100.200]/",
        "http://[fd00:ec2::254]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://Metadata.Google.Internal./"
      ]) {
        yield* expectRefusal(postJson("/api/v1/mcp/servers", { name: "z", url }), 400, "url")
      }
    }).pipe(Effect.provide(apiHarness({ gateway: { allowPrivateNetworks: true } })))
  )

  const hosts = {
    "intra.example": ["10.0.0.5"],
    "meta.example": ["93.184.216.34", "169.254.169.254"],
    "public.example": ["93.184.216.34", "2606:4700::1111"],
    "local.example": ["127.0.0.1", "::1"],
    "nat64.example": ["2606:4700::1111", "64:ff9b::a9fe:a9fe"]
  }

  it.effect("a name is refused at registration by what it resolves to, as its address would be (G2)", () =>
    Effect.gen(function* () {
      const intra = yield* send(
        postJson("/api/v1/mcp/servers", { name: "intra", url: "http://intra.example:9000/mcp" })
      )
      expect(intra.status).toBe(400)
      expect(yield* body(intra)).toMatchObject({
        field: "url",
        detail: "url points at a private network address (intra.example resolves to 10.0.0.5)"
      })
      // One refused address among several is enough: the connection could go to any of them.
      const meta = yield* send(postJson("/api/v1/mcp/servers", { name: "meta", url: "http://META.example/" }))
      expect(meta.status).toBe(400)
      expect(JSON.stringify(yield* body(meta))).toContain("meta.example resolves to 169.254.169.254")
      // An IPv6 answer that carries a metadata address is refused as that address would be (issue 14 §4).
      const nat64 = yield* send(postJson("/api/v1/mcp/servers", { name: "nat64", url: "http://nat64.example/" }))
      expect(yield* body(nat64)).toMatchObject({
        field: "url",
        detail:
          "url points at a cloud metadata address (169.254.169.254 in a NAT64 address) (nat64.example resolves to 64:ff9b::a9fe:a9fe)"
      })
      for (const [name, url] of [
        ["public", "https://public.example/mcp"],
        ["local", "http://local.example:9/"],
        // A name that does not resolve (yet) is registered; the connect-time guard still holds it to the policy.
        ["later", "http://later.example/mcp"]
      ] as const) {
        expect((yield* send(postJson("/api/v1/mcp/servers", { name, url }))).status).toBe(201)
      }
      expect((yield* (yield* apiClient).mcp.listServers()).items.map((server) => server.name)).toEqual([
        "later",
        "local",
        "public"
      ])
    }).pipe(Effect.provide(apiHarness({ hosts })))
  )

  it.effect(
    "a name resolving to a private address is registered when private ranges are allowed; link-local never",
    () =>
      Effect.gen(function* () {
        expect(
          (yield* send(postJson("/api/v1/mcp/servers", { name: "intra", url: "http://intra.example/" }))).status
        ).toBe(201)
        expect(
          (yield* send(postJson("/api/v1/mcp/servers", { name: "meta", url: "http://meta.example/" }))).status
        ).toBe(400)
      }).pipe(Effect.provide(apiHarness({ hosts, gateway: { allowPrivateNetworks: true } })))
  )

  it.effect("the number of registered servers is bounded", () =>
    Effect.gen(function* () {
      const client = yield* apiClient
      yield* register(client, "a", "b")
      const third = yield* send(postJson("/api/v1/mcp/servers", { name: "c", url: "http://c.local" }))
      expect(third.status).toBe(400)
      expect(JSON.stringify(yield* body(third))).toContain("at most 2")
      expect((yield* send(postJson("/api/v1/mcp/servers", { name: "a", url: "http://a2.local" }))).status).toBe(201)
    }).pipe(Effect.provide(apiHarness({ gateway: { maxServers: 2 } })))
  )

  it.effect("unknown servers are 404 on every per-server route; 404 before 409; DELETE twice", () =>
    Effect.gen(function* () {
      for (const request of [
        HttpClientRequest.get("/api/v1/mcp/servers/ghost"),
        HttpClientRequest.del("/api/v1/mcp/servers/ghost"),
        HttpClientRequest.post("/api/v1/mcp/servers/ghost/health-check"),
        HttpClientRequest.post("/api/v1/mcp/servers/ghost/initialize"),
        HttpClientRequest.post("/api/v1/mcp/servers/ghost/connect"),
        HttpClientRequest.post("/api/v1/mcp/servers/ghost/adapter/invalidate"),
        HttpClientRequest.post("/api/v1/mcp/servers/ghost/adapter/refresh")
      ]) {
        const response = yield* send(request)
        expect(response.status).toBe(404)
        expect(yield* body(response)).toMatchObject({ detail: "Server not found" })
      }
      yield* register(yield* apiClient, "real")
      expect((yield* send(HttpClientRequest.post("/api/v1/mcp/servers/real/adapter/refresh"))).status).toBe(409)
      expect((yield* send(HttpClientRequest.del("/api/v1/mcp/servers/real"))).status).toBe(204)
      expect((yield* send(HttpClientRequest.del("/api/v1/mcp/servers/real"))).status).toBe(404)
      const unknownRoute = yield* send(HttpClientRequest.get("/api/v1/nothing-here"))
      expect(unknownRoute.status).toBe(404)
      expect(yield* body(unknownRoute)).toMatchObject({ _tag: "UnknownRoute", detail: "Not found" })
    }).pipe(Effect.provide(apiHarness({ transport: { sessionControls: false } })))
  )

  it.effect("a known path with another method answers 405 JSON with Allow; /mcp as a JSON-RPC error", () =>
    Effect.gen(function* () {
      for (const [request, allow] of [
        [HttpClientRequest.put("/api/v1/mcp/servers"), "GET, HEAD, POST"],
        [HttpClientRequest.get("/api/v1/mcp/invoke/tool"), "POST"],
        [HttpClientRequest.patch("/api/v1/mcp/servers/ghost"), "GET, HEAD, DELETE"],
        [HttpClientRequest.del("/api/v1/health"), "GET, HEAD"],
        [HttpClientRequest.post("/openapi.json"), "GET, HEAD"],
        [HttpClientRequest.make("OPTIONS")("/api/v1/mcp/servers/ghost/connect"), "POST"]
      ] as const) {
        const response = yield* send(request)
        expect(response.status, `${request.method} ${request.url}`).toBe(405)
        expect(response.headers.allow).toBe(allow)
        expect(yield* body(response)).toEqual({ _tag: "MethodNotAllowed", detail: "Method not allowed" })
      }
      const mcp = yield* send(HttpClientRequest.put("/mcp"))
      expect(mcp.status).toBe(405)
      expect(mcp.headers.allow).toBe("POST, GET, DELETE")
      expect(yield* body(mcp)).toEqual({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32000, message: "Method not allowed." }
      })
      // The routes are att's: the guard still runs first (a foreign Origin is refused before the method is looked at).
      const foreign = yield* send(
        HttpClientRequest.put("/api/v1/mcp/servers", { headers: { origin: "https://evil.example" } })
      )
      expect(foreign.status).toBe(403)
    }).pipe(Effect.provide(apiHarness()))
  )

  it.effect("a bearer token is required on every route but liveness when configured", () =>
    Effect.gen(function* () {
      expect((yield* send(HttpClientRequest.get("/api/v1/health"))).status).toBe(200)
      for (const path of ["/api/v1/mcp/servers", "/openapi.json", "/docs"]) {
        const missing = yield* send(HttpClientRequest.get(path))
        expect(missing.status).toBe(401)
        expect(yield* body(missing)).toHaveProperty("detail")
        expect((yield* send(HttpClientRequest.get(path).pipe(HttpClientRequest.bearerToken("wrong")))).status).toBe(401)
        expect((yield* send(HttpClientRequest.get(path).pipe(HttpClientRequest.bearerToken("s3cret")))).status).toBe(
          200
        )
      }
    }).pipe(Effect.provide(apiHarness({ gateway: { authToken: "s3cret" } })))
  )

  it.effect("a body over the limit answers 413", () =>
    Effect.gen(function* () {
      const big = { tool_name: "x", arguments: { blob: "y".repeat(5_000) }, preferred_servers: null }
      const response = yield* send(postJson("/api/v1/mcp/invoke/tool", big))
      expect(response.status).toBe(413)
      expect(yield* body(response)).toHaveProperty("detail")
    }).pipe(Effect.provide(apiHarness({ gateway: { maxBodyBytes: 1_000 } })))
  )

  it.effect("OpenAPI lists every route; Swagger UI, health and well-known answer", () =>
    Effect.gen(function* () {
      const spec = yield* body(yield* send(HttpClientRequest.get("/openapi.json")))
      const paths = Object.keys(spec.paths as Record<string, unknown>)
      for (const path of [
        "/api/v1/mcp/tools",
        "/api/v1/mcp/resources",
        "/api/v1/mcp/servers",
        "/api/v1/mcp/servers/{name}",
        "/api/v1/mcp/servers/{name}/health-check",
        "/api/v1/mcp/servers/health-check",
        "/api/v1/mcp/servers/{name}/initialize",
        "/api/v1/mcp/servers/initialize",
        "/api/v1/mcp/servers/{name}/connect",
        "/api/v1/mcp/servers/connect",
        "/api/v1/mcp/adapter-sessions",
        "/api/v1/mcp/servers/{name}/adapter/invalidate",
        "/api/v1/mcp/servers/{name}/adapter/refresh",
        "/api/v1/mcp/events",
        "/api/v1/mcp/invocation-events",
        "/api/v1/mcp/invoke/tool",
        "/api/v1/mcp/invoke/resource",
        "/api/v1/mcp/.well-known",
        "/api/v1/health"
      ]) {
        expect(paths).toContain(path)
      }
      const docs = yield* send(HttpClientRequest.get("/docs"))
      expect(docs.status).toBe(200)
      expect(yield* docs.text).toContain("swagger")
      expect(yield* body(yield* send(HttpClientRequest.get("/api/v1/health")))).toEqual({ status: "ok" })
      expect(yield* body(yield* send(HttpClientRequest.get("/api/v1/mcp/.well-known")))).toEqual({
        name: "att-mcp",
        transport: "streamable-http",
        endpoint: "/mcp"
      })
    }).pipe(Effect.provide(apiHarness()))
  )
})
