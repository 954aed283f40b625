import { isIP } from "node:net"
import ipaddr from "ipaddr.js"
import { embeddedIpv4 } from "./EmbeddedIpv4.js"

/** What HTTP registration may point at (SSRF guard). Loopback is allowed: local upstreams are the common case. */
export interface AddressPolicy {
  readonly allowPrivateNetworks: boolean
}

/** Why an address is refused, and whether `allow_private_networks` lifts that. */
interface Refusal {
  readonly reason: string
  readonly private: boolean
}

const always = (reason: string): Refusal => ({ reason, private: false })
const PRIVATE: Refusal = { reason: "a private network address", private: true }

/** Cloud metadata endpoints (AWS, GCP, Azure, Alibaba Cloud, AWS over IPv6): refused even where private networks are allowed. */
const METADATA = ["169.254.169.254", "100.100.100.200", "fd00:ec2::254"].map((address) => ipaddr.parse(address))
const isMetadata = (address: ipaddr.IPv4 | ipaddr.IPv6) =>
  METADATA.some(
    (metadata) => metadata.kind() === address.kind() && address.match(metadata, address.kind() === "ipv4" ? 32 : 128)
  )

/** `translated`: the address is reached through another host (so its loopback is not this host's). */
const refusalForIpv4 = (address: ipaddr.IPv4, translated: boolean): Refusal | null => {
  if (isMetadata(address)) return always("a cloud metadata address")
  switch (address.range()) {
    case "unspecified":
      return always("the unspecified address")
    case "linkLocal":
      return always("a link-local address")
    case "multicast":
      return always("a multicast address")
    case "broadcast":
    case "reserved":
      return always("a reserved address")
    case "loopback":
      return translated ? always("a loopback address behind a translator") : null
    case "private":
    case "carrierGradeNat":
      return PRIVATE
    default:
      return null
  }
}

const refusalForIpv6 = (address: ipaddr.IPv6): Refusal | null => {
  if (isMetadata(address)) return always("a cloud metadata address")
  const range: string = address.range()
  switch (range) {
    case "unspecified":
      return always("the unspecified address")
    case "loopback":
      return null
    case "linkLocal":
      return always("a link-local address")
    case "deprecatedSiteLocal":
      return always("a site-local address")
    case "multicast":
      return always("a multicast address")
    case "reserved":
    case "benchmarking":
    case "discard":
      return always("a reserved address")
    case "uniqueLocal":
      return PRIVATE
  }
  let found: Refusal | null = null
  for (const embedded of embeddedIpv4(address)) {
    const refusal = refusalForIpv4(embedded.address, embedded.translated)
    if (refusal === null || (found !== null && (refusal.private || !found.private))) continue
    found = { reason: `${refusal.reason} (${embedded.address} in ${embedded.form})`, private: refusal.private }
  }
  return found
}

/**
 * An IP address read by ipaddr.js (brackets and a zone dropped), or null for what is not one. IPv6 goes through the
 * URL parser first, which writes it in hex: ipaddr.js would read `::a.b.c.d` (IPv4-compatible) as `::ffff:a.b.c.d`.
 */
const parseAddress = (address: string): ipaddr.IPv4 | ipaddr.IPv6 | null => {
  const host = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "")
  const version = isIP(host)
  if (version === 0) return null
  const canonical = version === 6 ? new URL(`http://[${host}]/`).hostname.slice(1, -1) : host
  return ipaddr.isValid(canonical) ? ipaddr.parse(canonical) : null
}

/** True for a loopback address (IPv4-mapped ones included), false for any other address or a host name. */
export const isLoopbackAddress = (address: string): boolean => {
  const parsed = parseAddress(address)
  if (parsed === null) return false
  const ipv4 =
    parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
      ? (parsed as ipaddr.IPv6).toIPv4Address()
      : parsed
  return ipv4.range() === "loopback"
}

/**
 * Why att may not connect to an IP address for a server registered over HTTP, or null when it may (null too for
 * what is not an IP literal). IPv6 addresses that carry an IPv4 one (IPv4-mapped and -compatible, NAT64, 6to4,
 * Teredo) are judged by it too. Refused always: cloud metadata endpoints, link-local, site-local, multicast, reserved
 * and benchmarking ranges, 0.0.0.0/8 and `::`, a loopback address behind a translator. Refused unless allowed: private
 * ranges (10/8, 172.16/12, 192.168/16, the shared 100.64/10, fc00::/7). Loopback is allowed.
 */
export const refusalForAddress = (address: string, policy: AddressPolicy): string | null => {
  const parsed = parseAddress(address)
  if (parsed === null) return null
  const refusal =
    parsed.kind() === "ipv4" ? refusalForIpv4(parsed as ipaddr.IPv4, false) : refusalForIpv6(parsed as ipaddr.IPv6)
  return refusal === null || (refusal.private && policy.allowPrivateNetworks) ? null : refusal.reason
}

/** The host of an upstream URL, without IPv6 brackets, lower case. */
export const hostOf = (url: string): string => new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase()

/** True for a host name (what must be resolved), false for an IP literal. */
export const isHostName = (host: string): boolean => isIP(host) === 0

/**
 * Why an upstream URL's host (`hostOf`) may not be registered over HTTP, or null when it may: a cloud metadata host
 * name, or an address `refusalForAddress` refuses. A name is also checked by what it resolves to
 * (`refusalForResolved`) at registration, and again at every connection (the transport's `refuseAddress`).
 */
export const refusalReason = (host: string, policy: AddressPolicy): string | null => {
  const name = host.toLowerCase().replace(/\.+$/, "")
  if (name === "metadata.google.internal" || name === "metadata") return "url points at a cloud metadata service"
  const refusal = refusalForAddress(host, policy)
  return refusal === null ? null : `url points at ${refusal}`
}

/** Why a host name may not be registered, by the addresses it resolves to: the first one refused, or null. */
export const refusalForResolved = (
  host: string,
  addresses: ReadonlyArray<string>,
  policy: AddressPolicy
): string | null => {
  for (const address of addresses) {
    const refusal = refusalForAddress(address, policy)
    if (refusal !== null) return `url points at ${refusal} (${host} resolves to ${address})`
  }
  return null
}
