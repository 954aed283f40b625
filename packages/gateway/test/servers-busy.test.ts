import { HttpClient, HttpClientRequest } from "@effect/platform"
import { TransportError } from "@att/core"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { apiClient, apiHarness, register } from "./harness.js"

const invokeTool = (preferred_servers: ReadonlyArray<string>) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      HttpClientRequest.post("/api/v1/mcp/invoke/tool").pipe(
        HttpClientRequest.bodyUnsafeJson({ tool_name: "x", arguments: {}, preferred_servers })
      )
    )
  ).pipe(
    Effect.flatMap((response) =>
      Effect.map(response.json, (json) => ({
        status: response.status,
        retryAfter: response.headers["retry-after"],
        json: json as Record<string, unknown>
      }))
    )
  )

describe("busy servers", () => {
  it.effect(
    "when every server a call could go to is at its concurrency limit the answer is 429 with Retry-After, not a 503",
    () =>
      Effect.gen(function* () {
        const entered = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        yield* Effect.gen(function* () {
          const client = yield* apiClient
          yield* register(client, "P")
          const held = yield* Effect.fork(invokeTool(["P"]))
          yield* Deferred.await(entered)

          const busy = yield* invokeTool(["P"])
          expect(busy.status).toBe(429)
          expect(busy.retryAfter).toBe("1")
          expect(busy.json).toMatchObject({
            _tag: "ServersBusy",
            detail: {
              method: "tools/call",
              attempts: [{ server: "P", stage: "invoke", success: false, error: "server busy: 1 calls in flight" }]
            }
          })
          expect(busy.json.detail).not.toHaveProperty("busy")

          // One server busy and one that failed: a failure, 503 as before.
          yield* register(client, "F")
          const failed = yield* invokeTool(["P", "F"])
          expect(failed.status).toBe(503)
          expect(failed.retryAfter).toBeUndefined()
          expect(failed.json).toMatchObject({ _tag: "InvocationFailed" })

          yield* Deferred.succeed(gate, undefined)
          expect((yield* Fiber.join(held)).status).toBe(200)
          expect((yield* invokeTool(["P"])).status).toBe(200) // the slot was given back
        }).pipe(
          Effect.provide(
            apiHarness({
              manager: { maxConcurrentCallsPerServer: 1 },
              transport: {
                responder: (server, request) => {
                  if (!("id" in request) || request.method !== "tools/call") return undefined
                  if (server === "F")
                    return Effect.fail(new TransportError({ message: "F is down", category: "transport_error" }))
                  return Deferred.succeed(entered, undefined).pipe(
                    Effect.zipRight(Deferred.await(gate)),
                    Effect.as({ jsonrpc: "2.0", id: request.id, result: { by: server } })
                  )
                }
              }
            })
          )
        )
      })
  )
})
