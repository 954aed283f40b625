import { HostResolver, decodeConfig, transportOptions } from "@att/gateway"
import { refusalForAddress, refusalReason } from "../src/security/AddressPolicy.js"
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
    for (const address of ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd00::1"]) {
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
    const internal = {
      name: "internal",
      upstream: { transport: "streamable-http" as const, url: "http://10.0.0.5:9000/mcp" }
    }
    expect(refuse(internal, "10.0.0.5")).toBeNull()
    // The same name re-registered over HTTP with another endpoint is not the config's server any more.
    const replaced = {
      name: "internal",
      upstream: { transport: "streamable-http" as const, url: "http://intra.example/mcp" }
    }
    expect(refuse(replaced, "10.0.0.5")).toBe(
      "not allowed for a server registered over HTTP: a private network address"
    )
    const registered = {
      name: "other",
      upstream: { transport: "streamable-http" as const, url: "http://meta.example/" }
    }
    expect(refuse(registered, "169.254.169.254")).toBe(
      "not allowed for a server registered over HTTP: a cloud metadata address"
    )
    expect(refuse(registered, "127.0.0.1")).toBeNull()
    const allowing = transportOptions(config({ allow_private_networks: true })).refuseAddress
    expect(allowing?.(registered, "192.168.0.10")).toBeNull()
    expect(allowing?.(registered, "169.254.169.254")).not.toBeNull()
  })
})

type Verdict = "allowed" | "private" | "refused"

/** Every address form the classifier reads, each with what it must answer (issue 14 §4). */
const ADDRESSES: ReadonlyArray<readonly [string, Verdict]> = [
  // public
  ["93.184.216.34", "allowed"],
  ["8.8.8.8", "allowed"],
  ["2606:4700::1111", "allowed"],
  ["2a00:1450:4001:80b::200e", "allowed"],
  // loopback
  ["127.0.0.1", "allowed"],
  ["127.9.9.9", "allowed"],
  ["::1", "allowed"],
  ["[::1]", "allowed"],
  // unspecified, 0.0.0.0/8
  ["0.0.0.0", "refused"],
  ["0.1.2.3", "refused"],
  ["::", "refused"],
  // link-local, site-local
  ["169.254.1.1", "refused"],
  ["fe80::1", "refused"],
  ["fe80::1%eth0", "refused"],
  ["fec0::1", "refused"],
  ["feff::1", "refused"],
  // benchmarking, reserved, broadcast
  ["198.18.0.1", "refused"],
  ["198.19.255.254", "refused"],
  ["240.0.0.1", "refused"],
  ["255.255.255.255", "refused"],
  ["2001:db8::1", "refused"],
  ["2001:2::1", "refused"],
  // multicast
  ["224.0.0.1", "refused"],
  ["239.255.255.250", "refused"],
  ["ff02::1", "refused"],
  ["ff05::1:3", "refused"],
  // cloud metadata, even where private networks are allowed
  ["169.254.169.254", "refused"],
  ["100.100.100.200", "refused"],
  ["fd00:ec2::254", "refused"],
  // private, shared (100.64/10), unique local
  ["10.1.2.3", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.254", "private"],
  ["192.168.1.1", "private"],
  ["100.64.0.1", "private"],
  ["100.127.255.254", "private"],
  ["fc00::1", "private"],
  ["fd00::1", "private"],
  // IPv4-mapped ::ffff:a.b.c.d, dotted and hex
  ["::ffff:8.8.8.8", "allowed"],
  ["::ffff:127.0.0.1", "allowed"],
  ["::ffff:169.254.169.254", "refused"],
  ["::ffff:a9fe:a9fe", "refused"],
  ["::ffff:0.0.0.0", "refused"],
  ["::ffff:10.0.0.1", "private"],
  // IPv4-compatible ::a.b.c.d (what a resolver prints in dotted form)
  ["::808:808", "allowed"],
  ["::a9fe:a9fe", "refused"],
  ["::169.254.169.254", "refused"],
  ["::e000:1", "refused"],
  ["::a00:1", "private"],
  // IPv4-translated ::ffff:0:a.b.c.d
  ["::ffff:0:808:808", "allowed"],
  ["::ffff:0:a9fe:a9fe", "refused"],
  // NAT64, the well-known prefix 64:ff9b::/96
  ["64:ff9b::808:808", "allowed"],
  ["64:ff9b::8.8.8.8", "allowed"],
  ["64:ff9b::a9fe:a9fe", "refused"],
  ["64:ff9b::7f00:1", "refused"],
  ["64:ff9b::a00:1", "private"],
  // NAT64, the local-use prefix 64:ff9b:1::/48: the address at /96 and at /48
  ["64:ff9b:1::808:808", "allowed"],
  ["64:ff9b:1:808:8:800::", "allowed"],
  ["64:ff9b:1::a9fe:a9fe", "refused"],
  ["64:ff9b:1:a9fe:a9:fe00::", "refused"],
  ["64:ff9b:1::a00:1", "private"],
  // 6to4 2002:aabb:ccdd::/48
  ["2002:808:808::1", "allowed"],
  ["2002:a9fe:a9fe::1", "refused"],
  ["2002:7f00:1::1", "refused"],
  ["2002:a00:1::1", "private"],
  // Teredo 2001::/32: the client address is the last 32 bits, inverted
  ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", "allowed"],
  ["2001:0:4136:e378:8000:63bf:5601:5601", "refused"],
  ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"]
]

describe("the address classifier over every address form (issue 14 §4)", () => {
  const strict = { allowPrivateNetworks: false }
  const open = { allowPrivateNetworks: true }
  it.each(ADDRESSES)("%s is %s", (address, verdict) => {
    const refusedStrict = refusalForAddress(address, strict)
    const refusedOpen = refusalForAddress(address, open)
    if (verdict === "allowed") expect([refusedStrict, refusedOpen]).toEqual([null, null])
    if (verdict === "private") {
      expect(refusedStrict).toMatch(/^a private network address/)
      expect(refusedOpen).toBeNull()
    }
    if (verdict === "refused") {
      expect(refusedStrict).not.toBeNull()
      expect(refusedOpen).toBe(refusedStrict)
    }
  })

  it("names the embedded address and how it is carried", () => {
    const strict = { allowPrivateNetworks: false }
    expect(refusalForAddress("::ffff:169.254.169.254", strict)).toBe(
      "a cloud metadata address (169.254.169.254 in an IPv4-mapped address)"
    )
    expect(refusalForAddress("::ffff:10.0.0.1", strict)).toBe(
      "a private network address (10.0.0.1 in an IPv4-mapped address)"
    )
    expect(refusalForAddress("::a9fe:a9fe", strict)).toBe(
      "a cloud metadata address (169.254.169.254 in an IPv4-compatible address)"
    )
    expect(refusalForAddress("2001:0:4136:e378:8000:63bf:5601:5601", strict)).toBe(
      "a cloud metadata address (169.254.169.254 in a Teredo address)"
    )
    expect(refusalForAddress("64:ff9b::7f00:1", strict)).toBe(
      "a loopback address behind a translator (127.0.0.1 in a NAT64 address)"
    )
  })

  it("host names are not classified by their spelling, except the metadata service's names", () => {
    for (const policy of [strict, open]) {
      expect(refusalForAddress("127.0.0.1.nip.io", policy)).toBeNull()
      for (const host of [
        "metadata.google.internal",
        "metadata.google.internal.",
        "METADATA.Google.Internal",
        "metadata",
        "metadata."
      ]) {
        expect(refusalReason(host, policy)).toBe("url points at a cloud metadata service")
      }
      expect(refusalReason("metadata.google.internal.example", policy)).toBeNull()
    }
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
