import { HostResolver, decodeConfig, refusalForAddress, transportOptions } from "@att/gateway"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"

const config = (extra: Record<string, unknown> = {}) =>
  Either.getOrThrow(decodeConfig({ mcpServers: { internal: { url: "http://10.0.0.5:9000/mcp" } }, ...extra }, "test"))

describe("the address policy at connect time (G2)", () => {
  it("refuses link-local, metadata and unspecified addresses always, private ranges unless allowed, never loopback", () => {
    const strict = { allowPrivateNetworks: false }
    const open = { allowPrivateNetworks: true }
    for (const address of ["169.254.169.254", "fe80::1", "0.0.0.0", "::", "::ffff:169.254.1.1"]) {
      expect(refusalForAddress(address, strict)).not.toBeNull()
      expect(refusalForAddress(address, open)).not.toBeNull()
    }
    for (const address of ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd00::1", "::ffff:10.0.0.1"]) {
      expect(refusalForAddress(address, strict)).toBe("a private network address")
      expect(refusalForAddress(address, open)).toBeNull()
    }
    for (const address of ["127.0.0.1", "::1", "93.184.216.34", "2606:4700::1111"]) {
      expect(refusalForAddress(address, strict)).toBeNull()
    }
  })

  it("the config's own servers are trusted; a server registered over HTTP is held to the policy", () => {
    const refuse = transportOptions(config()).refuseAddress
    if (refuse === undefined) throw new Error("the gateway always guards")
    const internal = { name: "internal", upstream: { transport: "streamable-http" as const, url: "http://10.0.0.5:9000/mcp" } }
    expect(refuse(internal, "10.0.0.5")).toBeNull()
    // The same name re-registered over HTTP with another endpoint is not the config's server any more.
    const replaced = { name: "internal", upstream: { transport: "streamable-http" as const, url: "http://intra.example/mcp" } }
    expect(refuse(replaced, "10.0.0.5")).toBe("not allowed for a server registered over HTTP: a private network address")
    const registered = { name: "other", upstream: { transport: "streamable-http" as const, url: "http://meta.example/" } }
    expect(refuse(registered, "169.254.169.254")).toBe("not allowed for a server registered over HTTP: a link-local address")
    expect(refuse(registered, "127.0.0.1")).toBeNull()
    const allowing = transportOptions(config({ allow_private_networks: true })).refuseAddress
    expect(allowing?.(registered, "192.168.0.10")).toBeNull()
    expect(allowing?.(registered, "169.254.169.254")).not.toBeNull()
  })
})

describe("the system host resolver (registration check, G2)", () => {
  // Live clock: the resolver's bound is real time (a slow DNS server must not hang the test).
  it.live("resolves localhost to loopback, and a name that cannot resolve to nothing", () =>
    Effect.gen(function* () {
      const resolver = yield* HostResolver
      const local = yield* resolver.addresses("localhost")
      expect(local.length).toBeGreaterThan(0)
      for (const address of local) expect(["127.0.0.1", "::1"]).toContain(address)
      // `.invalid` never resolves (RFC 6761): answered as "no addresses", not as an error.
      expect(yield* resolver.addresses("att-registration-check.invalid")).toEqual([])
    }).pipe(Effect.provide(HostResolver.system("1 second")))
  )
})
