import { type Server, createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Manager, httpUpstream } from "@att/core"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { sdkAtt } from "./support/sdkAtt.js"

/** A server on 127.0.0.2 that answers every request with a 307 to `location` (a redirect to elsewhere). */
const startRedirector = (location: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly hits: () => number; readonly server: Server }>((resume) => {
      let hits = 0
      const server = createServer((_req, res) => {
        hits += 1
        res.writeHead(307, { location }).end()
      })
      server.listen(0, "127.0.0.2", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.2:${port}/mcp`, hits: () => hits, server }))
      })
    }),
    (redirector) => Effect.sync(() => redirector.server.close())
  )

const refusing =
  (...addresses: Array<string>) =>
  (_target: unknown, address: string) =>
    addresses.includes(address) ? "refused by this test" : null

describe("the transport's address guard (refuseAddress, G2) against real servers", () => {
  it.scopedLive("a name is checked by what it resolves to: a refused address is never connected to", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(`http://localhost:${upstream.port}/mcp`))
      const record = yield* manager.initializeServer("alpha")
      expect(record.initialized).toBe(false)
      expect(record.last_error_category).toBe("transport_error")
      expect(record.last_error).toMatch(/localhost resolves to (127\.0\.0\.1|::1): refused by this test/)
      expect(upstream.counters.sessions).toBe(0)
      yield* Effect.flip(manager.invokeTool("echo", { message: "hi" }, ["alpha"]))
      expect(upstream.counters.toolCalls).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ transport: { refuseAddress: refusing("127.0.0.1", "::1") } })))
  )

  it.scopedLive("a literal address is checked at connect time too", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      const record = yield* manager.initializeServer("alpha")
      expect(record.last_error).toContain("127.0.0.1: refused by this test")
      expect(upstream.counters.sessions).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ transport: { refuseAddress: refusing("127.0.0.1") } })))
  )

  it.scopedLive("a redirect to another origin is not followed (the SDK's same-origin policy), so it cannot lead past the guard", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const redirector = yield* startRedirector(upstream.url)
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(redirector.url))
      const record = yield* manager.initializeServer("alpha")
      expect(record.initialized).toBe(false)
      expect(record.last_error).toContain("not followed")
      expect(redirector.hits()).toBeGreaterThan(0)
      expect(upstream.counters.sessions).toBe(0)
    }).pipe(Effect.provide(sdkAtt({ transport: { refuseAddress: refusing("127.0.0.1") } })))
  )

  it.scopedLive("allowed addresses connect as before, by name too", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(`http://localhost:${upstream.port}/mcp`))
      const echoed = yield* manager.invokeTool("echo", { message: "hi" }, ["alpha"])
      expect((echoed.result as { content: Array<{ text: string }> }).content[0]?.text).toBe("alpha: hi")
    }).pipe(Effect.provide(sdkAtt({ transport: { refuseAddress: refusing("10.0.0.1") } })))
  )
})
