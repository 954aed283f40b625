import ipaddr from "ipaddr.js"

/** An IPv4 address carried inside an IPv6 one: where a connection to the IPv6 address really goes. */
export interface EmbeddedIpv4 {
  readonly address: ipaddr.IPv4
  /** How it is carried, for messages: "an IPv4-mapped address", "a 6to4 address", ... */
  readonly form: string
  /**
   * True when another host delivers it (a NAT64 gateway, a 6to4 or Teredo relay, a stateless translator), false when
   * this host's own stack does (IPv4-mapped and IPv4-compatible addresses).
   */
  readonly translated: boolean
}

const LOCAL_USE_NAT64 = ipaddr.IPv6.parseCIDR("64:ff9b:1::/48")

const ipv4At = (bytes: ReadonlyArray<number>, at: ReadonlyArray<number>, xor = 0): ipaddr.IPv4 =>
  new ipaddr.IPv4(at.map((index) => ((bytes[index] ?? 0) ^ xor) & 255))

/** The last 32 bits. */
const LAST = [12, 13, 14, 15]
/** Where an IPv4 address sits under an RFC 6052 prefix of /48, /56, /64 and /96 (bits 64 to 71 are skipped). */
const NAT64_POSITIONS = [[6, 7, 9, 10], [7, 9, 10, 11], [9, 10, 11, 12], LAST]

/**
 * The IPv4 addresses an IPv6 address carries: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`,
 * IPv4-translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::` and Teredo (the client
 * address, inverted, in the last 32 bits). The local-use NAT64 prefix `64:ff9b:1::/48` may carry the address at
 * any of the RFC 6052 positions: every one is answered, but those that read as 0.0.0.0/8 (no address there, and
 * nothing a translator delivers to) are not.
 */
export const embeddedIpv4 = (address: ipaddr.IPv6): ReadonlyArray<EmbeddedIpv4> => {
  const bytes = address.toByteArray()
  const range: string = address.range()
  const one = (form: string, translated: boolean, at: ReadonlyArray<number>, xor = 0) => [
    { address: ipv4At(bytes, at, xor), form, translated }
  ]
  switch (range) {
    case "ipv4Mapped":
      return one("an IPv4-mapped address", false, LAST)
    case "rfc6145":
      return one("an IPv4-translated address", true, LAST)
    case "6to4":
      return one("a 6to4 address", true, [2, 3, 4, 5])
    case "teredo":
      return one("a Teredo address", true, LAST, 0xff)
    case "rfc6052":
      return address.match(LOCAL_USE_NAT64)
        ? NAT64_POSITIONS.map((at) => ({
            address: ipv4At(bytes, at),
            form: "a NAT64 address",
            translated: true
          })).filter((candidate) => candidate.address.range() !== "unspecified")
        : one("a NAT64 address", true, LAST)
    case "unicast":
      // `::` and `::1` have ranges of their own; the rest of ::/96 is IPv4-compatible.
      return bytes.slice(0, 12).every((byte) => byte === 0) ? one("an IPv4-compatible address", false, LAST) : []
    default:
      return []
  }
}
