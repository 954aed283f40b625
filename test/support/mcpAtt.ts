import type { EventJournal, Fleet, ServerStore, SnapshotStore, StoreUnavailable } from "@att/core"
import { decodeConfig, gatewayRoutes, makeNodeServer, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Either, Layer, Schedule } from "effect"

/**
 * att in-process on a real Node server, with `/mcp`, over the given upstreams (config-file entries); its state in
 * memory unless a store layer is given.
 */
export const startAtt = (
  mcpServers: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  callTimeoutMs = 2_000,
  store?: Layer.Layer<ServerStore | EventJournal | Fleet | SnapshotStore, StoreUnavailable>
) =>
  Effect.gen(function* () {
    const config = Either.getOrThrow(decodeConfig({ mcpServers, health_interval_seconds: 3600, ...extra }, "test"))
    const server = makeNodeServer(config)
    const context = yield* Layer.build(
      gatewayRoutes(config).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => server, { host: "127.0.0.1", port: 0 })),
        Layer.provideMerge(
          serviceCore(
            config,
            config.auth_token,
            SdkTransport.layer({ callTimeoutMs, connectTimeoutMs: 20_000 }),
            null,
            store
          )
        )
      )
    )
    const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
    return `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}/mcp`
  })

/** An SDK client on `url`, closed with the scope. */
export const mcpClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "test-client", version: "0.0.0" })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

type Listed = Awaited<ReturnType<Client["listTools"]>>
/** List tools until `ready` (upstreams connect in the background), bounded. */
export const listedWhen = (client: Client, ready: (listed: Listed) => boolean) =>
  Effect.promise(() => client.listTools()).pipe(
    Effect.filterOrFail(ready, () => "upstreams not ready yet"),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 500 }),
    Effect.orDie
  )

/** Wait, bounded, until `done()` holds (notifications arrive on their own stream). */
export const eventually = (done: () => boolean, what: string) =>
  Effect.sync(done).pipe(
    Effect.filterOrFail(
      (ok) => ok,
      () => what
    ),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 }),
    Effect.orDie
  )

export const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text
