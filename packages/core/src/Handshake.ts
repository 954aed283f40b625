import type { TransportError } from "./domain/Errors.js"
import { type JsonRpcResponse, asJsonObject, rpcErrorText } from "./domain/JsonRpc.js"
import type { CapabilitySnapshot } from "./domain/ServerRecord.js"
import type { DateTime } from "effect"

export const PROTOCOL_VERSION = "2025-11-25"
export const CLIENT_INFO = { name: "att", version: "0.1.0" } as const

/** The initialize request att sends (spec §5 step 3; no server-side capability names: G10). */
export const initializeRequest = () =>
  ({
    jsonrpc: "2.0",
    id: crypto.randomUUID(),
    method: "initialize",
    params: { protocolVersion: PROTOCOL_VERSION, clientInfo: { ...CLIENT_INFO }, capabilities: {} }
  }) as const

export const initializedNotification = { jsonrpc: "2.0", method: "notifications/initialized" } as const

/** A failure of one stage, as the manager records it. */
export interface StageFailure {
  readonly error: string
  readonly category: TransportError["category"]
  /** The request certainly did not reach the upstream. */
  readonly unsent?: boolean
}

/** Spec §5 b/c: classify an initialize response; the object `result` on success. */
export const classifyInitialize = (response: JsonRpcResponse): StageFailure | { readonly result: Record<string, unknown> } => {
  const error = response.error
  if (error !== undefined && error !== null) return { error: `rpc error: ${rpcErrorText(error)}`, category: "rpc_error" }
  const result = asJsonObject(response.result)
  return result === null ? { error: "rpc error: invalid initialize result", category: "invalid_payload" } : { result }
}

/** Spec §7.4 step 4: classify an invoke response. */
export const classifyInvoke = (response: JsonRpcResponse): StageFailure | null => {
  const error = response.error
  if (error !== undefined && error !== null) return { error: `rpc error: ${rpcErrorText(error)}`, category: "rpc_error" }
  if (!Object.hasOwn(response, "result")) {
    return { error: "rpc error: missing result", category: "invalid_payload" }
  }
  return null
}

/** Spec §2.4: what a successful initialize result says, field by field. */
export const snapshotOf = (result: Record<string, unknown>, capturedAt: DateTime.Utc): CapabilitySnapshot => ({
  protocol_version: typeof result.protocolVersion === "string" ? result.protocolVersion : null,
  server_info: asJsonObject(result.serverInfo),
  capabilities: asJsonObject(result.capabilities),
  instructions: typeof result.instructions === "string" ? result.instructions : null,
  captured_at: capturedAt
})

export const failureOf = (error: TransportError): StageFailure =>
  error.unsent === true
    ? { error: error.message, category: error.category, unsent: true }
    : { error: error.message, category: error.category }

