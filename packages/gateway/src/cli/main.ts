#!/usr/bin/env node
import "./V8Tuning.js"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import type { StoreUnavailable } from "@att/core"
import { SdkTransport } from "@att/sdk-transport"
import { storeLayer } from "@att/store"
import { Effect, Either, Layer, RuntimeFlags, RuntimeFlagsPatch } from "effect"
import { journalSettings, transportOptions } from "../config/ConfigFile.js"
import { loadConfig } from "../config/LoadConfig.js"
import { DrainGuard } from "../http/DrainGuard.js"
import { makeNodeServer } from "../http/NodeServer.js"
import { gatewayRoutes, serviceCore } from "../Gateway.js"
import { isLoopbackHost, parseServeArgs } from "./Args.js"

/** `att serve`: parse flags and env, load the config, refuse unsafe binds, then run until SIGINT / SIGTERM. */
const fail = (message: string): never => {
  process.stderr.write(`att: ${message}\n`)
  process.exit(2)
}

const args = Either.getOrElse(parseServeArgs(process.argv.slice(2), process.env), fail)
const { config, source } = Either.getOrElse(loadConfig(args.config, process.cwd()), (error) => fail(error.message))
const token = args.token ?? config.auth_token
if (!(await isLoopbackHost(args.host)) && token === null) {
  fail(`refusing to bind ${args.host} without a bearer token: set auth_token in the config or ATT_TOKEN`)
}
process.stderr.write(`att: config from ${source}\n`)

const server = makeNodeServer(config)
const nodeServer = NodeHttpServer.layer(() => server, { host: args.host, port: args.port })
const App = gatewayRoutes(config).pipe(
  Layer.provideMerge(DrainGuard(server, config.drain_timeout_ms).pipe(Layer.provideMerge(nodeServer))),
  Layer.provideMerge(
    serviceCore(
      config,
      token,
      SdkTransport.layer(transportOptions(config)),
      args.host,
      storeLayer({ ...args.store, leaseSeconds: config.lease_seconds }, journalSettings(config))
    )
  )
)

/** A database att cannot use at start (unwritable, corrupt, newer, refusing): one line and a non-zero exit. */
const storeRefused = (error: StoreUnavailable) =>
  Effect.sync(() => {
    process.stderr.write(`att: ${error.reason}\n`)
    process.exit(1)
  })

// Effect 3 keeps fiber metrics by default: every fiber (one per request) updates four tagged metrics. att exports
// no metrics, so the service does not pay for them. Measured: 0.3 to 0.5 µs of CPU per fiber in process (an
// invocation in a fiber of its own, 32 at a time); a CPU profile of the service under 32 callers put Effect's runtime
// at ~70 µs per request with them and ~48 µs without (before the invoke routes moved to the HttpApi handlers).
const withoutFiberMetrics = Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.disable(RuntimeFlags.RuntimeMetrics))

NodeRuntime.runMain(Layer.launch(App).pipe(Effect.catchTag("StoreUnavailable", storeRefused), withoutFiberMetrics))
