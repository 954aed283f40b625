import { type InvocationMethod, Manager, TransportError, httpUpstream } from "@att/core"
import {
  ScriptedTransport,
  type ScriptedTransportControls,
  advanceSeconds,
  atT0,
  rpcErrorAnswer,
  scriptedAtt
} from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"

/**
 * Issue 14 §1: who is at fault decides what happens. An upstream's JSON-RPC error whose code says the request itself
 * is at fault is the caller's answer: P keeps its status, the call is not retried nor sent to B, and the caller
 * gets the upstream's code, message and data. Other rpc errors, and transport failures, count against P and fail
 * over, as before. A transport failure marked `callOnly` keeps P's status and does not fail over either.
 */

const INVOKED: ReadonlySet<string> = new Set(["tools/call", "resources/read", "prompts/get", "completion/complete"])

/** P answers every invocation with `error`; everything else (handshakes, B) is the cluster fake's. */
const rejectingP = (error: { readonly code?: number; readonly message: string; readonly data?: unknown }) =>
  scriptedAtt({
    transport: {
      responder: (server, request) =>
        server === "P" && INVOKED.has(request.method) ? rpcErrorAnswer(request, error) : undefined
    }
  })

/** P fails every invocation with `error` before any answer. */
const failingP = (error: TransportError) =>
  scriptedAtt({
    transport: {
      responder: (server, request) => (server === "P" && INVOKED.has(request.method) ? Effect.fail(error) : undefined)
    }
  })

const call = (method: InvocationMethod) =>
  Effect.flatMap(Manager, (manager) => {
    const preferred = ["P", "B"]
    switch (method) {
      case "tools/call":
        return manager.invokeTool("echo", { message: "x" }, preferred)
      case "resources/read":
        return manager.readResource("demo://nope/x", preferred)
      case "prompts/get":
        return manager.getPrompt("greet", { name: "x" }, preferred)
      case "completion/complete":
        return manager.complete(
          { ref: { type: "ref/prompt", name: "greet" }, argument: { name: "name", value: "x" } },
          preferred
        )
      default:
        return Effect.die(`not a call with failover: ${method}`)
    }
  })

const setUp = Effect.gen(function* () {
  yield* atT0
  const manager = yield* Manager
  yield* manager.register("P", httpUpstream("http://P.local"))
  yield* manager.register("B", httpUpstream("http://B.local"))
  yield* manager.initializeServer("P")
  return { manager, scripted: yield* ScriptedTransport }
})

/** How many times `server` was sent `method`. */
const sent = (scripted: ScriptedTransportControls, server: string, method: string) =>
  scripted.calls().filter((entry) => entry.server === server && entry.method === method).length

const CALLER_FAULTS = [
  [-32600, "Invalid request", undefined],
  [-32601, "Method not found", { method: "tools/frobnicate" }],
  [-32602, "Resource demo://nope/x not found", { uri: "demo://nope/x" }],
  [-32002, "Resource not found", { uri: "demo://nope/x" }],
  [-32042, "URL elicitation required", { elicitations: [{ mode: "url", url: "https://example.com/consent" }] }]
] as const
const METHODS: ReadonlyArray<InvocationMethod> = ["tools/call", "resources/read", "prompts/get", "completion/complete"]

describe("issue 14 §1: an upstream's answer about the request is the caller's, not the server's fault", () => {
  CALLER_FAULTS.forEach(([code, message, data], index) => {
    const method = METHODS[index % METHODS.length] as InvocationMethod
    const error = data === undefined ? { code, message } : { code, message, data }

    it.effect(`${code} to ${method}: passed on unchanged, once, not failed over, P stays healthy`, () =>
      Effect.gen(function* () {
        const { manager, scripted } = yield* setUp
        const before = yield* manager.get("P")
        const outcome = yield* Effect.flip(call(method))

        expect(outcome._tag).toBe("UpstreamRejected")
        if (outcome._tag !== "UpstreamRejected") return
        expect(outcome).toMatchObject({ server: "P", method, code, message })
        expect(outcome.request_id).toMatch(/^[0-9a-f-]{36}$/)
        expect(outcome.data).toEqual(data)

        // One attempt at P; B is never contacted.
        expect(sent(scripted, "P", method)).toBe(1)
        expect(scripted.calls().filter((entry) => entry.server === "B")).toEqual([])
        // P's status and handshake are untouched; no transition is recorded.
        expect(yield* manager.get("P")).toEqual(before)
        expect(yield* manager.listEvents({ correlation_id: outcome.request_id })).toEqual([])
        // The invocation's events record the answer as an invoke failure.
        const events = yield* manager.listInvocationEvents({ request_id: outcome.request_id })
        expect(events.map((event) => [event.server, event.phase, event.error, event.error_category])).toEqual([
          ["P", "initialize_start", null, null],
          ["P", "initialize_success", null, null],
          ["P", "invoke_start", null, null],
          ["P", "invoke_failure", `rpc error: ${message}`, "rpc_error"]
        ])
        // The next call goes to P again without a new handshake.
        yield* advanceSeconds(1)
        yield* Effect.flip(call(method))
        expect(sent(scripted, "P", method)).toBe(2)
        expect(sent(scripted, "P", "initialize")).toBe(1)
      }).pipe(Effect.provide(rejectingP(error)))
    )
  })

  const SERVER_FAULTS = [
    ["-32603 (internal error)", { code: -32603, message: "Internal error" }],
    ["-32000 (server-defined)", { code: -32000, message: "Backend down" }],
    ["a code that is not a number", { code: "-32602" as unknown as number, message: "odd" }],
    ["no code (the seed's rpc failure)", { message: "rpc failure" }]
  ] as const

  for (const [label, error] of SERVER_FAULTS) {
    it.effect(`${label}: counts against P and fails over to B, as before`, () =>
      Effect.gen(function* () {
        const { manager, scripted } = yield* setUp
        const served = yield* call("tools/call")
        expect(served.server).toBe("B")
        const record = yield* manager.get("P")
        expect(record).toMatchObject({
          status: "degraded",
          retry_count: 1,
          initialized: false,
          last_error: `rpc error: ${error.message}`,
          last_error_category: "rpc_error"
        })
        expect(
          (yield* manager.listEvents({ server: "P", correlation_id: served.request_id })).map((e) => e.to_status)
        ).toEqual(["degraded"])
        expect(sent(scripted, "P", "tools/call")).toBe(1)
        expect(sent(scripted, "B", "tools/call")).toBe(1)
      }).pipe(Effect.provide(rejectingP(error)))
    )
  }

  it.effect("a transport failure and a timeout still count against P and fail over", () =>
    Effect.gen(function* () {
      const { manager, scripted } = yield* setUp
      scripted.setScript("P", "tools/call", ["timeout"])
      expect((yield* call("tools/call")).server).toBe("B")
      expect(yield* manager.get("P")).toMatchObject({ status: "degraded", last_error_category: "network_timeout" })
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect(
    "a call-only transport failure: P keeps its status, no failover, the 503 carries the transport's message",
    () =>
      Effect.gen(function* () {
        const { manager, scripted } = yield* setUp
        const before = yield* manager.get("P")
        const error = yield* Effect.flip(call("tools/call"))
        expect(error._tag).toBe("InvocationError")
        if (error._tag !== "InvocationError") return
        expect(error.message).toBe(
          "Invocation failed across servers: P: result exceeds 1048576 bytes (not tried elsewhere: the failure at P belongs to this call alone)"
        )
        expect(error.attempts).toEqual([
          { server: "P", stage: "initialize", success: true, error: null, error_category: null },
          {
            server: "P",
            stage: "invoke",
            success: false,
            error: "result exceeds 1048576 bytes",
            error_category: "invalid_payload"
          }
        ])
        expect(yield* manager.get("P")).toEqual(before)
        expect(yield* manager.listEvents({ correlation_id: error.request_id ?? "" })).toEqual([])
        expect(scripted.calls().filter((entry) => entry.server === "B")).toEqual([])
        const phases = (yield* manager.listInvocationEvents({ request_id: error.request_id ?? "" })).map(
          (event) => event.phase
        )
        expect(phases).toEqual(["initialize_start", "initialize_success", "invoke_start", "invoke_failure"])
      }).pipe(
        Effect.provide(
          failingP(
            new TransportError({ message: "result exceeds 1048576 bytes", category: "invalid_payload", callOnly: true })
          )
        )
      )
  )

  it.effect("the same failure without callOnly counts against P and fails over", () =>
    Effect.gen(function* () {
      const { manager } = yield* setUp
      expect((yield* call("tools/call")).server).toBe("B")
      expect(yield* manager.get("P")).toMatchObject({ status: "degraded", last_error: "result exceeds 1048576 bytes" })
    }).pipe(
      Effect.provide(
        failingP(new TransportError({ message: "result exceeds 1048576 bytes", category: "invalid_payload" }))
      )
    )
  )
})
