import { lookup } from "node:dns/promises"
import { Context, Duration, Effect, Layer } from "effect"

/**
 * What a host name resolves to, for the registration check of the address policy: a name whose addresses
 * the policy refuses is refused at registration, as a literal address is. Answers no addresses for a name that does
 * not resolve (yet), or not in time: such a server is registered, and the connect-time guard still holds it to the
 * policy by what the name resolves to when att connects.
 */
export class HostResolver extends Context.Tag("att/HostResolver")<
  HostResolver,
  { readonly addresses: (host: string) => Effect.Effect<ReadonlyArray<string>> }
>() {
  /** The system resolver (`dns.lookup`: hosts file, then DNS), bounded by `timeout`. */
  static readonly system = (timeout: Duration.DurationInput = Duration.seconds(2)) =>
    Layer.succeed(HostResolver, {
      addresses: (host) =>
        Effect.tryPromise(() => lookup(host, { all: true, verbatim: true })).pipe(
          Effect.map((found) => found.map((entry) => entry.address)),
          Effect.timeout(timeout),
          Effect.orElseSucceed((): ReadonlyArray<string> => [])
        )
    })

  /** A fixed table (tests): names not in it resolve to nothing. */
  static readonly fixed = (table: Readonly<Record<string, ReadonlyArray<string>>> = {}) =>
    Layer.succeed(HostResolver, { addresses: (host) => Effect.succeed(table[host.toLowerCase()] ?? []) })
}
