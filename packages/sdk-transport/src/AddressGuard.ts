import { type LookupAddress, type LookupAllOptions, lookup as dnsLookup } from "node:dns"
import { type LookupFunction, isIP } from "node:net"
import { buildConnector } from "undici"

/** Why att will not connect to `address` (an IP address), or null when it may. */
export type AddressRefusal = (address: string) => string | null

/** The `code` of the error a refused connection fails with (the request was never sent). */
export const ADDRESS_REFUSED = "ERR_ATT_ADDRESS_REFUSED"

const refused = (host: string, address: string, reason: string): Error =>
  Object.assign(new Error(host === address ? `${address}: ${reason}` : `${host} resolves to ${address}: ${reason}`), {
    code: ADDRESS_REFUSED
  })

/** What a host name resolves to, every address (`dns.lookup` with `all: true` is the default). */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: Array<LookupAddress>) => void
) => void

const systemResolveAll: ResolveAll = (hostname, options, callback) => dnsLookup(hostname, options, callback)

/**
 * The `lookup` of the connection's socket: resolves the name once, refuses it when any of its addresses is refused (a
 * name with one bad address is not trusted), and answers the addresses it checked. The socket connects to the address
 * this answers (`net.connect` does not resolve the name again), so a name that answers differently a moment later
 * (DNS rebinding) cannot lead a checked connection elsewhere.
 */
const guardedLookup =
  (refuse: AddressRefusal, resolve: ResolveAll): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, "", 0)
      for (const { address } of addresses) {
        const reason = refuse(address)
        if (reason !== null) return callback(refused(hostname, address, reason), "", 0)
      }
      const first = addresses[0]
      if (options.all === true)
        return (callback as unknown as (error: null, all: Array<LookupAddress>) => void)(null, addresses)
      callback(null, first?.address ?? "", first?.family ?? 0)
    })
  }

/**
 * An undici connector that checks every address an HTTP upstream's connections go to, at connect time: the addresses
 * a name resolves to and literal addresses alike, redirects included. So a registered name cannot point at, be
 * re-pointed at (DNS rebinding), or redirect to an address the policy refuses. A name is resolved once per connection,
 * by `resolve`, and the connection goes to an address of that answer; TLS still names the host (SNI, certificate).
 */
export const guardedConnector = (
  refuse: AddressRefusal,
  resolve: ResolveAll = systemResolveAll
): buildConnector.connector => {
  const connect = buildConnector({ lookup: guardedLookup(refuse, resolve) })
  return (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, "")
    const reason = isIP(host) === 0 ? null : refuse(host)
    if (reason !== null) return callback(refused(host, host, reason), null)
    connect(options, callback)
  }
}
