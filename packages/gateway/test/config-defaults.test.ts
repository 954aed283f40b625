import { makeSettings } from "@att/core/internal"
import { decodeConfig, defaultGatewaySettings, gatewaySettings, managerOptions, transportOptions } from "@att/gateway"
import { SDK_TRANSPORT_DEFAULTS } from "@att/sdk-transport"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"

describe("one definition of each default (issue 15 §3)", () => {
  it("a config file without options runs the manager, the SDK transport and the HTTP service on their own defaults", () => {
    const config = Either.getOrThrow(decodeConfig({}, "att.config.json"))
    expect(makeSettings(managerOptions(config))).toEqual(makeSettings())
    expect(gatewaySettings(config, null)).toEqual(defaultGatewaySettings)
    const transport = transportOptions(config)
    expect({ callTimeoutMs: transport.callTimeoutMs, maxResultBytes: transport.maxResultBytes }).toEqual(
      SDK_TRANSPORT_DEFAULTS
    )
    expect(transport.connectTimeoutMs).toBeUndefined()
  })
})
