import { Context, Layer } from "effect"

/** Settings of the HTTP service itself (not of the manager). */
export interface GatewaySettings {
  /** Refuse HTTP registration of private-range addresses unless true. */
  readonly allowPrivateNetworks: boolean
  /** At most this many registered servers; registering more answers 400. */
  readonly maxServers: number
  /** Bearer token required on every route when set. */
  readonly authToken: string | null
  /** Largest accepted request body, in bytes (413 above). */
  readonly maxBodyBytes: number
  /** The order tried when a request names no `preferred_servers`. */
  readonly preferredOrder: ReadonlyArray<string>
}

export const defaultGatewaySettings: GatewaySettings = {
  allowPrivateNetworks: false,
  maxServers: 256,
  authToken: null,
  maxBodyBytes: 1024 * 1024,
  preferredOrder: []
}

export class GatewayOptions extends Context.Tag("att/GatewayOptions")<GatewayOptions, GatewaySettings>() {
  static readonly layer = (settings: Partial<GatewaySettings> = {}) =>
    Layer.succeed(GatewayOptions, { ...defaultGatewaySettings, ...settings })
}
