import { type ClientRequest, request as httpRequest } from "node:http"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { eventually, startAtt, text } from "./support/mcpAtt.js"

/** POST a JSON body with node:http; the request handle, and the answer once it comes. */
const post = (url: string, body: unknown) => {
  let sent: ClientRequest | undefined
  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    sent = httpRequest(url, { method: "POST", headers: { "content-type": "application/json" } }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) })
      )
    })
    sent.on("error", reject)
    sent.end(JSON.stringify(body))
  })
  answer.catch(() => undefined) // a request hung up on purpose never answers
  return { request: sent as ClientRequest, answer }
}

describe("REST invoke through the HTTP pipeline", () => {
  it.scopedLive(
    "a caller that hangs up mid-call cancels the upstream request and gives the server's slot back",
    () =>
      Effect.gen(function* () {
        const alpha = yield* startHttpUpstream({ name: "alpha" })
        const mcp = yield* startAtt({ alpha: { url: alpha.url } }, { max_concurrent_calls_per_server: 1 }, 20_000)
        const invoke = mcp.replace(/\/mcp$/, "/api/v1/mcp/invoke/tool")
        // Upstreams connect in the background: wait for a first answer.
        yield* Effect.promise(() => post(invoke, { tool_name: "echo", arguments: { message: "up" } }).answer).pipe(
          Effect.filterOrFail(
            (answer) => answer.status === 200,
            () => "not connected yet"
          ),
          Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 }),
          Effect.orDie
        )
        const slow = post(invoke, { tool_name: "slow", arguments: { ms: 10_000 } })
        yield* eventually(() => alpha.counters.toolCalls >= 2, "the slow call reaching the upstream")
        slow.request.destroy()
        yield* eventually(() => alpha.counters.cancelled === 1, "the upstream seeing the call cancelled")
        // The only slot is free again, and the interrupted call counted as no failure.
        const after = yield* Effect.promise(
          () => post(invoke, { tool_name: "echo", arguments: { message: "after" } }).answer
        )
        expect(after.status).toBe(200)
        expect(text(after.body.result)).toBe("alpha: after")
        const status = yield* Effect.promise(() =>
          fetch(mcp.replace(/\/mcp$/, "/api/v1/mcp/servers/alpha")).then((r) => r.json())
        )
        expect(status).toMatchObject({ status: "healthy", retry_count: 0 })
      }),
    15_000
  )
})
