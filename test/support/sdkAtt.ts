import { Manager, ManagerConfig, type ManagerOptions, Probe } from "@att/core"
import { SdkTransport, type SdkTransportOptions } from "@att/sdk-transport"
import { Layer } from "effect"

/** A whole manager over the real SDK transport, probing with MCP `ping`. Build it once per test. */
export const sdkAtt = (
  options: {
    readonly manager?: ManagerOptions
    readonly callTimeoutMs?: number
    readonly transport?: SdkTransportOptions
  } = {}
) =>
  Manager.layer.pipe(
    Layer.provideMerge(Probe.ping),
    Layer.provideMerge(
      SdkTransport.layer({
        ...options.transport,
        ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs })
      })
    ),
    Layer.provideMerge(ManagerConfig.layer(options.manager))
  )
