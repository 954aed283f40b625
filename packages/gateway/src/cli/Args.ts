import { Effect } from "effect"
import { isHostName, isLoopbackAddress } from "../security/AddressPolicy.js"
import { HostResolver } from "../security/HostResolver.js"

/**
 * Whether binding `host` serves this machine only (then att may run without a token): a loopback address, or a name
 * that resolves to loopback addresses only. Judged by what it resolves to, never by its spelling (`127.0.0.1.nip.io`
 * is a name like any other); a name that does not resolve is not loopback.
 */
export const bindsLoopbackOnly = Effect.fn("Args.bindsLoopbackOnly")(function* (host: string) {
  const bare = host.replace(/^\[|\]$/g, "")
  if (!isHostName(bare)) return isLoopbackAddress(bare)
  const addresses = yield* Effect.flatMap(HostResolver, (resolver) => resolver.addresses(bare))
  return addresses.length > 0 && addresses.every(isLoopbackAddress)
})
