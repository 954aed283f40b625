import { Manager, TransportError, httpUpstream } from "@att/core"
import { ScriptedTransport, atT0, invocationError, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option, TestClock } from "effect"

const register = (...names: ReadonlyArray<string>) =>
  Effect.flatMap(Manager, (manager) =>
    Effect.forEach(names, (name) => manager.register(name, httpUpstream(`http://${name}.local`)))
  )
const count = (method: string) =>
  Effect.map(ScriptedTransport, (scripted) => scripted.calls().filter((call) => call.method === method).length)
const settle = TestClock.adjust("0 millis")

/** A scripted att whose `method` calls wait on a gate, then run `after`. */
const gated = (method: string, after: (server: string) => Effect.Effect<never, TransportError> | undefined) =>
  Effect.gen(function* () {
    const gate = yield* Deferred.make<void>()
    const layer = scriptedAtt({
      transport: {
        responder: (server, request) => {
          if (request.method !== method) return undefined
          const tail = after(server)
          return tail === undefined ? undefined : Deferred.await(gate).pipe(Effect.zipRight(tail))
        }
      }
    })
    return { gate, layer }
  })

describe("concurrency (G8)", () => {
  it.effect("50 concurrent first invocations perform exactly one handshake", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("P")
      const results = yield* Effect.all(
        Array.from({ length: 50 }, () => manager.invokeTool("echo", {})),
        { concurrency: "unbounded" }
      )
      expect(results.every((result) => result.server === "P")).toBe(true)
      expect(yield* count("initialize")).toBe(1)
      expect(yield* count("notifications/initialized")).toBe(1)
      expect(yield* count("tools/call")).toBe(50)
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.effect("a burst of concurrent failures counts as one failure of the round", () =>
    Effect.gen(function* () {
      const { gate, layer } = yield* gated("tools/call", () =>
        Effect.fail(new TransportError({ message: "P unavailable", category: "transport_error" }))
      )
      yield* Effect.gen(function* () {
        yield* atT0
        const manager = yield* Manager
        yield* register("P")
        yield* manager.initializeServer("P")
        const burst = yield* Effect.fork(
          Effect.all(
            Array.from({ length: 20 }, () => Effect.either(manager.invokeTool("echo", {}, ["P"]))),
            {
              concurrency: "unbounded"
            }
          )
        )
        yield* settle
        expect(yield* count("tools/call")).toBe(20) // all twenty are in flight together
        yield* Deferred.succeed(gate, undefined)
        const outcomes = yield* Fiber.join(burst)
        expect(outcomes.every((outcome) => outcome._tag === "Left")).toBe(true)
        expect(yield* manager.get("P")).toMatchObject({ status: "degraded", retry_count: 1 })
        expect((yield* manager.listEvents({ server: "P" })).map((e) => e.to_status)).toEqual(["degraded"])
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("concurrent first calls to a failing server share one handshake attempt", () =>
    Effect.gen(function* () {
      const { gate, layer } = yield* gated("initialize", () =>
        Effect.fail(new TransportError({ message: "init down", category: "network_timeout" }))
      )
      yield* Effect.gen(function* () {
        const manager = yield* Manager
        yield* register("P")
        const callers = yield* Effect.fork(
          Effect.all(
            Array.from({ length: 10 }, () => Effect.either(manager.invokeTool("echo", {}))),
            {
              concurrency: "unbounded"
            }
          )
        )
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        const outcomes = yield* Fiber.join(callers)
        expect(
          outcomes.every(
            (o) => o._tag === "Left" && o.left._tag === "InvocationError" && o.left.attempts[0]?.error === "init down"
          )
        ).toBe(true)
        expect(yield* count("initialize")).toBe(1)
        expect(yield* manager.get("P")).toMatchObject({ retry_count: 1, last_error_category: "network_timeout" })
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("invalidate while a call is in flight: the call completes, the next call opens a new session", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      let first = true
      const layer = scriptedAtt({
        transport: {
          responder: (_, request) => {
            if (request.method !== "tools/call" || !first || !("id" in request)) return undefined
            first = false
            return Deferred.await(gate).pipe(Effect.as({ jsonrpc: "2.0", id: request.id, result: { slow: true } }))
          }
        }
      })
      yield* Effect.gen(function* () {
        const manager = yield* Manager
        const scripted = yield* ScriptedTransport
        yield* register("P")
        const slow = yield* Effect.fork(manager.invokeTool("slow", {}))
        yield* settle
        expect(yield* manager.invalidateSession("P")).toBe(true)
        yield* Deferred.succeed(gate, undefined)
        expect((yield* Fiber.join(slow)).result).toEqual({ slow: true })
        yield* manager.invokeTool("echo", {})
        expect(scripted.created("P")).toBe(2)
        expect(Option.getOrThrow(scripted.sessionId("P"))).toBe("P-session-2")
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("interrupting the caller that owns a handshake does not fail the callers that joined it", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      let initializes = 0
      const layer = scriptedAtt({
        transport: {
          responder: (_, request) => {
            if (request.method !== "initialize") return undefined
            initializes += 1
            return initializes === 1 ? Deferred.await(gate).pipe(Effect.zipRight(Effect.never)) : undefined
          }
        }
      })
      yield* Effect.gen(function* () {
        const manager = yield* Manager
        yield* register("P")
        const owner = yield* Effect.fork(manager.invokeTool("echo", {}))
        yield* settle
        const joiners = yield* Effect.fork(
          Effect.all(
            Array.from({ length: 5 }, () => manager.invokeTool("echo", {})),
            { concurrency: "unbounded" }
          )
        )
        yield* settle
        yield* Fiber.interrupt(owner)
        const results = yield* Fiber.join(joiners)
        expect(results.map((r) => r.server)).toEqual(["P", "P", "P", "P", "P"])
        expect(initializes).toBe(2)
        expect((yield* manager.get("P")).initialized).toBe(true)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("event buffers stay bounded under many invocations", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      yield* register("P", "B")
      for (let i = 0; i < 200; i++) {
        yield* manager.markDegraded("P")
        yield* manager.markHealthy("P")
        yield* manager.invokeTool("echo", {}, ["B"])
      }
      expect((yield* manager.listInvocationEvents()).length).toBe(25)
      expect((yield* manager.listEvents()).length).toBe(10)
    }).pipe(Effect.provide(scriptedAtt({ manager: { maxInvocationEvents: 25, maxConnectionEvents: 10 } })))
  )
})

describe("session lifecycle through the manager (G6)", () => {
  it.effect("unregister and an endpoint change close the session; re-registering the same endpoint keeps it", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* register("P")
      yield* manager.invokeTool("echo", {})
      yield* manager.register("P", httpUpstream("http://P.local"))
      expect(scripted.closed("P")).toBe(0)
      yield* manager.register("P", httpUpstream("http://elsewhere.local"))
      expect(scripted.closed("P")).toBe(1)
      yield* manager.invokeTool("echo", {})
      expect(yield* manager.unregister("P")).toBe(true)
      expect(scripted.closed("P")).toBe(2)
      expect(yield* manager.unregister("P")).toBe(false)
      expect((yield* Effect.flip(manager.sessionDiagnostics("P")))._tag).toBe("ServerNotFound")
    }).pipe(Effect.provide(scriptedAtt()))
  )
})

/** At most two calls in flight per server; P holds its tool calls until `gate` opens, and dies on the tool `boom`. */
const gatedAtt = (gate: Deferred.Deferred<void>) =>
  scriptedAtt({
    manager: { maxConcurrentCallsPerServer: 2 },
    transport: {
      responder: (server, request) =>
        server === "P" && request.method === "tools/call" && "id" in request
          ? (request.params as { name: string }).name === "boom"
            ? Effect.die("upstream blew up")
            : Deferred.await(gate).pipe(Effect.as({ jsonrpc: "2.0", id: request.id, result: { by: "P" } }))
          : undefined
    }
  })

/** P registered and initialized, with both of its slots held by calls waiting on the gate. */
const holdBothSlots = Effect.gen(function* () {
  const manager = yield* Manager
  yield* register("P")
  yield* manager.initializeServer("P")
  const held = yield* Effect.fork(
    Effect.all([manager.invokeTool("x", {}), manager.invokeTool("x", {})], { concurrency: "unbounded" })
  )
  yield* settle
  return held
})

describe("bulkhead", () => {
  it.effect("over the per-server limit a server is passed over as busy, without a health failure", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const manager = yield* Manager
        const held = yield* holdBothSlots
        const refused = yield* invocationError(manager.invokeTool("x", {}))
        expect(refused.attempts).toEqual([
          {
            server: "P",
            stage: "invoke",
            success: false,
            error: "server busy: 2 calls in flight",
            error_category: "unknown"
          }
        ])
        expect(refused.busy).toBe(true) // nothing failed: every server tried was busy
        yield* register("B")
        expect((yield* manager.invokeTool("x", {}, ["P", "B"])).server).toBe("B")
        yield* Deferred.succeed(gate, undefined)
        expect((yield* Fiber.join(held)).map((r) => r.server)).toEqual(["P", "P"])
        expect(yield* manager.get("P")).toMatchObject({ status: "healthy", retry_count: 0 })
        expect((yield* manager.invokeTool("x", {}, ["P"])).server).toBe("P") // slots were released
      }).pipe(Effect.provide(gatedAtt(gate)))
    })
  )

  it.effect("an interrupted call gives its slot back; a failed one too", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const manager = yield* Manager
        const held = yield* holdBothSlots
        expect((yield* invocationError(manager.invokeTool("x", {}))).attempts[0]?.error).toBe(
          "server busy: 2 calls in flight"
        )
        yield* Fiber.interrupt(held)
        yield* Effect.exit(manager.invokeTool("boom", {}))
        yield* Effect.exit(manager.invokeTool("boom", {}))
        yield* Deferred.succeed(gate, undefined)
        const both = yield* Effect.all([manager.invokeTool("x", {}), manager.invokeTool("x", {})], {
          concurrency: "unbounded"
        })
        expect(both.map((served) => served.server)).toEqual(["P", "P"])
      }).pipe(Effect.provide(gatedAtt(gate)))
    })
  )
})
