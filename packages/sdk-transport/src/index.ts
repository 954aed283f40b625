/**
 * @att/sdk-transport: the production `Transport` of `@att/core`, on the official MCP SDK client (Streamable HTTP,
 * SSE, stdio). `SdkTransport.layer(options)` provides it. A stateful Streamable HTTP handler for SDK servers is at
 * `@att/sdk-transport/stateful-http`.
 */
export { SDK_TRANSPORT_DEFAULTS, SdkTransport, type SdkTransportOptions } from "./SdkTransport.js"
