import { tracingRequested } from "@att/gateway"
import { describe, expect, it } from "@effect/vitest"
import { traceHeadersOfBody, withTraceMeta } from "../packages/sdk-transport/src/TraceHeaders.js"

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
const bodyOf = (params: Record<string, unknown>) =>
  JSON.stringify({ method: "tools/call", params, jsonrpc: "2.0", id: 7 })

describe("trace context on upstream requests", () => {
  it("the request's own _meta wins over look-alikes in its arguments and in the caller's _meta", () => {
    const params = withTraceMeta(
      {
        _meta: { progressToken: 1, traceparent: "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01" },
        name: "t",
        arguments: { traceparent: "00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-aaaaaaaaaaaaaaaa-01", '"traceparent":"': "x" }
      },
      { traceparent: parent, tracestate: "vendor=1" }
    )
    expect(params._meta).toEqual({ progressToken: 1, traceparent: parent, tracestate: "vendor=1" })
    expect(traceHeadersOfBody(bodyOf(params))).toEqual({ traceparent: parent, tracestate: "vendor=1" })
  })

  it("no trace context, or a malformed one: no headers", () => {
    expect(traceHeadersOfBody(bodyOf({ name: "t", arguments: {} }))).toBeNull()
    expect(traceHeadersOfBody(bodyOf({ _meta: { traceparent: "00-zz-1-01" } }))).toBeNull()
    expect(traceHeadersOfBody(undefined)).toBeNull()
    const badState = bodyOf({ _meta: { traceparent: parent, tracestate: "a\\nb" } })
    expect(traceHeadersOfBody(badState)).toEqual({ traceparent: parent })
  })

  it("tracing is on only when an OTLP endpoint is set, and not disabled", () => {
    expect(tracingRequested({})).toBe(false)
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: " " })).toBe(false)
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true)
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true)
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" })).toBe(false)
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toBe(false)
  })
})
