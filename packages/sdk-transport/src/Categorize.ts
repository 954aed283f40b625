import { TransportError } from "@att/core"
import { SseError } from "@modelcontextprotocol/sdk/client/sse.js"
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import { ADDRESS_REFUSED } from "./AddressGuard.js"
import { oversizedError, oversizedLimit } from "./ResultLimit.js"

const messageOf = (error: unknown): string => {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    const detail = cause instanceof Error && cause.message !== "" ? `: ${cause.message}` : ""
    return `${error.message}${detail}`
  }
  return String(error)
}

const isSchemaError = (error: unknown): boolean =>
  error instanceof SyntaxError ||
  (error instanceof Error && (error.name === "ZodError" || Array.isArray((error as { issues?: unknown }).issues)))

/**
 * A JSON-RPC error the upstream answered on purpose (unknown tool, bad params, ...). The manager reports it as
 * `rpc_error`; it does not mean the session is broken.
 */
export const isUpstreamRpcError = (error: unknown): error is McpError =>
  error instanceof McpError &&
  error.code !== ErrorCode.RequestTimeout &&
  error.code !== ErrorCode.ConnectionClosed &&
  oversizedLimit(error) === null

/**
 * One mapping of SDK and HTTP failures onto att's error categories, the same for every transport:
 * timeouts → `network_timeout`; an HTTP status → `http_status` (`http status <code>`); malformed payloads, schema
 * failures and a result over `maxResultBytes` (that call's failure alone: `callOnly`) → `invalid_payload`;
 * everything else (refused, reset, closed) → `transport_error`.
 */
export const categorize = (error: unknown): TransportError => {
  if (error instanceof TransportError) return error
  const limit = oversizedLimit(error)
  if (limit !== null) return oversizedError(limit)
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout)
      return new TransportError({ message: error.message, category: "network_timeout" })
    if (error.code === ErrorCode.ConnectionClosed)
      return new TransportError({ message: error.message, category: "transport_error" })
    return new TransportError({ message: error.message, category: "transport_error" })
  }
  if (error instanceof StreamableHTTPError || error instanceof SseError) {
    return error.code !== undefined && error.code >= 400
      ? new TransportError({ message: `http status ${error.code}`, category: "http_status" })
      : new TransportError({ message: messageOf(error), category: "transport_error" })
  }
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new TransportError({ message: messageOf(error), category: "network_timeout" })
  }
  if (isSchemaError(error)) return new TransportError({ message: messageOf(error), category: "invalid_payload" })
  return new TransportError({ message: messageOf(error), category: "transport_error" })
}

/** Categories after which a session is not trusted any more (a timeout, an HTTP status, a transport error). */
export const invalidatesSession = (error: TransportError): boolean =>
  error.category === "network_timeout" || error.category === "http_status" || error.category === "transport_error"

const UNSENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  ADDRESS_REFUSED
])

/**
 * The request certainly never reached the upstream: the connection was refused or could not be made, or the
 * client was not connected. Any other failure (a timeout, a reset, a closed stream) may have come after delivery.
 */
export const neverSent = (error: unknown): boolean => {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && UNSENT_CODES.has(code)) return true
    if (current.message === "Not connected") return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/**
 * The session is gone: the upstream answered 404 for it (MCP: the client must start a new session), or the SDK's
 * client is not connected any more. Either way the request was not served.
 */
export const sessionGone = (error: unknown): boolean =>
  (error instanceof StreamableHTTPError && error.code === 404) ||
  (error instanceof Error && error.message === "Not connected")
