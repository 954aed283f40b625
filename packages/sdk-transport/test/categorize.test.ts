import { TransportError } from "@att/core"
import { categorize, invalidatesSession, isUpstreamRpcError } from "../src/Categorize.js"
import { SseError } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it } from "@effect/vitest"
import { OversizedBody, oversizedResponse } from "../src/ResultLimit.js"

describe("SDK failure categories (spec §2.2, §9.3, U32; one mapping for every transport: G20)", () => {
  it("maps timeouts, HTTP statuses, payload and connection failures", () => {
    expect(categorize(new McpError(ErrorCode.RequestTimeout, "Request timed out"))).toMatchObject({
      category: "network_timeout"
    })
    expect(categorize(new StreamableHTTPError(503, "Service Unavailable"))).toEqual(
      new TransportError({ message: "http status 503", category: "http_status" })
    )
    expect(categorize(new SseError(404, "Not Found", {} as never))).toMatchObject({
      category: "http_status",
      message: "http status 404"
    })
    expect(categorize(new SyntaxError("Unexpected token"))).toMatchObject({ category: "invalid_payload" })
    const zodLike = Object.assign(new Error("bad shape"), { name: "ZodError", issues: [] })
    expect(categorize(zodLike)).toMatchObject({ category: "invalid_payload" })
    expect(categorize(new McpError(ErrorCode.ConnectionClosed, "Connection closed"))).toMatchObject({
      category: "transport_error"
    })
    const refused = new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") })
    expect(categorize(refused)).toEqual(
      new TransportError({ message: "fetch failed: connect ECONNREFUSED 127.0.0.1:9", category: "transport_error" })
    )
    expect(categorize(Object.assign(new Error("aborted"), { name: "TimeoutError" }))).toMatchObject({
      category: "network_timeout"
    })
    expect(categorize("weird")).toMatchObject({ category: "transport_error", message: "weird" })
  })

  it("keeps the session only for payload failures, and recognizes upstream rpc errors", () => {
    expect(invalidatesSession(new TransportError({ message: "x", category: "invalid_payload" }))).toBe(false)
    for (const category of ["network_timeout", "http_status", "transport_error"] as const) {
      expect(invalidatesSession(new TransportError({ message: "x", category }))).toBe(true)
    }
    expect(isUpstreamRpcError(new McpError(ErrorCode.InvalidParams, "unknown tool"))).toBe(true)
    expect(isUpstreamRpcError(new McpError(ErrorCode.RequestTimeout, "timeout"))).toBe(false)
    expect(isUpstreamRpcError(new Error("plain"))).toBe(false)
  })

  it("a result over max_result_bytes is that call's own invalid_payload (callOnly); an upstream's look-alike is its rpc error (issue 14 §2)", () => {
    const response = oversizedResponse(7, 1024) as { error: { code: number; message: string; data: unknown } }
    const ours = new McpError(response.error.code, response.error.message, response.error.data)
    const expected = new TransportError({
      message: "result exceeds max_result_bytes (1024 bytes)",
      category: "invalid_payload",
      callOnly: true
    })
    expect(categorize(ours)).toEqual(expected)
    expect(categorize(new OversizedBody(1024))).toEqual(expected)
    expect(isUpstreamRpcError(ours)).toBe(false)
    const lookAlike = new McpError(response.error.code, response.error.message, {
      attResultLimit: "guessed",
      limit: 1024
    })
    expect(isUpstreamRpcError(lookAlike)).toBe(true)
  })
})
