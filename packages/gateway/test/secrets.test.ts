import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Manager, type ProbeShape, TransportError } from "@att/core"
import type { Responder } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { apiHarness } from "./harness.js"

/** Any of the configured secrets below, as they were written. */
const SECRET = /s[e3]cret/

/**
 * `leaky` fails its handshake with a message quoting its URL with the credentials and its header; `child` completes
 * its handshake and fails the call quoting its env.
 */
const leakyResponder: Responder = (server, request) => {
  if (server === "leaky") {
    const message =
      "Request cannot be constructed from a URL that includes credentials: http://user:secret@leaky.local/mcp (sent Bearer s3cret)"
    return Effect.fail(new TransportError({ message, category: "transport_error" }))
  }
  if (!("id" in request)) return Effect.succeed({})
  if (request.method === "initialize") {
    return Effect.succeed({
      jsonrpc: "2.0",
      id: request.id,
      result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: server } }
    })
  }
  return Effect.fail(
    new TransportError({ message: "child exited: API_KEY=topsecret rejected", category: "transport_error" })
  )
}

/** The health probe fails quoting the URL it was given, credentials included (as a fetch error would). */
const quotingProbe: ProbeShape = (target) =>
  Effect.succeed({
    healthy: false,
    error: `ping failed: ${target.upstream.transport === "stdio" ? JSON.stringify(target.upstream.env) : target.upstream.url}`
  })

describe("secrets never leave (issue 14 §4)", () => {
  it.effect(
    "URL credentials, header and env values are redacted in server records, events, invocation events and the 503",
    () =>
      Effect.gen(function* () {
        const http = yield* HttpClient.HttpClient
        const body = (request: HttpClientRequest.HttpClientRequest) =>
          Effect.flatMap(http.execute(request), (response) =>
            Effect.map(response.text, (text) => ({ status: response.status, text }))
          )
        const json = (path: string, payload: unknown) =>
          body(HttpClientRequest.post(`/api/v1/mcp/${path}`).pipe(HttpClientRequest.bodyUnsafeJson(payload)))
        const get = (path: string) => body(HttpClientRequest.get(`/api/v1/mcp/${path}`))

        const registered = yield* json("servers", {
          name: "leaky",
          url: "http://user:secret@leaky.local/mcp",
          headers: { authorization: "Bearer s3cret" }
        })
        expect(registered.status).toBe(201)
        yield* (yield* Manager).register("child", {
          transport: "stdio",
          command: "upstream",
          env: { API_KEY: "topsecret", DEBUG: "1" }
        })

        const checked = yield* body(HttpClientRequest.post("/api/v1/mcp/servers/leaky/health-check"))
        const checkedAll = yield* body(HttpClientRequest.post("/api/v1/mcp/servers/health-check"))
        yield* TestClock.adjust("10 seconds")
        const failed = yield* json("invoke/tool", { tool_name: "echo", arguments: {} })
        expect(failed.status).toBe(503)
        const answers = [
          registered,
          failed,
          checked,
          checkedAll,
          yield* get("servers"),
          yield* get("servers/leaky"),
          yield* get("servers/child"),
          yield* get("events"),
          yield* get("invocation-events"),
          yield* json("route/tool", { tool_name: "echo" })
        ]
        for (const answer of answers) expect(answer.text).not.toMatch(SECRET)

        // What is shown instead: the URL without its userinfo, and the errors with `***` for each secret.
        expect(JSON.parse(registered.text).url).toBe("http://***@leaky.local/mcp")
        const detail = JSON.parse(failed.text).detail
        expect(detail.message).toContain(
          "leaky: initialize failed (Request cannot be constructed from a URL that includes credentials: http://***@leaky.local/mcp (sent ***))"
        )
        expect(detail.message).toContain("child: child exited: API_KEY=*** rejected")
        expect(detail.attempts.map((attempt: { error: string }) => attempt.error)).toContain(
          "child exited: API_KEY=*** rejected"
        )
        const child = JSON.parse((yield* get("servers/child")).text)
        expect(child.last_error).toBe("child exited: API_KEY=*** rejected")
        const invocationEvents = JSON.parse((yield* get("invocation-events?server=child")).text).items
        expect(invocationEvents.at(-1)).toMatchObject({
          phase: "invoke_failure",
          error: "child exited: API_KEY=*** rejected"
        })
        const events = JSON.parse((yield* get("events?server=leaky")).text).items
        expect(events[0].reason).toBe("ping failed: http://***@leaky.local/mcp")
        expect(JSON.parse(checked.text).last_error).toBe("ping failed: http://***@leaky.local/mcp")
        expect(JSON.parse(checkedAll.text).items[0].last_error).toBe('ping failed: {"API_KEY":"***","DEBUG":"1"}')
      }).pipe(Effect.provide(apiHarness({ transport: { responder: leakyResponder }, probe: quotingProbe })))
  )
})
