import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { eventually, startAtt } from "./support/mcpAtt.js"

/**
 * An upstream closes a connection idle for its keep-alive timeout; a request att sent on it that moment failed
 * ("other side closed") without reaching the upstream, and the session and every call in flight on it went with it
 * (the 503 bursts of the benchmarks). att lets an idle connection go before the upstream would: the SDK's servers
 * answer their event streams with a `Connection` header of their own, so Node advertises no keep-alive timeout there
 * and closes after its default 5 s; att used to keep such a connection 30 s.
 */
describe("idle connections to an upstream", () => {
  it.scopedLive("att ends an idle connection before the upstream's keep-alive timeout (Node's 5 s) would", () =>
    Effect.gen(function* () {
      const alpha = yield* startHttpUpstream({ name: "alpha", keepAliveTimeoutMs: 5_000 })
      const att = yield* startAtt({ alpha: { url: alpha.url } }, { health_interval_seconds: 3600 })
      const invoked = yield* Effect.promise(() =>
        fetch(att.replace(/\/mcp$/, "/api/v1/mcp/invoke/tool"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ tool_name: "echo", arguments: { message: "hi" } })
        })
      )
      expect(invoked.status).toBe(200)
      // att lets go after 3 s idle (undici's timers may add up to 1 s); the upstream would at 5 s.
      yield* eventually(() => alpha.endedConnections().byClient >= 1, "att did not end its idle connection")
      expect(alpha.endedConnections().byServer).toBe(0)
    })
  )
})
