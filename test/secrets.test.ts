import { createServer } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Schedule } from "effect"
import { vi } from "vitest"
import { startAtt } from "./support/mcpAtt.js"

/** Any of the configured secrets below, as they were written. */
const SECRET = /s[e3]cret/

/** A stdio upstream that answers every request with an error quoting its API key (an upstream that echoes its config). */
const ECHOING_CHILD = `
require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line)
  if (message.id === undefined) return
  const error = { code: -32000, message: "invalid API key " + process.env.API_KEY }
  process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: message.id, error }) + "\\n")
})`

/** A loopback port nothing listens on. */
const closedPort = Effect.async<number>((resume) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 1)))
  })
})

describe("secrets never leave, through the SDK transport (issue 14 §4)", () => {
  it.scopedLive(
    "a server registered with URL credentials and a header, and a stdio child with an API key: no answer or log line shows them",
    () => {
      const lines: Array<string> = []
      const collect = Logger.replace(
        Logger.defaultLogger,
        Logger.make((options) => void lines.push(Logger.logfmtLogger.log(options)))
      )
      const written = vi.spyOn(process.stderr, "write")
      return Effect.gen(function* () {
        const url = yield* startAtt({
          child: { command: process.execPath, args: ["-e", ECHOING_CHILD], env: { API_KEY: "topsecret" } }
        })
        const base = `${url.slice(0, -"/mcp".length)}/api/v1/mcp`
        const call = (path: string, body?: unknown) =>
          Effect.promise(async () => {
            const response = await fetch(`${base}/${path}`, {
              method: body === undefined ? "GET" : "POST",
              ...(body === undefined
                ? {}
                : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
            })
            return { status: response.status, text: await response.text() }
          })

        const port = yield* closedPort
        const registered = yield* call("servers", {
          name: "remote",
          url: `http://user:secret@127.0.0.1:${port}/mcp?api_key=qsecret`,
          headers: { authorization: "Bearer s3cret" }
        })
        expect(registered.status).toBe(201)
        // The child's handshake runs in the background at start-up; wait until it has failed.
        yield* call("servers/child").pipe(
          Effect.filterOrFail((answer) => JSON.parse(answer.text).last_error !== null),
          Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 }),
          Effect.orDie
        )

        const failed = yield* call("invoke/tool", { tool_name: "echo", arguments: {} })
        expect(failed.status).toBe(503)
        const answers = [
          registered,
          failed,
          yield* call("servers/remote/health-check", {}),
          yield* call("servers/health-check", {}),
          yield* call("servers"),
          yield* call("servers/remote"),
          yield* call("servers/child"),
          yield* call("events"),
          yield* call("invocation-events"),
          yield* call("route/tool", { tool_name: "echo" })
        ]
        for (const answer of answers) expect(answer.text).not.toMatch(SECRET)

        // What is shown instead.
        const remote = JSON.parse((yield* call("servers/remote")).text)
        expect(remote.url).toBe(`http://***@127.0.0.1:${port}/mcp?api_key=***`)
        // The credentials went as Basic authentication to a port nothing listens on: refused, nothing of them shown.
        expect(remote.last_error).toContain(`ECONNREFUSED 127.0.0.1:${port}`)
        expect(JSON.parse((yield* call("servers/child")).text).last_error).toContain("invalid API key ***")

        const logged = [...lines, ...written.mock.calls.map((args) => String(args[0]))]
        expect(lines.some((line) => line.includes("Listening on"))).toBe(true)
        expect(logged.join("\n")).not.toMatch(SECRET)
      }).pipe(Effect.provide(collect), Effect.ensuring(Effect.sync(() => written.mockRestore())))
    }
  )
})
