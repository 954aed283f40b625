/**
 * @att/gateway: the att service as layers an Effect app composes, the way the CLI (`cli/main.ts`) does:
 * `gatewayRoutes(config)` over an `HttpServer` (e.g. `NodeHttpServer.layer(() => makeNodeServer(config), …)`), then
 * `serviceCore(config, token, transport)`. To mount att into a host app beside its own routes: `AttRoutes` and
 * `Lifecycle(config)` merged with the host's `HttpLayerRouter` routes, over the same `serviceCore` (and
 * `DashboardRoutes` for the dashboard at `/`). The config file's schema and decoding, the gateway's options, and the
 * HttpApi definition `AttApi` (with its schemas, errors and a typed client, Node-free, at `@att/gateway/api`).
 */
export { AttApi } from "./api/Api.js"
export {
  ConfigFile,
  type ConfiguredServer,
  gatewaySettings,
  managerOptions,
  transportOptions
} from "./config/ConfigFile.js"
export { ConfigError, decodeConfig, everythingServerCommand, loadConfig } from "./config/LoadConfig.js"
export { ConfigWatch, applyServers } from "./config/ConfigWatch.js"
export { DeclaredServers } from "./config/DeclaredServers.js"
export { type Exported, exportRegistry, exportServers, importRegistry } from "./config/ExportImport.js"
export { Lifecycle, gatewayRoutes, serviceCore } from "./Gateway.js"
export { GatewayOptions, type GatewaySettings, defaultGatewaySettings } from "./GatewayOptions.js"
export { DrainGuard } from "./http/DrainGuard.js"
export { DashboardRoutes } from "./http/Dashboard.js"
export { AttRoutes, HttpLive } from "./http/Http.js"
export { makeNodeServer } from "./http/NodeServer.js"
export type { PrefixMode } from "./mcp/Exposure.js"
export { HostResolver } from "./security/HostResolver.js"
export { type LogFormat, loggerLayer } from "./telemetry/Logging.js"
export { PROMETHEUS_CONTENT_TYPE, PrometheusMetrics } from "./telemetry/PrometheusMetrics.js"
export { tracingLayer, tracingRequested } from "./telemetry/Tracing.js"
