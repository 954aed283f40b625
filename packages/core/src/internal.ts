/**
 * Helpers att's own packages (`@att/sdk-transport`, `@att/gateway`, `@att/testkit`) share: candidate order, the
 * status policy, the event ring buffer, secret redaction, the clock as a DateTime. Not part of the public surface:
 * they may change in any release.
 */
export * from "./Candidates.js"
export * from "./CurrentUtc.js"
export { asJsonObject, hasOwn, rpcErrorText } from "./domain/JsonRpc.js"
export { sameEndpoint } from "./domain/Upstream.js"
export { CLIENT_INFO } from "./Handshake.js"
export { makeSettings } from "./ManagerConfig.js"
export { now } from "./Registry.js"
export * from "./Metrics.js"
export * from "./RingBuffer.js"
export * from "./Secrets.js"
export * from "./StatusMachine.js"
export * from "./Tracing.js"
export { type CapabilityEventQuery, type CapabilityHistory, makeCapabilityHistory } from "./CapabilityHistory.js"
