import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startAtt } from "./support/mcpAtt.js"
import { rawRequest } from "./support/rawHttp.js"

const FILES = ["/", "/dashboard/dashboard.css", "/dashboard/app.js", "/dashboard/settings.json"]

describe("the dashboard's routes", () => {
  it.scopedLive("without a token: the page says so; the guard's Host and Origin rules hold on it", () =>
    Effect.gen(function* () {
      const base = (yield* startAtt({})).replace(/\/mcp$/, "")
      const settings = yield* rawRequest(`${base}/dashboard/settings.json`, { method: "GET" })
      expect(settings.status).toBe(200)
      expect(settings.headers["content-type"]).toBe("application/json")
      expect(JSON.parse(settings.text)).toEqual({ token_required: false })
      for (const path of FILES) {
        const answer = yield* rawRequest(`${base}${path}`, { method: "GET" })
        expect(answer.status, path).toBe(200)
        expect(answer.headers["content-security-policy"], path).toMatch(/^default-src 'none';.*frame-ancestors 'none'/)
        expect(answer.headers["x-content-type-options"], path).toBe("nosniff")
        expect(answer.headers["set-cookie"], path).toBeUndefined()
        // A DNS-rebinding page names its own host: refused before the page is served.
        const rebound = yield* rawRequest(`${base}${path}`, { method: "GET", headers: { host: "evil.example" } })
        expect(rebound.status, path).toBe(421)
        const foreign = yield* rawRequest(`${base}${path}`, {
          method: "GET",
          headers: { origin: "http://evil.example" }
        })
        expect(foreign.status, path).toBe(403)
      }
      const unknown = yield* rawRequest(`${base}/dashboard/nope.js`, { method: "GET" })
      expect(unknown.status).toBe(404)
      const post = yield* rawRequest(`${base}/dashboard/app.js`, { method: "POST" })
      expect(post.status).toBe(405)
      expect(post.headers.allow).toBe("GET, HEAD")
    })
  )

  it.scopedLive("with a token: the page and its files load without it, everything else still needs it", () =>
    Effect.gen(function* () {
      const base = (yield* startAtt({}, { auth_token: "s3cret" })).replace(/\/mcp$/, "")
      for (const path of FILES) expect((yield* rawRequest(`${base}${path}`, { method: "GET" })).status, path).toBe(200)
      const settings = yield* rawRequest(`${base}/dashboard/settings.json`, { method: "GET" })
      expect(JSON.parse(settings.text)).toEqual({ token_required: true })
      for (const path of ["/api/v1/mcp/servers", "/openapi.json", "/dashboard/nope.js"])
        expect((yield* rawRequest(`${base}${path}`, { method: "GET" })).status, path).toBe(401)
    })
  )
})
