import { Manager, TransportError, httpUpstream } from "@att/core"
import { ScriptedTransport, atT0, scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"

const P = "primary"
const B = "backup"

describe("manager smoke", () => {
  it.effect("U6/U13 failover on exception records events in order", () =>
    Effect.gen(function* () {
      yield* atT0
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* manager.register(P, httpUpstream("http://primary.local"))
      yield* manager.register(B, httpUpstream("http://backup.local"))
      const result = yield* manager.invokeTool("att.project.list", {}, [P, B])
      expect(result.server).toBe(B)
      const events = yield* manager.listInvocationEvents()
      expect(events.map((e) => e.phase)).toEqual([
        "initialize_start",
        "initialize_failure",
        "initialize_start",
        "initialize_success",
        "invoke_start",
        "invoke_success"
      ])
      expect(scripted.calls()[0]).toMatchObject({ server: P, method: "initialize" })
      const p = yield* manager.get(P)
      expect(p.status).toBe("degraded")
      expect(p.initialized).toBe(false)
    }).pipe(
      Effect.provide(
        scriptedAtt({
          transport: {
            responder: (server) =>
              server === P ? Effect.fail(new TransportError({ message: "connect timeout", category: "transport_error" })) : undefined
          }
        })
      )
    )
  )

  it.effect("50 concurrent first calls perform one handshake", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const scripted = yield* ScriptedTransport
      yield* manager.register(P, httpUpstream("http://primary.local"))
      const results = yield* Effect.all(
        Array.from({ length: 50 }, () => manager.invokeTool("echo", { message: "hi" })),
        { concurrency: "unbounded" }
      )
      expect(results).toHaveLength(50)
      expect(scripted.calls().filter((c) => c.method === "initialize")).toHaveLength(1)
    }).pipe(Effect.provide(scriptedAtt()))
  )
})
