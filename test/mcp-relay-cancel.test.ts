import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import {
  CancelledNotificationSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  type McpError
} from "@modelcontextprotocol/sdk/types.js"
import { Effect, Either } from "effect"
import { z } from "zod"
import { eventually, listedWhen, startAtt } from "./support/mcpAtt.js"

/**
 * Cancellation of a relayed request, both ways (MCP 2025-11-25, "Cancellation"): an upstream's elicitation reaches
 * the `/mcp` client that made the call through att; when the upstream cancels it, or the client cancels its call,
 * each side hears of it once, from the peer that sent it the request. Real SDK servers and clients over Streamable
 * HTTP.
 */

const FORM = {
  mode: "form" as const,
  message: "your name?",
  requestedSchema: { type: "object" as const, properties: { answer: { type: "string" as const } } }
}

/** What the upstream saw of its elicitation: the answer, the error att sent back, or its own cancellation. */
interface UpstreamSide {
  readonly outcomes: Array<string>
  /** What the upstream's SDK reported as wrong on the wire (a response to a request it had cancelled, say). */
  readonly errors: Array<string>
  /** Aborts the pending elicitation of `ask_cancellable` (the upstream changes its mind). */
  readonly abort: (reason: string) => void
  handlerCancelled: number
}

/**
 * `ask_cancellable` asks the client and can be told to cancel its question; `ask_unlinked` asks without tying its
 * question to its own call (an upstream that keeps asking after its call was cancelled): att has to answer it.
 */
const asking = (side: UpstreamSide, controllers: Array<AbortController>) => (server: McpServer) => {
  server.server.onerror = (error) => void side.errors.push(error.message)
  const ask = (name: string, linked: boolean) =>
    server.registerTool(name, { inputSchema: { question: z.string().optional() } }, async (_args, extra) => {
      const controller = new AbortController()
      controllers.push(controller)
      extra.signal.addEventListener("abort", () => {
        side.handlerCancelled += 1
      })
      const signal = linked ? AbortSignal.any([controller.signal, extra.signal]) : controller.signal
      try {
        const answer = await extra.sendRequest({ method: "elicitation/create", params: FORM }, ElicitResultSchema, {
          signal
        })
        side.outcomes.push(`answered ${JSON.stringify(answer)}`)
      } catch (error) {
        const { code, message } = error as McpError
        side.outcomes.push(
          signal.aborted ? `cancelled by itself: ${String(signal.reason)}` : `error ${code}: ${message}`
        )
      }
      return { content: [{ type: "text" as const, text: side.outcomes.at(-1) ?? "" }] }
    })
  ask("ask_cancellable", true)
  ask("ask_unlinked", false)
}

const upstreamSide = () => {
  const controllers: Array<AbortController> = []
  const side: UpstreamSide = {
    outcomes: [],
    errors: [],
    handlerCancelled: 0,
    abort: (reason) => {
      for (const controller of controllers) controller.abort(reason)
    }
  }
  return { side, extend: asking(side, controllers) }
}

/** What the `/mcp` client saw: the ids of the requests att sent it, and each cancellation att sent (id, reason). */
interface ClientSide {
  readonly asked: Array<string | number>
  readonly cancelled: Array<{ readonly requestId: string | number | undefined; readonly reason: string | undefined }>
}

/**
 * A `/mcp` client that declares elicitation and, when asked, never answers. It reads `notifications/cancelled`
 * itself: the SDK's own handler skips request id 0 (`if (!requestId) return`), the first id a server uses.
 */
const waitingClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const seen: ClientSide = { asked: [], cancelled: [] }
      const client = new Client({ name: "waiting", version: "0.0.0" }, { capabilities: { elicitation: { form: {} } } })
      client.setRequestHandler(ElicitRequestSchema, (_request, extra) => {
        seen.asked.push(extra.requestId)
        return new Promise<never>(() => undefined)
      })
      client.setNotificationHandler(CancelledNotificationSchema, ({ params }) => {
        seen.cancelled.push({ requestId: params.requestId, reason: params.reason })
      })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      return { client, seen }
    }),
    ({ client }) => Effect.promise(() => client.close())
  )

/**
 * att in front of the upstream side, a client waiting on its question, and that client's call of `tool`, cancellable
 * with `cancel`: started, and run until the client was asked.
 */
const askedCall = (tool: string) =>
  Effect.gen(function* () {
    const { side, extend } = upstreamSide()
    const upstream = yield* startHttpUpstream({ name: "alpha", extend })
    const url = yield* startAtt({ alpha: { url: upstream.url } }, {}, 30_000)
    const { client, seen } = yield* waitingClient(url)
    yield* listedWhen(client, (listed) => listed.tools.some((listed) => listed.name === tool))
    const cancel = new AbortController()
    const call = yield* Effect.fork(
      Effect.either(
        Effect.tryPromise(() => client.callTool({ name: tool, arguments: {} }, undefined, { signal: cancel.signal }))
      )
    )
    yield* eventually(() => seen.asked.length === 1, "the client was not asked")
    return { side, seen, cancel, call }
  })

describe("cancellation of a relayed request (issue 16 §2)", () => {
  it.scopedLive("the upstream cancels its elicitation: att cancels its request to the client; the call completes", () =>
    Effect.gen(function* () {
      const { side, extend } = upstreamSide()
      const upstream = yield* startHttpUpstream({ name: "alpha", extend })
      const url = yield* startAtt({ alpha: { url: upstream.url } }, {}, 30_000)
      const { client, seen } = yield* waitingClient(url)
      yield* listedWhen(client, (listed) => listed.tools.some((tool) => tool.name === "ask_cancellable"))
      const call = yield* Effect.fork(Effect.promise(() => client.callTool({ name: "ask_cancellable", arguments: {} })))
      yield* eventually(() => seen.asked.length === 1, "the client was not asked")
      side.abort("the upstream changed its mind")

      yield* eventually(() => seen.cancelled.length === 1, "the client's request was not cancelled")
      const result = yield* call.await.pipe(Effect.flatten)
      // The upstream's tool went on and answered; the client's late answer never reached it.
      expect(result.content).toEqual([{ type: "text", text: "cancelled by itself: the upstream changed its mind" }])
      expect(side.outcomes).toEqual(["cancelled by itself: the upstream changed its mind"])
      expect(side.handlerCancelled).toBe(0)
      // att sent no answer to the request the upstream had cancelled (the SDK would report an unknown id).
      yield* Effect.sleep("200 millis")
      expect(side.errors).toEqual([])
      // The cancellation went once, to the client asked, for att's request, saying who cancelled.
      expect(seen.cancelled).toEqual([
        { requestId: seen.asked[0], reason: "the upstream server cancelled its request" }
      ])
    })
  )

  it.scopedLive(
    "the client cancels its call while asked: the upstream's call is cancelled, att cancels its question to the client and answers the upstream's with an error",
    () =>
      Effect.gen(function* () {
        const { side, seen, cancel, call } = yield* askedCall("ask_unlinked")
        cancel.abort("the user gave up")

        // Upstream: its call cancelled (att sent notifications/cancelled for tools/call) and its question answered
        // with an error, since no client will answer it.
        yield* eventually(() => side.handlerCancelled === 1, "the upstream's call was not cancelled")
        yield* eventually(() => side.outcomes.length === 1, "the upstream's elicitation got no answer")
        expect(side.outcomes).toEqual([
          "error -32603: MCP error -32603: the client cancelled the call this request came with: the user gave up"
        ])
        // Client: att's question to it cancelled, once; its own call ended on its side.
        yield* eventually(() => seen.cancelled.length === 1, "att did not cancel its question to the client")
        expect(seen.cancelled).toEqual([
          { requestId: seen.asked[0], reason: "the call this request came with was cancelled" }
        ])
        expect(Either.isLeft(yield* call.await.pipe(Effect.flatten))).toBe(true)
      })
  )

  it.scopedLive(
    "the client cancels its call; an upstream that ties its question to its call cancels it itself: the client hears once",
    () =>
      Effect.gen(function* () {
        const { side, seen, cancel } = yield* askedCall("ask_cancellable")
        cancel.abort("the user gave up")
        yield* eventually(() => side.outcomes.length === 1, "the upstream's elicitation did not end")
        expect(side.outcomes[0]).toMatch(/^cancelled by itself/)
        yield* eventually(() => seen.cancelled.length === 1, "att did not cancel its question to the client")
        expect(seen.cancelled[0]?.requestId).toBe(seen.asked[0])
        // Still once, a moment later: the two ways it could hear of it (the call and the upstream) send one.
        yield* Effect.sleep("300 millis")
        expect(seen.cancelled).toHaveLength(1)
      })
  )
})
