import { Manager } from "@att/core"
import { type ConfigFile, decodeConfig } from "@att/gateway"
import { Lifecycle } from "../src/Gateway.js"
import { scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Either, Layer, Random, TestClock } from "effect"

const config = (extra: Record<string, unknown> = {}): ConfigFile =>
  Either.getOrThrow(
    decodeConfig(
      {
        mcpServers: {
          a: { url: "http://a.local/mcp" },
          b: { url: "http://b.local/mcp", transport: "sse" },
          c: { command: "node", args: ["server.js"], env: { SECRET: "x" } }
        },
        ...extra
      },
      "test"
    )
  )

describe("service lifecycle", () => {
  it.scoped("registers the configured servers, connects them in the background and health-checks on a schedule", () => {
    let probes = 0
    return Effect.gen(function* () {
      const manager = yield* Manager
      yield* Layer.build(Lifecycle(config({ health_interval_seconds: 30, health_jitter: 0 })))
      yield* TestClock.adjust("0 millis")
      expect((yield* manager.list).map((s) => [s.name, s.transport, s.url])).toEqual([
        ["a", "streamable-http", "http://a.local/mcp"],
        ["b", "sse", "http://b.local/mcp"],
        ["c", "stdio", "stdio:node"]
      ])
      expect(probes).toBe(3) // connect: one probe each, then a handshake
      expect((yield* manager.list).every((s) => s.initialized)).toBe(true)
      yield* TestClock.adjust("29 seconds")
      expect(probes).toBe(3)
      yield* TestClock.adjust("1 second")
      expect(probes).toBe(6)
      yield* TestClock.adjust("30 seconds")
      expect(probes).toBe(9)
    }).pipe(
      Effect.provide(
        scriptedAtt({
          probe: () =>
            Effect.sync(() => {
              probes += 1
              return { healthy: true, error: null }
            })
        })
      )
    )
  })

  /** The gaps between health-check rounds over 400 s, with jitter 0.1 and Effect's Random seeded with `seed`. */
  const jitteredGaps = (seed: string) => {
    const rounds: Array<number> = []
    return Effect.gen(function* () {
      yield* Layer.build(Lifecycle(config({ health_interval_seconds: 30, health_jitter: 0.1 })))
      // Steps shorter than the shortest interval: each sleep is woken at its own deadline, and the next one is due later.
      for (let step = 0; step < 16; step++) yield* TestClock.adjust("25 seconds")
      return rounds.slice(1).map((at, i) => at - (rounds[i] ?? 0))
    }).pipe(
      Effect.withRandom(Random.make(seed)),
      Effect.provide(
        scriptedAtt({
          // Three servers per round: a round is when the first of them is probed.
          probe: () =>
            Effect.map(Clock.currentTimeMillis, (at) => {
              if (rounds.at(-1) !== at) rounds.push(at)
              return { healthy: true, error: null }
            })
        })
      ),
      Effect.scoped
    )
  }

  it.effect("health-check intervals are jittered within ±health_jitter of the interval, by Effect's Random (G24)", () =>
    Effect.gen(function* () {
      const gaps = yield* jitteredGaps("G24")
      expect(gaps.length).toBeGreaterThanOrEqual(11)
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(27_000)
        expect(gap).toBeLessThanOrEqual(33_000)
      }
      expect(new Set(gaps).size).toBeGreaterThan(1)
      // The draws come from the Random service: the same seed gives the same intervals, another seed others.
      // (Each run starts where the last left the TestClock, hence "within a millisecond" rather than equal.)
      const same = (other: ReadonlyArray<number>) =>
        other.length === gaps.length && other.every((gap, i) => Math.abs(gap - (gaps[i] ?? 0)) < 1)
      expect(same(yield* jitteredGaps("G24"))).toBe(true)
      expect(same(yield* jitteredGaps("another seed"))).toBe(false)
    })
  )

  it.scoped("the service is ready before its upstreams, and checks run at most `health_concurrency` at a time", () => {
    let inFlight = 0
    let peak = 0
    return Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const layer = scriptedAtt({
        probe: () =>
          Effect.gen(function* () {
            inFlight += 1
            peak = Math.max(peak, inFlight)
            yield* Deferred.await(gate)
            inFlight -= 1
            return { healthy: true, error: null }
          })
      })
      yield* Effect.gen(function* () {
        const manager = yield* Manager
        yield* Layer.build(Lifecycle(config({ health_concurrency: 2 })))
        yield* TestClock.adjust("0 millis")
        expect((yield* manager.list).length).toBe(3) // registered and answering while every probe still hangs
        expect(peak).toBe(2)
        yield* Deferred.succeed(gate, undefined)
        yield* TestClock.adjust("0 millis")
        expect(peak).toBe(2)
      }).pipe(Effect.provide(layer))
    })
  })

  it("config values never leak into the records (headers and env stay in the target)", () => {
    const decoded = config({
      mcpServers: { a: { url: "http://a.local/mcp", headers: { authorization: "Bearer t0ps3cret" } } }
    })
    expect(JSON.stringify(decoded.mcpServers.a)).toContain("t0ps3cret")
    const failures = decodeConfig({ mcpServers: { a: { url: "ftp://x" } } }, "f")
    expect(Either.isLeft(failures) && failures.left.message).toContain("url")
    const extra = decodeConfig({ mcpServers: {}, unknown_option: 1 }, "f")
    expect(Either.isLeft(extra) && extra.left.message).toContain("unknown_option")
    for (const jitter of [-0.1, 0.6, "0.1"]) {
      const refused = decodeConfig({ health_jitter: jitter }, "f")
      expect(Either.isLeft(refused) && refused.left.message).toContain("health_jitter")
    }
    expect(config().health_jitter).toBe(0.1)
  })
})
