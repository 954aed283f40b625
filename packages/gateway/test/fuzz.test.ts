import { Manager } from "@att/core"
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { apiClient, apiHarness, register } from "./harness.js"

/** Strings that tend to break things: huge, odd unicode, control characters, slashes, JSON look-alikes. */
const nasty = fc.oneof(
  fc.string(),
  fc.fullUnicodeString({ maxLength: 64 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\u202e",
    "💥",
    "a/b",
    "../..",
    "%00",
    "\ud800",
    "null",
    "[]",
    "{}",
    "-1",
    "1e999"
  ),
  fc.string({ minLength: 2000, maxLength: 5000 })
)
const notAnObject = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 })
)
const json = fc.anything({ maxDepth: 3 })

const hex = (high: number, low: number) => ((high << 8) | low).toString(16)
/** An IPv4 address att never connects to for a registered server: link-local, private, multicast or reserved. */
const internalIpv4 = fc
  .tuple(fc.constantFrom(169, 10, 224, 239, 240, 255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map(([first, b, c, d]) => (first === 169 ? [169, 254, c, d] : [first, b, c, d]))
/** That address in every IPv6 form that carries one (issue 14 §4): a URL's host. */
const internalHost = fc.tuple(internalIpv4, fc.nat(7)).map(([[a = 0, b = 0, c = 0, d = 0], form]) => {
  const [high, low] = [hex(a, b), hex(c, d)]
  const teredo = `${hex(a ^ 255, b ^ 255)}:${hex(c ^ 255, d ^ 255)}`
  return [
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${high}:${low}]`,
    `[::${high}:${low}]`,
    `[::ffff:0:${high}:${low}]`,
    `[64:ff9b::${high}:${low}]`,
    `[64:ff9b:1::${high}:${low}]`,
    `[2002:${high}:${low}::1]`,
    `[2001:0:4136:e378:8000:63bf:${teredo}]`
  ][form] as string
})
const INTERNAL_HOSTS = [
  "[fec0::1]",
  "[ff02::1]",
  "[fd00:ec2::254]",
  "198.18.0.1",
  "0.1.2.3",
  "100.100.100.200",
  "metadata.google.internal."
]

/** A request that must be refused: every route, wrong types, missing and extra fields, bad limits, bad bodies. */
const badRequest: fc.Arbitrary<HttpClientRequest.HttpClientRequest> = fc.oneof(
  // registration: wrong shapes, bad names, bad URLs
  fc
    .record({
      name: fc
        .oneof(nasty, notAnObject)
        .filter((n) => typeof n !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(n)),
      url: fc.constant("http://x.local")
    })
    .map((body) => HttpClientRequest.post("/api/v1/mcp/servers").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  fc
    .record({
      name: fc.constant("ok"),
      url: fc.oneof(nasty, notAnObject).filter((u) => typeof u !== "string" || !/^https?:\/\/[^\s/]/i.test(u))
    })
    .map((body) => HttpClientRequest.post("/api/v1/mcp/servers").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  // registration: internal addresses, in every form that carries one
  fc
    .record({
      name: fc.constantFrom("ok", "x"),
      url: fc
        .tuple(fc.oneof(internalHost, fc.constantFrom(...INTERNAL_HOSTS)), fc.constantFrom("http", "https"))
        .map(([host, scheme]) => `${scheme}://${host}/mcp`),
      transport: fc.constant("streamable-http")
    })
    .map((body) => HttpClientRequest.post("/api/v1/mcp/servers").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  notAnObject.map((body) => HttpClientRequest.post("/api/v1/mcp/servers").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  // invocation: missing or mistyped fields, extra fields
  fc
    .record({ tool_name: notAnObject.filter((v) => typeof v !== "string"), arguments: json, extra: json })
    .map((body) => HttpClientRequest.post("/api/v1/mcp/invoke/tool").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  fc
    .record({
      tool_name: nasty,
      arguments: notAnObject.filter((v) => v !== null),
      preferred_servers: json.filter((v) => v !== null && !Array.isArray(v))
    })
    .map((body) => HttpClientRequest.post("/api/v1/mcp/invoke/tool").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  fc
    .record({ uri: notAnObject.filter((v) => typeof v !== "string") }, { requiredKeys: [] })
    .map((body) => HttpClientRequest.post("/api/v1/mcp/invoke/resource").pipe(HttpClientRequest.bodyUnsafeJson(body))),
  // malformed JSON and wrong content types
  fc
    .string({ maxLength: 200 })
    .filter((text) => {
      try {
        JSON.parse(text)
        return false
      } catch {
        return true
      }
    })
    .chain((text) =>
      fc
        .constantFrom("/api/v1/mcp/servers", "/api/v1/mcp/invoke/tool", "/api/v1/mcp/invoke/resource")
        .map((path) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyText(text, "application/json")))
    ),
  fc
    .constantFrom("text/plain", "application/xml", "application/x-www-form-urlencoded")
    .map((type) =>
      HttpClientRequest.post("/api/v1/mcp/invoke/tool").pipe(HttpClientRequest.bodyText('{"tool_name": 1}', type))
    ),
  // nesting bombs, at any depth past the limit, on every route with a body and on /mcp
  fc
    .tuple(
      fc.integer({ min: 65, max: 20_000 }),
      fc.constantFrom("[", '{"a":'),
      fc.constantFrom(
        "/api/v1/mcp/servers",
        "/api/v1/mcp/invoke/tool",
        "/api/v1/mcp/invoke/resource",
        "/api/v1/mcp/route/tool",
        "/mcp"
      )
    )
    .map(([depth, open, path]) => {
      const close = open === "[" ? "]" : "}"
      return HttpClientRequest.post(path).pipe(
        HttpClientRequest.bodyText(`{"tool_name": ${open.repeat(depth)}1${close.repeat(depth)}}`, "application/json")
      )
    }),
  // forms, multipart, text and bodies without a content type, on every route that takes a body and on /mcp
  fc
    .tuple(
      fc.constantFrom(
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "text/plain",
        "text/html",
        "application/octet-stream",
        "application/jsonx",
        "application/xml"
      ),
      fc.constantFrom("/api/v1/mcp/servers", "/api/v1/mcp/invoke/tool", "/api/v1/mcp/servers/health-check", "/mcp"),
      fc.string({ maxLength: 200 })
    )
    .map(([type, path, text]) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyText(text || "x", type))),
  fc
    .constantFrom("/api/v1/mcp/servers", "/api/v1/mcp/invoke/tool", "/mcp")
    .map((path) =>
      HttpClientRequest.post(path).pipe(
        HttpClientRequest.setBody(HttpBody.raw('{"tool_name":"echo"}', { contentLength: 20 }))
      )
    ),
  // a page of another origin: would register or delete a server, were it not refused
  fc
    .tuple(
      fc.constantFrom(
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "file://"
      ),
      fc.constantFrom("register", "delete", "mcp")
    )
    .map(([origin, what]) =>
      (what === "register"
        ? HttpClientRequest.post("/api/v1/mcp/servers").pipe(
            HttpClientRequest.bodyUnsafeJson({
              name: "evil",
              url: "http://127.0.0.1:9/mcp",
              transport: "streamable-http"
            })
          )
        : what === "delete"
          ? HttpClientRequest.del("/api/v1/mcp/servers/alpha")
          : HttpClientRequest.post("/mcp").pipe(
              HttpClientRequest.bodyUnsafeJson({ jsonrpc: "2.0", id: 1, method: "ping" })
            )
      ).pipe(HttpClientRequest.setHeader("origin", origin))
    ),
  // oversized bodies
  fc
    .integer({ min: 70_000, max: 200_000 })
    .map((size) =>
      HttpClientRequest.post("/api/v1/mcp/invoke/tool").pipe(
        HttpClientRequest.bodyUnsafeJson({
          tool_name: "x",
          arguments: { blob: "y".repeat(size) },
          preferred_servers: null
        })
      )
    ),
  // limits: zero, negative, huge, not numbers, on every event route
  fc
    .tuple(
      fc.constantFrom("/api/v1/mcp/events", "/api/v1/mcp/invocation-events", "/api/v1/mcp/adapter-sessions"),
      fc.oneof(
        fc.integer({ max: 0 }).map(String),
        fc.constantFrom("1.5", "abc", "", "1e400", "0x10", " 1", "--1"),
        nasty.filter((s) => !/^\s*\d+\s*$/.test(s) || Number(s) < 1)
      )
    )
    .map(([path, limit]) => HttpClientRequest.get(path).pipe(HttpClientRequest.setUrlParam("limit", limit))),
  // cursors: negative, fractional, too large, not numbers, on the three event routes
  fc
    .tuple(
      fc.constantFrom("/api/v1/mcp/events", "/api/v1/mcp/invocation-events", "/api/v1/mcp/capability-events"),
      fc.oneof(
        fc.integer({ max: -1 }).map(String),
        fc.constantFrom("1.5", "abc", "", "1e400", "0x10", " 1", "99999999999999999"),
        nasty.filter((s) => !/^\d+$/.test(s))
      )
    )
    .map(([path, cursor]) => HttpClientRequest.get(path).pipe(HttpClientRequest.setUrlParam("cursor", cursor))),
  fc
    .oneof(nasty.filter((s) => !["unknown", "active_recent", "stale"].includes(s)))
    .map((freshness) =>
      HttpClientRequest.get("/api/v1/mcp/adapter-sessions").pipe(HttpClientRequest.setUrlParam("freshness", freshness))
    ),
  nasty
    .filter((s) => s !== "true" && s !== "false")
    .map((flag) =>
      HttpClientRequest.get("/api/v1/mcp/adapter-sessions").pipe(HttpClientRequest.setUrlParam("active_only", flag))
    ),
  // per-server routes with names that are not registered (slashes, control characters, unicode)
  fc
    .tuple(
      // "." and ".." are path dot-segments, resolved by the URL itself: they address other routes.
      nasty.filter((name) => name !== "" && name !== "alpha" && name !== "." && name !== ".."),
      fc.constantFrom("", "/health-check", "/initialize", "/connect", "/adapter/invalidate", "/adapter/refresh")
    )
    .map(([name, suffix]) => {
      const path = `/api/v1/mcp/servers/${encode(name)}${suffix}`
      return suffix === "" ? HttpClientRequest.get(path) : HttpClientRequest.post(path)
    }),
  nasty
    .filter((name) => !["", "alpha", ".", ".."].includes(name))
    .map((name) => HttpClientRequest.del(`/api/v1/mcp/servers/${encode(name)}`))
)

const RUNS = 10_000
/** Percent-encode, with lone surrogates (which cannot be encoded) replaced. */
function encode(segment: string): string {
  return encodeURIComponent(segment.replace(/[\ud800-\udfff]/g, "\ufffd"))
}

describe("fuzzing the HTTP API", () => {
  it.live(
    `${RUNS} bad requests: every answer is a 4xx JSON body with a message, the registry is unchanged`,
    () =>
      Effect.gen(function* () {
        const client = yield* apiClient
        const raw = yield* HttpClient.HttpClient
        const manager = yield* Manager
        yield* register(client, "alpha")
        const before = yield* manager.list
        const samples = fc.sample(badRequest, { numRuns: RUNS, seed: 20261124 })
        const statuses = new Map<number, number>()
        yield* Effect.forEach(
          samples,
          (request) =>
            Effect.gen(function* () {
              const response = yield* raw.execute(request)
              const text = yield* response.text
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
              const context = `${request.method} ${request.url}?${JSON.stringify(request.urlParams)} → ${response.status} ${text.slice(0, 200)}`
              expect(response.status, context).toBeGreaterThanOrEqual(400)
              expect(response.status, context).toBeLessThan(500)
              expect(response.headers["content-type"], context).toContain("application/json")
              const body = JSON.parse(text) as Record<string, unknown>
              const error = body.error as Record<string, unknown> | undefined
              expect(typeof (body.detail ?? body.message ?? error?.message), context).toBe("string")
            }),
          { concurrency: 8, discard: true }
        )
        expect(yield* manager.list).toEqual(before)
        expect((yield* client.mcp.listServers()).items.map((s) => s.name)).toEqual(["alpha"])
        expect([...statuses.keys()].every((status) => status >= 400 && status < 500)).toBe(true)
      }).pipe(Effect.provide(apiHarness({ gateway: { maxBodyBytes: 64 * 1024 } }))),
    120_000
  )
})
