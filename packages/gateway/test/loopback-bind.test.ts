import { HostResolver } from "@att/gateway"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { bindsLoopbackOnly } from "../src/cli/Args.js"

/** What the names resolve to here; any other name does not resolve. */
const hosts = {
  localhost: ["127.0.0.1", "::1"],
  "loopback.example": ["127.0.0.2"],
  "127.0.0.1.attacker.example": ["93.184.216.34"],
  "split.example": ["127.0.0.1", "192.168.1.10"]
}

const loopbackOnly = (host: string) => bindsLoopbackOnly(host).pipe(Effect.provide(HostResolver.fixed(hosts)))

describe("--host binds without a token only when it is loopback by what it resolves to (issue 14 §4)", () => {
  it.effect("loopback addresses and names that resolve to loopback only are loopback", () =>
    Effect.gen(function* () {
      for (const host of [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "localhost",
        "loopback.example"
      ]) {
        expect(yield* loopbackOnly(host), host).toBe(true)
      }
    })
  )

  it.effect("a name spelled like loopback is not loopback: it must resolve, and to loopback addresses only", () =>
    Effect.gen(function* () {
      for (const host of ["127.0.0.1.nip.io", "127.0.0.1.attacker.example", "split.example", "127.localhost.invalid"]) {
        expect(yield* loopbackOnly(host), host).toBe(false)
      }
    })
  )

  it.effect("other addresses are not loopback", () =>
    Effect.gen(function* () {
      for (const host of ["0.0.0.0", "::", "192.168.1.1", "10.0.0.1", "8.8.8.8", "::7f00:1", "[fe80::1]"]) {
        expect(yield* loopbackOnly(host), host).toBe(false)
      }
    })
  )
})
