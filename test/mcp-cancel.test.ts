import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { eventually, listedWhen, mcpClient, startAtt } from "./support/mcpAtt.js"

describe("cancellation through /mcp (issue 16 §2)", () => {
  it.scopedLive(
    "a client that cancels its call cancels the upstream's request; the server stays healthy and serves on",
    () =>
      Effect.gen(function* () {
        const alpha = yield* startHttpUpstream({ name: "alpha" })
        const url = yield* startAtt({ alpha: { url: alpha.url } }, {}, 30_000)
        const client = yield* mcpClient(url)
        yield* listedWhen(client, (listed) => listed.tools.some((tool) => tool.name === "slow"))
        const cancel = new AbortController()
        const call = yield* Effect.fork(
          Effect.either(
            Effect.tryPromise(() =>
              client.callTool({ name: "slow", arguments: { ms: 20_000 } }, undefined, { signal: cancel.signal })
            )
          )
        )
        yield* eventually(() => alpha.counters.toolCalls === 1, "the call has not reached the upstream")
        cancel.abort("the user gave up")
        yield* eventually(() => alpha.counters.cancelled === 1, "the upstream's request was not cancelled")
        expect(Either.isLeft(yield* call.await.pipe(Effect.flatten))).toBe(true)
        const health = yield* Effect.promise(async () => {
          const response = await fetch(url.replace(/\/mcp$/, "/api/v1/mcp/servers/alpha"))
          return (await response.json()) as { status: string }
        })
        expect(health.status).toBe("healthy")
        const echoed = yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "after" } }))
        expect(echoed.content).toEqual([{ type: "text", text: "alpha: after" }])
      })
  )
})
