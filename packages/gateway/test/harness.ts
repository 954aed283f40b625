import { HttpApiClient } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { type ScriptedAttOptions, scriptedAtt } from "@att/testkit"
import { Layer } from "effect"
import { AttApi, GatewayOptions, type GatewaySettings, HttpLive } from "@att/gateway"

export interface ApiHarnessOptions extends ScriptedAttOptions {
  readonly gateway?: Partial<GatewaySettings>
}

/**
 * The whole HTTP service in-process over the scripted transport, on a real loopback socket
 * (`NodeHttpServer.layerTest` also provides an `HttpClient` aimed at it). Build once per test.
 */
export const apiHarness = (options: ApiHarnessOptions = {}) =>
  HttpLive.pipe(
    Layer.provideMerge(scriptedAtt(options)),
    Layer.provideMerge(GatewayOptions.layer(options.gateway)),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )

/** A typed client derived from the API definition. */
export const apiClient = HttpApiClient.make(AttApi)
