import { type Server, createServer } from "node:http"
import type { ConfigFile } from "../config/ConfigFile.js"

/**
 * The Node server att listens with, its limits set on purpose: a client must send its whole head within
 * `headers_timeout_ms` and its whole request within `request_timeout_ms` (responses, SSE streams included, are
 * not limited), an idle keep-alive connection closes after `keep_alive_timeout_ms`, and at most
 * `max_connections` connections are open at once (more are refused at accept).
 */
export const makeNodeServer = (
  config: Pick<ConfigFile, "headers_timeout_ms" | "request_timeout_ms" | "keep_alive_timeout_ms" | "max_connections">
): Server => {
  const server = createServer({ headersTimeout: config.headers_timeout_ms, requestTimeout: config.request_timeout_ms })
  server.keepAliveTimeout = config.keep_alive_timeout_ms
  server.maxConnections = config.max_connections
  return server
}
