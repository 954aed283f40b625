import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startAtt } from "./support/mcpAtt.js"
import { rawRequest } from "./support/rawHttp.js"

const TOKEN = "head-s3cret"
const auth = { authorization: `Bearer ${TOKEN}` }

/** The GET routes of att (the API's, its own, the dashboard's), a server's path among them. */
const GET_PATHS = [
  "/api/v1/health",
  "/api/v1/ready",
  "/api/v1/mcp/servers",
  "/api/v1/mcp/servers/alpha",
  "/api/v1/mcp/tools",
  "/api/v1/mcp/events",
  "/api/v1/mcp/.well-known",
  "/metrics",
  "/openapi.json",
  "/",
  "/dashboard/app.js",
  "/dashboard/settings.json"
]

describe("HEAD on att's routes", () => {
  it.scopedLive("answers as GET does without a body; paths without GET (and /mcp) answer 405", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha" })
      const base = (yield* startAtt({ alpha: { url: alpha.url } }, { auth_token: TOKEN })).replace(/\/mcp$/, "")
      for (const path of GET_PATHS) {
        const get = yield* rawRequest(`${base}${path}`, { method: "GET", headers: auth })
        const head = yield* rawRequest(`${base}${path}`, { method: "HEAD", headers: auth })
        expect([head.status, head.text], path).toEqual([get.status, ""])
        expect(get.status, path).toBe(200)
        expect(get.text.length, path).toBeGreaterThan(0)
        expect(head.headers["content-type"], path).toBe(get.headers["content-type"])
        // The body's length is told (the metrics' and the events' texts may have grown in between).
        expect(Number(head.headers["content-length"]), path).toBeGreaterThan(0)
        if (path.startsWith("/api/v1/health") || path === "/openapi.json" || path.startsWith("/dashboard/"))
          expect(head.headers["content-length"], path).toBe(String(Buffer.byteLength(get.text)))
      }
      // The dashboard's security headers and an unknown server's 404 come through too.
      const page = yield* rawRequest(`${base}/`, { method: "HEAD" })
      expect(page.headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/)
      const missing = yield* rawRequest(`${base}/api/v1/mcp/servers/nope`, { method: "HEAD", headers: auth })
      expect([missing.status, missing.text]).toEqual([404, ""])

      // The guard holds: no token, no answer.
      const anonymous = yield* rawRequest(`${base}/api/v1/mcp/servers`, { method: "HEAD" })
      expect([anonymous.status, anonymous.text]).toEqual([401, ""])

      // The event stream: its head, and the stream is not left open.
      const stream = yield* rawRequest(`${base}/api/v1/mcp/events/stream`, { method: "HEAD", headers: auth })
      expect([stream.status, stream.text]).toEqual([200, ""])
      expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/)

      // A path without GET: 405, and its Allow does not offer HEAD.
      const refresh = yield* rawRequest(`${base}/api/v1/mcp/servers/alpha/connect`, { method: "HEAD", headers: auth })
      expect(refresh.status).toBe(405)
      expect(refresh.headers.allow).toBe("POST")
      // /mcp has no HEAD (its GET opens a session's stream).
      const mcp = yield* rawRequest(`${base}/mcp`, { method: "HEAD", headers: auth })
      expect(mcp.status).toBe(405)
      expect(mcp.headers.allow).toBe("POST, GET, DELETE")
      const servers = yield* rawRequest(`${base}/api/v1/mcp/servers`, { method: "PUT", headers: auth })
      expect(servers.headers.allow).toBe("GET, HEAD, POST")
      // An unknown path is still a 404.
      const unknown = yield* rawRequest(`${base}/nowhere`, { method: "HEAD", headers: auth })
      expect(unknown.status).toBe(404)
    })
  )
})
