/**
 * `@att/gateway/api`: att's HTTP API alone, for clients. The HttpApi definition (`AttApi` and its groups), its
 * schemas and errors, and `makeClient`. Nothing here imports Node (no `node:*`, no MCP SDK, no platform-node), so
 * it bundles for browsers.
 */
export { AttApi, HealthGroup, McpEndpointGroup, McpGroup } from "./Api.js"
export { Authorization } from "./Security.js"
export { type AttClient, type ClientOptions, makeClient } from "./Client.js"
export * from "./Errors.js"
export * from "./Schemas.js"
