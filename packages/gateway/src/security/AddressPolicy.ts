import { isIP } from "node:net"

/** What HTTP registration may point at (SSRF guard, G2). Loopback is allowed: local upstreams are the common case. */
export interface AddressPolicy {
  readonly allowPrivateNetworks: boolean
}

const ipv4Octets = (host: string): ReadonlyArray<number> | null => {
  if (isIP(host) !== 4) return null
  return host.split(".").map(Number)
}

const inV4 = (octets: ReadonlyArray<number>, base: ReadonlyArray<number>, bits: number): boolean => {
  const toInt = (parts: ReadonlyArray<number>) => parts.reduce((acc, part) => (acc << 8) + (part & 255), 0) >>> 0
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
  return (toInt(octets) & mask) === (toInt(base) & mask)
}

/** The first 16 bits of an IPv6 literal, or null. */
const v6Head = (host: string): number | null => {
  if (isIP(host) !== 6) return null
  const first = host.split(":")[0] ?? ""
  return first === "" ? 0 : Number.parseInt(first, 16)
}

/** The embedded IPv4 address of an IPv4-mapped IPv6 literal (`::ffff:a.b.c.d` or its hex form). */
const mappedV4 = (host: string): string | null => {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)
  if (dotted?.[1] !== undefined) return dotted[1]
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(host)
  if (hex?.[1] === undefined || hex[2] === undefined) return null
  const high = Number.parseInt(hex[1], 16)
  const low = Number.parseInt(hex[2], 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

/**
 * Why att may not connect to an IP address for a server registered over HTTP, or null when it may (null too for
 * what is not an IP literal). Refused always: link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10),
 * the unspecified address. Refused unless allowed: private ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
 * fc00::/7). Loopback is allowed.
 */
export const refusalForAddress = (address: string, policy: AddressPolicy): string | null => {
  const host = address.replace(/^\[|\]$/g, "").toLowerCase()
  const v4 = ipv4Octets(mappedV4(host) ?? host)
  if (v4 !== null) {
    if (inV4(v4, [169, 254, 0, 0], 16)) return "a link-local address"
    if (inV4(v4, [0, 0, 0, 0], 8)) return "the unspecified address"
    const isPrivate =
      inV4(v4, [10, 0, 0, 0], 8) ||
      inV4(v4, [172, 16, 0, 0], 12) ||
      inV4(v4, [192, 168, 0, 0], 16) ||
      inV4(v4, [100, 64, 0, 0], 10)
    return isPrivate && !policy.allowPrivateNetworks ? "a private network address" : null
  }
  const head = v6Head(host)
  if (head === null) return null
  if (host === "::") return "the unspecified address"
  if ((head & 0xffc0) === 0xfe80) return "a link-local address"
  if ((head & 0xfe00) === 0xfc00 && !policy.allowPrivateNetworks) return "a private network address"
  return null
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
  if (host === "metadata.google.internal" || host === "metadata") return "url points at a cloud metadata service"
  const refusal = refusalForAddress(host, policy)
  return refusal === null ? null : `url points at ${refusal}`
}

/** Why a host name may not be registered, by the addresses it resolves to: the first one refused, or null. */
export const refusalForResolved = (host: string, addresses: ReadonlyArray<string>, policy: AddressPolicy): string | null => {
  for (const address of addresses) {
    const refusal = refusalForAddress(address, policy)
    if (refusal !== null) return `url points at ${refusal} (${host} resolves to ${address})`
  }
  return null
}
