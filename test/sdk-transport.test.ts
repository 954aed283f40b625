import { Manager, httpUpstream } from "@att/core"
import { everythingServerCommand } from "@att/gateway"
import { type UpstreamOptions, invocationError, startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import { Clock, Effect, Fiber, Option, Schedule } from "effect"
import { join } from "node:path"
import { ROOT, childPids, commandLineOf, isAlive } from "./support/processes.js"
import { sdkAtt } from "./support/sdkAtt.js"

const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text

/** Poll a condition on the live clock, bounded. */
const eventually = (condition: () => boolean) =>
  Effect.sync(condition).pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (done) => done, times: 250 })
  )

/** A real SDK upstream `alpha` over Streamable HTTP, registered and initialized, with the manager. */
const initializedAlpha = (options: Omit<UpstreamOptions, "name"> = {}) =>
  Effect.gen(function* () {
    const upstream = yield* startHttpUpstream({ name: "alpha", ...options })
    const manager = yield* Manager
    yield* manager.register("alpha", httpUpstream(upstream.url))
    yield* manager.initializeServer("alpha")
    return { upstream, manager }
  })

const FIXTURE = join(ROOT, "test", "fixtures", "upstream-server.ts")

/** The fixture over stdio as `gamma`, initialized, with what the stdio tests watch: its processes and the calls sent. */
const stdioGamma = (mode: "stdio" | "stdio-once") =>
  Effect.gen(function* () {
    const manager = yield* Manager
    const args = ["--conditions=att-source", "--import", "tsx", FIXTURE, "gamma", mode]
    yield* manager.register("gamma", { transport: "stdio", command: process.execPath, args, cwd: ROOT })
    yield* manager.initializeServer("gamma")
    const children = () => childPids(process.pid).filter((pid) => commandLineOf(pid).includes("gamma"))
    const slowCall = (ms: number) => Effect.fork(Effect.either(manager.invokeTool("slow", { ms })))
    /** Wait until `count` calls have gone upstream. */
    const sent = (count: number) =>
      manager.listInvocationEvents({ server: "gamma" }).pipe(
        Effect.repeat({
          schedule: Schedule.spaced("20 millis"),
          until: (events) => events.filter((event) => event.phase === "invoke_start").length === count,
          times: 250
        })
      )
    return { manager, children, slowCall, sent }
  })

describe("the SDK transport against real MCP servers", () => {
  it.scopedLive("initialize captures the capability snapshot; a tool call and a resource read work", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      const record = yield* manager.initializeServer("alpha")
      expect(record).toMatchObject({ status: "healthy", initialized: true, protocol_version: "2025-11-25" })
      expect(record.capability_snapshot?.server_info).toMatchObject({ name: "alpha", version: "1.0.0" })
      expect(record.capability_snapshot?.capabilities).toHaveProperty("tools")
      const echoed = yield* manager.invokeTool("echo", { message: "hi" })
      expect(text(echoed.result)).toBe("alpha: hi")
      const read = yield* manager.readResource("test://static")
      expect((read.result as { contents: Array<{ text: string }> }).contents[0]?.text).toBe("static from alpha")
      const failed = yield* manager.invokeTool("fail", {})
      expect((failed.result as { isError: boolean }).isError).toBe(true) // a tool error is a result, not a failover
      expect(upstream.counters.initialize).toBe(1)
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("a session att ends on purpose is deleted at the upstream (Streamable HTTP's DELETE)", () =>
    Effect.gen(function* () {
      const { upstream, manager } = yield* initializedAlpha()
      yield* manager.invalidateSession("alpha")
      expect(upstream.counters.ended).toBe(1)
      yield* manager.initializeServer("alpha")
      expect(upstream.counters.sessions).toBe(2)
      yield* manager.unregister("alpha")
      expect(upstream.counters.ended).toBe(2)
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("ending the session of an upstream that hung is bounded: the DELETE is tried for 1 s at most", () =>
    Effect.gen(function* () {
      const { upstream, manager } = yield* initializedAlpha()
      yield* upstream.hang
      const started = yield* Clock.currentTimeMillis
      yield* manager.unregister("alpha")
      expect((yield* Clock.currentTimeMillis) - started).toBeLessThan(2_500)
      expect(upstream.counters.ended).toBe(1) // sent (a deliberate end), then given up on
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("an unknown tool is the upstream's rpc error, not a broken session", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      const outcome = yield* Effect.either(manager.invokeTool("no-such-tool", {}))
      if (outcome._tag === "Right") {
        expect((outcome.right.result as { isError?: boolean }).isError).toBe(true)
      } else {
        expect(outcome.left).toMatchObject({ _tag: "UpstreamRejected", server: "alpha", code: -32602 })
      }
      expect(upstream.counters.sessions).toBe(1)
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("issue 14: an upstream's rpc error and its result reach the manager as the upstream sent them", () =>
    Effect.gen(function* () {
      const data = {
        elicitations: [{ mode: "url", url: "https://example.com/consent", elicitationId: "e1" }],
        extra: 1
      }
      const { manager } = yield* initializedAlpha({
        extend: (server) => {
          server.registerTool("consent", {}, () => {
            throw new McpError(ErrorCode.UrlElicitationRequired, "consent needed", data)
          })
        }
      })
      const rejected = yield* Effect.flip(manager.invokeTool("consent", {}))
      // The SDK server words the message so; the SDK client would prefix it again and keep only `elicitations`.
      expect(rejected).toMatchObject({
        _tag: "UpstreamRejected",
        server: "alpha",
        code: -32042,
        message: "MCP error -32042: consent needed"
      })
      expect(rejected._tag === "UpstreamRejected" && rejected.data).toEqual(data)
      expect((yield* manager.get("alpha")).status).toBe("healthy")

      const served = yield* manager.invokeTool("echo", { message: "raw" })
      expect(served.raw_response).toEqual({ jsonrpc: "2.0", id: expect.any(Number), result: served.result })
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("fails over when the primary has been closed", () =>
    Effect.gen(function* () {
      const primary = yield* startHttpUpstream({ name: "primary" })
      const backup = yield* startHttpUpstream({ name: "backup" })
      const manager = yield* Manager
      yield* manager.register("primary", httpUpstream(primary.url))
      yield* manager.register("backup", httpUpstream(backup.url))
      expect((yield* manager.invokeTool("echo", { message: "1" }, ["primary", "backup"])).server).toBe("primary")
      yield* primary.close
      const result = yield* manager.invokeTool("echo", { message: "2" }, ["primary", "backup"])
      expect(result.server).toBe("backup")
      expect(text(result.result)).toBe("backup: 2")
      const primaryRecord = yield* manager.get("primary")
      expect(primaryRecord.status).toBe("degraded")
      expect(primaryRecord.last_error_category).toBe("transport_error")
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("a primary that accepts and never answers is cut off at the per-call timeout", () =>
    Effect.gen(function* () {
      const primary = yield* startHttpUpstream({ name: "primary" })
      const backup = yield* startHttpUpstream({ name: "backup" })
      const manager = yield* Manager
      yield* manager.register("primary", httpUpstream(primary.url))
      yield* manager.register("backup", httpUpstream(backup.url))
      yield* manager.initializeServer("primary")
      yield* primary.hang
      const result = yield* manager.invokeTool("echo", { message: "x" }, ["primary", "backup"])
      expect(result.server).toBe("backup")
      const events = yield* manager.listInvocationEvents({ server: "primary", request_id: result.request_id })
      expect(events.at(-1)).toMatchObject({ phase: "invoke_failure", error_category: "network_timeout" })
      // Silent since the call went out: the session is not trusted any more.
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("primary")).active).toBe(false)
      expect(primary.counters.ended).toBe(0) // and not deleted: the DELETE would wait on a silent upstream
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 300 })))
  )

  it.scopedLive(
    "a call that times out while the session answers others ends alone; the re-initialize after it keeps the session",
    () =>
      Effect.gen(function* () {
        const { upstream, manager } = yield* initializedAlpha()
        const invoke = (name: string, args: Record<string, unknown>) =>
          Effect.map(manager.invokeTool(name, args), (result) => text(result.result))
        // The session answers this one before the slow call's timeout...
        const early = yield* Effect.fork(Effect.delay(invoke("echo", { message: "early" }), "100 millis"))
        // ...and this one is still in flight when the slow call times out, and when the next call re-initializes.
        const spanning = yield* Effect.fork(Effect.delay(invoke("slow", { ms: 1_500 }), "1 second"))
        const timedOut = yield* invocationError(manager.invokeTool("slow", { ms: 10_000 }))
        expect(timedOut.attempts.at(-1)).toMatchObject({ stage: "invoke", error_category: "network_timeout" })
        expect(yield* Fiber.join(early)).toBe("alpha: early")
        // The failure left alpha degraded: this call re-initializes. The SDK server refuses a second initialize on a
        // session (400): it is alive, so the session and whatever the server keeps for it stay.
        expect(yield* invoke("echo", { message: "after" })).toBe("alpha: after")
        expect(upstream.counters.sessions).toBe(1)
        expect(upstream.counters.openings).toBe(1)
        expect(upstream.counters.ended).toBe(0)
        expect(upstream.counters.initializedNotifications).toBe(1) // no initialize took place, so no second one
        expect(yield* Fiber.join(spanning)).toBe("done")
        yield* eventually(() => upstream.counters.cancelled === 1) // the timed-out call was cancelled upstream
        expect(upstream.counters.cancelled).toBe(1)
      }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 2_000, manager: { maxBackoff: 0 } })))
  )

  it.scopedLive("an upstream that answers 400 for a session it forgot gets a new session at the re-initialize", () =>
    Effect.gen(function* () {
      const { upstream, manager } = yield* initializedAlpha()
      expect(text((yield* manager.invokeTool("echo", { message: "before" })).result)).toBe("alpha: before")
      yield* upstream.forgetSessions
      // The 400 to the initialize is not taken for "already initialized": the ping on the session fails too.
      const record = yield* manager.initializeServer("alpha", { force: true })
      expect(record).toMatchObject({ status: "healthy", initialized: true })
      expect(upstream.counters.sessions).toBe(2)
      expect(text((yield* manager.invokeTool("echo", { message: "after" })).result)).toBe("alpha: after")
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive(
    "a forced initialize of an upstream that stopped answering fails at the timeout, leaving no session",
    () =>
      Effect.gen(function* () {
        const { upstream, manager } = yield* initializedAlpha()
        yield* upstream.hang
        const openings = upstream.counters.openings
        const record = yield* manager.initializeServer("alpha", { force: true })
        expect(record).toMatchObject({ status: "degraded", initialized: false })
        expect(record.last_error).toMatch(/timed out/i)
        expect(upstream.counters.openings - openings).toBe(1) // a new session: never a second initialize on one
        expect(Option.getOrThrow(yield* manager.sessionDiagnostics("alpha")).active).toBe(false)
      }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 300 })))
  )

  it.scopedLive("a session the upstream ended (404) is replaced by the Manager and the call sent again, once", () =>
    Effect.gen(function* () {
      const { upstream, manager } = yield* initializedAlpha()
      expect(text((yield* manager.invokeTool("echo", { message: "before" })).result)).toBe("alpha: before")
      yield* upstream.expireSessions
      const served = yield* manager.invokeTool("echo", { message: "after" })
      expect(text(served.result)).toBe("alpha: after")
      expect(upstream.counters.sessions).toBe(2)
      expect(upstream.counters.initialize).toBe(2)
      // One invocation, served: the lost session was not the server's fault.
      const events = yield* manager.listInvocationEvents({ request_id: served.request_id })
      expect(events.map((event) => event.phase)).toEqual([
        "initialize_start",
        "initialize_success",
        "invoke_start",
        "invoke_success"
      ])
      expect(yield* manager.get("alpha")).toMatchObject({ status: "healthy", retry_count: 0 })
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("a per-server timeout overrides the transport's default", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url), { callTimeoutMs: 200 })
      const failed = yield* invocationError(manager.invokeTool("slow", { ms: 5_000 }))
      expect(failed.attempts.at(-1)).toMatchObject({ stage: "invoke", error_category: "network_timeout" })
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 10_000 })))
  )

  it.scopedLive("a session dropped after a transport error is recreated on the next call", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      yield* manager.invokeTool("echo", { message: "1" })
      yield* manager.invalidateSession("alpha") // the transport drops a session the same way after a failure
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("alpha")).active).toBe(false)
      const again = yield* manager.invokeTool("echo", { message: "2" })
      expect(text(again.result)).toBe("alpha: 2")
      expect(upstream.counters.sessions).toBe(2)
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("after the upstream restarts, a failed call drops the session and the next one reconnects", () =>
    Effect.gen(function* () {
      const first = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(first.url))
      yield* manager.invokeTool("echo", { message: "1" })
      yield* first.close
      const failed = yield* invocationError(manager.invokeTool("echo", { message: "2" }))
      expect(failed.attempts.at(-1)?.error_category).toBe("transport_error")
      expect(Option.getOrThrow(yield* manager.sessionDiagnostics("alpha")).active).toBe(false)
    }).pipe(Effect.provide(sdkAtt({ manager: { maxBackoff: 0 } })))
  )

  it.scopedLive("50 concurrent invocations against a fresh server perform one initialize at the upstream", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      const results = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) => manager.invokeTool("echo", { message: String(i) })),
        { concurrency: "unbounded" }
      )
      expect(results.map((r) => text(r.result))).toEqual(Array.from({ length: 50 }, (_, i) => `alpha: ${i}`))
      expect(upstream.counters.initialize).toBe(1)
      expect(upstream.counters.sessions).toBe(1)
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("interrupting an in-flight call cancels it upstream", () =>
    Effect.gen(function* () {
      const { upstream, manager } = yield* initializedAlpha()
      const call = yield* Effect.fork(manager.invokeTool("slow", { ms: 10_000 }))
      yield* eventually(() => upstream.counters.toolCalls === 1)
      yield* Fiber.interrupt(call)
      yield* eventually(() => upstream.counters.cancelled === 1)
      expect(upstream.counters.cancelled).toBe(1)
      expect((yield* manager.get("alpha")).status).toBe("healthy") // an interrupted call records nothing
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("the ping probe reports healthy, then unhealthy once the upstream is gone", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha" })
      const manager = yield* Manager
      yield* manager.register("alpha", httpUpstream(upstream.url))
      expect((yield* manager.healthCheckServer("alpha")).status).toBe("healthy")
      yield* upstream.close
      const checked = yield* manager.healthCheckServer("alpha")
      expect(checked).toMatchObject({ status: "degraded", last_error_category: "health_check" })
    }).pipe(Effect.provide(sdkAtt()))
  )

  it.scopedLive("stdio: server-everything's echo, and unregister stops the child", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const { command, args } = everythingServerCommand()
      yield* manager.register("everything", { transport: "stdio", command, args })
      const result = yield* manager.invokeTool("echo", { message: "over stdio" })
      expect(text(result.result)).toBe("Echo: over stdio")
      const record = yield* manager.get("everything")
      expect(record.capability_snapshot?.server_info).toHaveProperty("name")
      const children = childPids(process.pid).filter((pid) => commandLineOf(pid).includes("server-everything"))
      expect(children.length).toBe(1)
      yield* manager.unregister("everything")
      for (const pid of children) expect(isAlive(pid)).toBe(false)
    }).pipe(Effect.provide(sdkAtt()))
  )

  // Whether or not the child takes a second initialize (`stdio-once` refuses one), none is sent on its session.
  for (const mode of ["stdio", "stdio-once"] as const) {
    it.scopedLive(
      `stdio (${mode}): an expired handshake is refreshed by a ping on the live child; a call in flight carries on`,
      () =>
        Effect.gen(function* () {
          const { manager, children, slowCall, sent } = yield* stdioGamma(mode)
          const [child] = children()
          const before = yield* manager.get("gamma")
          const call = yield* slowCall(1_000)
          yield* sent(1)
          const after = yield* manager.initializeServer("gamma")
          expect(after.status).toBe("healthy")
          // The snapshot is the session's own, as its one initialize answered it.
          expect(after.capability_snapshot).toEqual(before.capability_snapshot)
          expect(after.last_initialized_at).toEqual(before.last_initialized_at)
          expect(children()).toEqual([child]) // the same process: its state survives
          const result = yield* Fiber.join(call)
          expect(result._tag === "Right" && text(result.right.result)).toBe("gamma: slept 1000")
          expect(text((yield* manager.invokeTool("echo", { message: "again" })).result)).toBe("gamma: again")
        }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 10_000, manager: { maxInitializationAge: 0 } }))),
      20_000
    )
  }

  it.scopedLive("stdio: a forced initialize starts a new child, and the old one exits", () =>
    Effect.gen(function* () {
      const { manager, children } = yield* stdioGamma("stdio")
      const [old] = children()
      expect(yield* manager.initializeServer("gamma", { force: true })).toMatchObject({ status: "healthy" })
      yield* eventually(() => !isAlive(old ?? 0))
      const now = children()
      expect(now).toHaveLength(1)
      expect(now).not.toContain(old)
      expect(text((yield* manager.invokeTool("echo", { message: "new" })).result)).toBe("gamma: new")
    }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 10_000 })))
  )

  it.scopedLive(
    "a forced initialize opens a new session; calls in flight finish on the old, one drains at a time, unregister ends all",
    () =>
      Effect.gen(function* () {
        const { upstream, manager } = yield* initializedAlpha()
        const slowCall = (ms: number) => Effect.fork(Effect.either(manager.invokeTool("slow", { ms })))
        const sent = (n: number) => eventually(() => upstream.counters.toolCalls === n)

        const answered = yield* slowCall(1_500)
        yield* sent(1)
        yield* manager.initializeServer("alpha", { force: true })
        expect(upstream.counters.sessions).toBe(2)
        const [old] = upstream.sessionIds()
        expect(upstream.openConnections(old ?? "")).toBeGreaterThan(0) // the old session is still answering its call
        const result = yield* Fiber.join(answered)
        expect(result._tag === "Right" && text(result.right.result)).toBe("done")
        yield* eventually(() => upstream.openConnections(old ?? "") === 0) // closed once its last call settled
        expect(upstream.openConnections(old ?? "")).toBe(0)

        // One session drains at a time: a second re-initialize ends the first one still draining.
        const cut = yield* slowCall(5_000)
        yield* sent(2)
        yield* manager.initializeServer("alpha", { force: true })
        const draining = yield* slowCall(5_000)
        yield* sent(3)
        yield* manager.initializeServer("alpha", { force: true })
        expect((yield* Fiber.join(cut))._tag).toBe("Left")
        expect(upstream.counters.sessions).toBe(4)
        yield* manager.unregister("alpha")
        expect((yield* Fiber.join(draining))._tag).toBe("Left")
        // Every session is ended at the upstream as it closes (`DELETE`), drained or cut.
        yield* eventually(() => upstream.counters.ended === 4)
        expect(upstream.counters.ended).toBe(4)
        const allClosed = () => upstream.sessionIds().every((id) => upstream.openConnections(id) === 0)
        yield* eventually(allClosed)
        expect(allClosed()).toBe(true)
      }).pipe(Effect.provide(sdkAtt({ callTimeoutMs: 10_000 }))),
    30_000
  )
})
