import { everythingServerCommand } from "@att/gateway"
import { describe, expect, it } from "@effect/vitest"
import { McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Either, Schedule } from "effect"
import { mcpClient, startAtt, text } from "./support/mcpAtt.js"

/** att as `npm start` runs it (REST and `/mcp` on a real socket) over the real server-everything (stdio). */
const service = Effect.map(startAtt({ everything: everythingServerCommand() }, {}, 10_000), (mcp) => ({
  mcp,
  origin: mcp.replace(/\/mcp$/, "")
}))

const request = (origin: string, method: "GET" | "POST", path: string, payload?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${origin}${path}`, {
      method,
      ...(payload === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(payload) })
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })

/** The server as REST shows it, once the background connect has initialized it (bounded). */
const initialized = (origin: string) =>
  request(origin, "GET", "/api/v1/mcp/servers/everything").pipe(
    Effect.filterOrFail(
      (answer) => answer.body.initialized === true,
      () => "server-everything not initialized yet"
    ),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
    Effect.orDie
  )

describe("issue 14 §1 through the running service, against server-everything", () => {
  it.scopedLive(
    "reading a resource server-everything does not have answers the caller; the server stays healthy for everyone",
    () =>
      Effect.gen(function* () {
        const { origin } = yield* service
        yield* initialized(origin)
        const missing = yield* request(origin, "POST", "/api/v1/mcp/invoke/resource", { uri: "demo://nope/x" })
        const detail = missing.body.detail as Record<string, unknown>
        // server-everything (SDK servers) answer -32602 for an unknown resource; -32002 is MCP's "resource not found".
        expect([
          [404, -32002],
          [400, -32602]
        ]).toContainEqual([missing.status, detail.code])
        expect(missing.body._tag).toBe(missing.status === 404 ? "UpstreamNotFound" : "UpstreamBadRequest")
        expect(detail.server).toBe("everything")
        // The message as the upstream sent it (an SDK server words its errors so); the SDK client would prefix it again.
        expect(detail.message).toBe(`MCP error ${detail.code}: Resource demo://nope/x not found`)

        const server = yield* request(origin, "GET", "/api/v1/mcp/servers/everything")
        expect(server.body).toMatchObject({ status: "healthy", retry_count: 0, initialized: true, last_error: null })
        const echoed = yield* request(origin, "POST", "/api/v1/mcp/invoke/tool", {
          tool_name: "echo",
          arguments: { message: "still here" }
        })
        expect(echoed.status).toBe(200)
        expect(echoed.body.result).toEqual({ content: [{ type: "text", text: "Echo: still here" }] })
      })
  )

  it.scopedLive(
    "a result is answered once, structuredContent intact; raw_response is the upstream's response as received",
    () =>
      Effect.gen(function* () {
        const { origin } = yield* service
        yield* initialized(origin)
        const payload = { tool_name: "get-structured-content", arguments: { location: "Chicago" } }
        const plain = yield* request(origin, "POST", "/api/v1/mcp/invoke/tool", payload)
        expect(plain.status).toBe(200)
        expect(plain.body).not.toHaveProperty("raw_response")
        const weather = { temperature: 36, conditions: "Light rain / drizzle", humidity: 82 }
        expect(plain.body.result).toMatchObject({ structuredContent: weather })

        const raw = yield* request(origin, "POST", "/api/v1/mcp/invoke/tool", { ...payload, include_raw: true })
        const response = raw.body.raw_response as Record<string, unknown>
        expect(response.jsonrpc).toBe("2.0")
        expect(typeof response.id).toBe("number") // the id the SDK client gave the request upstream
        expect(response.result).toEqual(raw.body.result)
        expect(Object.keys(response).sort()).toEqual(["id", "jsonrpc", "result"])
      })
  )

  it.scopedLive(
    "through /mcp the client gets the upstream's code, message and data, and the server stays healthy",
    () =>
      Effect.gen(function* () {
        const { origin, mcp } = yield* service
        yield* initialized(origin)
        const client = yield* mcpClient(mcp)
        // Until server-everything's templates are in the catalog no server offers the URI, and att answers itself.
        yield* Effect.promise(() => client.listResourceTemplates()).pipe(
          Effect.filterOrFail(
            (listed) => listed.resourceTemplates.length > 0,
            () => "templates not listed yet"
          ),
          Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
          Effect.orDie
        )
        for (let attempt = 0; attempt < 3; attempt++) {
          const outcome = yield* Effect.either(Effect.tryPromise(() => client.readResource({ uri: "demo://nope/x" })))
          expect(Either.isLeft(outcome)).toBe(true)
          const error = Either.isLeft(outcome) ? (outcome.left.cause as McpError) : null
          expect(error).toBeInstanceOf(McpError)
          // Not att's -32603 "Invocation failed": the upstream's own answer (the SDK client prefixes the message).
          expect(error?.code).toBe(-32602)
          expect(error?.message).toContain("Resource demo://nope/x not found")
          expect(error?.message).not.toContain("Invocation failed")
        }
        const server = yield* request(origin, "GET", "/api/v1/mcp/servers/everything")
        expect(server.body).toMatchObject({ status: "healthy", retry_count: 0 })
        expect(
          text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { message: "still here" } })))
        ).toBe("Echo: still here")
      })
  )
})
