import type { LookupAddress } from "node:dns"
import { type Server, createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { Manager, httpUpstream } from "@att/core"
import { ADDRESS_REFUSED, type ResolveAll, guardedConnector } from "../packages/sdk-transport/src/AddressGuard.js"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
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

/** A TCP server on `host:port` that counts the connections it accepts. */
const startListener = (host: string, port: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly port: number; readonly connections: () => number; readonly server: Server }>((resume) => {
      let connections = 0
      const server = createServer((_req, res) => res.end())
      server.on("connection", () => {
        connections += 1
      })
      server.listen(port, host, () =>
        resume(Effect.succeed({ port: (server.address() as AddressInfo).port, connections: () => connections, server }))
      )
    }),
    (listener) => Effect.sync(() => listener.server.close())
  )

/** One connection through the guarded connector, as undici opens it for `http://hostname:port/`; closed with the scope. */
const connectThrough = (connector: ReturnType<typeof guardedConnector>, hostname: string, port: number) =>
  Effect.acquireRelease(
    Effect.async<Socket, Error>((resume) => {
      connector({ hostname, host: `${hostname}:${port}`, protocol: "http:", port: String(port) }, (error, socket) =>
        resume(error === null ? Effect.succeed(socket as Socket) : Effect.fail(error))
      )
    }),
    (socket) => Effect.sync(() => socket.destroy())
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

  it.scopedLive(
    "a redirect to another origin is not followed (the SDK's same-origin policy), so it cannot lead past the guard",
    () =>
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

  it.scopedLive(
    "a name resolves once per connection and the socket goes to the checked address, not a second answer (DNS rebinding)",
    () =>
      Effect.gen(function* () {
        const checked = yield* startListener("127.0.0.1", 0)
        const rebound = yield* startListener("127.0.0.2", checked.port)
        // A resolver that answers the allowed address first and the refused one on every later lookup.
        let lookups = 0
        const rebinding: ResolveAll = (_hostname, _options, callback) => {
          lookups += 1
          const address: LookupAddress = { address: lookups === 1 ? "127.0.0.1" : "127.0.0.2", family: 4 }
          setImmediate(() => callback(null, [address]))
        }
        const connector = guardedConnector(
          (address) => (address === "127.0.0.2" ? "refused by this test" : null),
          rebinding
        )
        const socket = yield* connectThrough(connector, "rebind.test", checked.port)
        expect(socket.remoteAddress).toBe("127.0.0.1")
        expect(lookups).toBe(1)
        // The next connection resolves anew, and that answer is checked as well.
        const second = yield* Effect.flip(connectThrough(connector, "rebind.test", checked.port))
        expect(second.message).toBe("rebind.test resolves to 127.0.0.2: refused by this test")
        expect((second as Error & { code?: string }).code).toBe(ADDRESS_REFUSED)
        expect(lookups).toBe(2)
        // The server sees the accepted connection a moment after the client does.
        yield* Effect.sync(checked.connections).pipe(
          Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (count) => count > 0, times: 200 })
        )
        expect(checked.connections()).toBe(1)
        expect(rebound.connections()).toBe(0)
      })
  )
})
