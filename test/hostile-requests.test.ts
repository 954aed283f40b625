import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { startAtt } from "./support/mcpAtt.js"
import { rawRequest } from "./support/rawHttp.js"

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } }
})
const MCP_ACCEPT = { accept: "application/json, text/event-stream" }
const json = { "content-type": "application/json" }

/** att over one HTTP upstream; the REST origin and the `/mcp` URL. */
const service = (extra: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const alpha = yield* startHttpUpstream({ name: "alpha" })
    const mcp = yield* startAtt({ alpha: { url: alpha.url } }, extra)
    return { origin: mcp.replace(/\/mcp$/, ""), mcp }
  })

const alive = (origin: string) =>
  Effect.map(rawRequest(`${origin}/api/v1/health`, { method: "GET" }), (answer) => expect(answer.status).toBe(200))

describe("no request can crash, exhaust or trick att", () => {
  it.scopedLive("a JSON nesting bomb is a 400 naming max_json_depth on REST and /mcp, and the service stays up", () =>
    Effect.gen(function* () {
      const { origin, mcp } = yield* service()
      const bomb = `{"tool_name": ${"[".repeat(5000)}${"]".repeat(5000)}}`
      for (const url of [`${origin}/api/v1/mcp/invoke/tool`, `${origin}/api/v1/mcp/servers`, mcp]) {
        const answer = yield* rawRequest(url, { headers: { ...json, ...MCP_ACCEPT }, body: bomb })
        expect(answer.status, url).toBe(400)
        expect(answer.text, url).toContain("max_json_depth (64)")
      }
      // Nesting up to the limit is parsed (and then judged by the route's schema).
      const deepButAllowed = `{"tool_name": "echo", "arguments": {"message": "hi", "x": ${"[".repeat(62)}${"]".repeat(62)}}}`
      const allowed = yield* rawRequest(`${origin}/api/v1/mcp/invoke/tool`, { headers: json, body: deepButAllowed })
      expect(allowed.text).not.toContain("max_json_depth")
      yield* alive(origin)
    })
  )

  it.scopedLive(
    "a body that is not JSON gets 415 on every route, /mcp included, and a body where none is taken too",
    () =>
      Effect.gen(function* () {
        const { origin, mcp } = yield* service()
        const bodies: ReadonlyArray<[Record<string, string>, string]> = [
          [{ "content-type": "application/x-www-form-urlencoded" }, "tool_name=echo"],
          [
            { "content-type": "multipart/form-data; boundary=x" },
            '--x\r\nContent-Disposition: form-data; name="tool_name"\r\n\r\necho\r\n--x--\r\n'
          ],
          [{ "content-type": "text/plain" }, '{"tool_name":"echo"}'],
          [{ "content-type": "application/xml" }, "<tool_name>echo</tool_name>"],
          [{}, '{"tool_name":"echo"}']
        ]
        for (const url of [
          `${origin}/api/v1/mcp/invoke/tool`,
          `${origin}/api/v1/mcp/servers`,
          `${origin}/api/v1/mcp/servers/health-check`,
          mcp
        ]) {
          for (const [headers, body] of bodies) {
            const answer = yield* rawRequest(url, { headers: { ...headers, ...MCP_ACCEPT }, body })
            expect(answer.status, `${url} ${JSON.stringify(headers)}`).toBe(415)
            expect(answer.headers["content-type"]).toContain("application/json")
          }
        }
        const getWithBody = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          method: "GET",
          headers: { ...json, "content-length": "2" },
          body: "{}"
        })
        expect(getWithBody.status).toBe(415)
        const listed = yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET" })
        expect(JSON.parse(listed.text).items.map((server: { name: string }) => server.name)).toEqual(["alpha"])
      })
  )

  it.scopedLive(
    "a chunked body that runs past max_body_bytes gets 413 on every route without being read to its end",
    () =>
      Effect.gen(function* () {
        const { origin, mcp } = yield* service({ max_body_bytes: 64 * 1024 })
        // An endless body for practical purposes (6.4 GB): the answer must come long before it could have been read.
        const chunked = { chunk: `${"x".repeat(64 * 1024)}`, count: 100_000 }
        for (const url of [`${origin}/api/v1/mcp/invoke/tool`, `${origin}/api/v1/mcp/servers`, mcp]) {
          const answer = yield* rawRequest(url, { headers: { ...json, ...MCP_ACCEPT }, chunked })
          expect(answer.status, url).toBe(413)
          expect(answer.text, url).toContain("max_body_bytes (65536 bytes)")
        }
        yield* alive(origin)
      })
  )

  it.scopedLive(
    "a foreign Host is refused with 421 on every route; X-Forwarded-Host counts only behind a trusted proxy",
    () =>
      Effect.gen(function* () {
        const { origin, mcp } = yield* service({ allowed_hosts: ["att.internal"] })
        for (const [method, url] of [
          ["GET", `${origin}/api/v1/mcp/servers`],
          ["GET", `${origin}/api/v1/health`],
          ["POST", mcp]
        ] as const) {
          const foreign = yield* rawRequest(url, {
            method,
            headers: { host: "evil.example:80", ...json, ...MCP_ACCEPT },
            ...(method === "POST" ? { body: INITIALIZE } : {})
          })
          expect(foreign.status, url).toBe(421)
          const rebound = yield* rawRequest(url, {
            method,
            headers: { host: "127.0.0.1.nip.io", ...json, ...MCP_ACCEPT },
            ...(method === "POST" ? { body: INITIALIZE } : {})
          })
          expect(rebound.status, url).toBe(421)
        }
        expect(
          (yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET", headers: { host: "att.internal:8080" } }))
            .status
        ).toBe(200)
        expect(
          (yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET", headers: { host: "localhost:1" } }))
            .status
        ).toBe(200)
        // Without trust_proxy the header is ignored: it neither admits a foreign Host nor refuses a good one.
        const forwarded = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          method: "GET",
          headers: { host: "evil.example", "x-forwarded-host": "localhost" }
        })
        expect(forwarded.status).toBe(421)
        const proxied = yield* service({ trust_proxy: true })
        const behindProxy = yield* rawRequest(`${proxied.origin}/api/v1/mcp/servers`, {
          method: "GET",
          headers: { host: "10.0.0.9", "x-forwarded-host": "localhost" }
        })
        expect(behindProxy.status).toBe(200)
        const spoofed = yield* rawRequest(`${proxied.origin}/api/v1/mcp/servers`, {
          method: "GET",
          headers: { "x-forwarded-host": "evil.example" }
        })
        expect(spoofed.status).toBe(421)
      })
  )

  it.scopedLive(
    "a page of another origin cannot drive att (403, nothing changes); its own origin and allowed_origins can, with CORS",
    () =>
      Effect.gen(function* () {
        const { origin, mcp } = yield* service({ allowed_origins: ["https://app.example"] })
        const register = JSON.stringify({ name: "sneaky", url: "http://127.0.0.1:9/mcp", transport: "streamable-http" })
        const forged = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          headers: { ...json, origin: "https://evil.example" },
          body: register
        })
        expect(forged.status).toBe(403)
        expect(JSON.parse(forged.text).detail).toContain("Origin not allowed")
        const viaMcp = yield* rawRequest(mcp, { headers: { ...json, ...MCP_ACCEPT, origin: "null" }, body: INITIALIZE })
        expect(viaMcp.status).toBe(403)
        const deleted = yield* rawRequest(`${origin}/api/v1/mcp/servers/alpha`, {
          method: "DELETE",
          headers: { origin: "http://localhost.evil.example" }
        })
        expect(deleted.status).toBe(403)
        const listed = yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET" })
        expect(JSON.parse(listed.text).items.map((server: { name: string }) => server.name)).toEqual(["alpha"])
        // Preflights: answered for an allowed origin only.
        const preflight = { method: "OPTIONS", headers: { "access-control-request-method": "POST" } }
        const evilPreflight = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          ...preflight,
          headers: { ...preflight.headers, origin: "https://evil.example" }
        })
        expect(evilPreflight.status).toBe(403)
        expect(evilPreflight.headers["access-control-allow-origin"]).toBeUndefined()
        const appPreflight = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          ...preflight,
          headers: { ...preflight.headers, origin: "https://app.example" }
        })
        expect(appPreflight.status).toBe(204)
        expect(appPreflight.headers["access-control-allow-origin"]).toBe("https://app.example")
        expect(appPreflight.headers["access-control-allow-headers"]).toContain("authorization")
        // The allowed origin and the service's own origin may call; only the foreign one gets CORS headers.
        const app = yield* rawRequest(`${origin}/api/v1/mcp/servers`, {
          method: "GET",
          headers: { origin: "https://app.example" }
        })
        expect(app.status).toBe(200)
        expect(app.headers["access-control-allow-origin"]).toBe("https://app.example")
        const own = yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET", headers: { origin } })
        expect(own.status).toBe(200)
        expect(own.headers["access-control-allow-origin"]).toBeUndefined()
      })
  )

  it.scopedLive("the bearer scheme is matched exactly and case-insensitively; liveness needs no token", () =>
    Effect.gen(function* () {
      const { origin, mcp } = yield* service({ auth_token: "s3cret" })
      const servers = `${origin}/api/v1/mcp/servers`
      const status = (authorization?: string) =>
        Effect.map(
          rawRequest(servers, { method: "GET", headers: authorization === undefined ? {} : { authorization } }),
          (a) => a.status
        )
      expect(yield* status()).toBe(401)
      expect(yield* status("Bearer s3cret")).toBe(200)
      expect(yield* status("bearer s3cret")).toBe(200)
      expect(yield* status("BEARER s3cret")).toBe(200)
      expect(yield* status("Bearers3cret")).toBe(401)
      expect(yield* status("Bearerxs3cret")).toBe(401)
      expect(yield* status("Basic s3cret")).toBe(401)
      expect(yield* status("Bearer s3cret extra")).toBe(401)
      expect(yield* status("Bearer wrong")).toBe(401)
      expect((yield* rawRequest(`${origin}/api/v1/health`, { method: "GET" })).status).toBe(200)
      const mcpRefused = yield* rawRequest(mcp, { headers: { ...json, ...MCP_ACCEPT }, body: INITIALIZE })
      expect(mcpRefused.status).toBe(401)
      const mcpAdmitted = yield* rawRequest(mcp, {
        headers: { ...json, ...MCP_ACCEPT, authorization: "bearer s3cret" },
        body: INITIALIZE
      })
      expect(mcpAdmitted.status).toBe(200)
    })
  )

  it.scopedLive(
    "/mcp sessions are bounded: over max_mcp_sessions a JSON-RPC error with 503 and Retry-After; DELETE frees one",
    () =>
      Effect.gen(function* () {
        const { mcp } = yield* service({ max_mcp_sessions: 2 })
        const open = rawRequest(mcp, { headers: { ...json, ...MCP_ACCEPT }, body: INITIALIZE })
        const first = yield* open
        const second = yield* open
        expect([first.status, second.status]).toEqual([200, 200])
        const third = yield* open
        expect(third.status).toBe(503)
        expect(third.headers["retry-after"]).toBe("5")
        expect(JSON.parse(third.text)).toMatchObject({
          jsonrpc: "2.0",
          error: { message: expect.stringContaining("max_mcp_sessions 2") }
        })
        const ended = yield* rawRequest(mcp, {
          method: "DELETE",
          headers: { "mcp-session-id": String(first.headers["mcp-session-id"]) }
        })
        expect(ended.status).toBe(200)
        expect((yield* open).status).toBe(200)
      })
  )

  it.scopedLive(
    "fuzzing heads and bodies over real sockets: foreign Host and Origin, chunked oversized bodies; 0 5xx, 0 crashes",
    () =>
      Effect.gen(function* () {
        const { origin, mcp } = yield* service({ max_body_bytes: 16 * 1024 })
        const paths = [
          "/api/v1/mcp/servers",
          "/api/v1/mcp/invoke/tool",
          "/api/v1/mcp/servers/alpha/health-check",
          "/api/v1/health",
          "/mcp",
          "/docs",
          "/nothing"
        ]
        const requests = fc.sample(
          fc.record({
            path: fc.constantFrom(...paths),
            method: fc.constantFrom("GET", "POST", "DELETE", "PUT", "OPTIONS"),
            host: fc.option(
              fc.constantFrom(
                "evil.example",
                "127.0.0.1.nip.io",
                "localhost.evil.example",
                "169.254.169.254",
                "[::ffff:7f00:1]x"
              ),
              { nil: undefined }
            ),
            origin: fc.option(fc.constantFrom("https://evil.example", "null", "http://127.0.0.1.nip.io"), {
              nil: undefined
            }),
            body: fc.constantFrom("none", "chunked-oversized", "bomb", "form")
          }),
          { numRuns: 200, seed: 20261207 }
        )
        const statuses = new Map<number, number>()
        for (const request of requests) {
          const headers: Record<string, string> = { ...MCP_ACCEPT }
          if (request.host !== undefined) headers.host = request.host
          if (request.origin !== undefined) headers.origin = request.origin
          const options =
            request.body === "chunked-oversized"
              ? { chunked: { chunk: "x".repeat(8 * 1024), count: 10_000 }, headers: { ...headers, ...json } }
              : request.body === "bomb"
                ? { body: "[".repeat(10_000), headers: { ...headers, ...json } }
                : request.body === "form"
                  ? { body: "a=1", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" } }
                  : { headers }
          const answer = yield* rawRequest(`${request.path === "/mcp" ? mcp : `${origin}${request.path}`}`, {
            method: request.method,
            ...options
          })
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          const context = `${JSON.stringify(request)} → ${answer.status} ${answer.text.slice(0, 120)}`
          expect(answer.status, context).toBeLessThan(500)
          // Anything that reached past the head checks (foreign Host or Origin) was refused: nothing was changed.
          if (request.host !== undefined || request.origin !== undefined)
            expect(answer.status, context).toBeGreaterThanOrEqual(400)
        }
        yield* alive(origin)
        const listed = yield* rawRequest(`${origin}/api/v1/mcp/servers`, { method: "GET" })
        expect(JSON.parse(listed.text).items.map((server: { name: string }) => server.name)).toEqual(["alpha"])
        expect([...statuses.keys()].every((status) => status < 500)).toBe(true)
      })
  )
})
