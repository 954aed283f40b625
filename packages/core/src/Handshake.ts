import type { TransportError } from "./domain/Errors.js"
import { type JsonRpcResponse, asJsonObject, rpcErrorText } from "./domain/JsonRpc.js"
import type { CapabilitySnapshot } from "./domain/ServerRecord.js"
import type { DateTime } from "effect"

export const PROTOCOL_VERSION = "2025-11-25"
export const CLIENT_INFO = { name: "att", version: "0.1.0" } as const

/** A failure of one stage, as the manager records it. */
export interface StageFailure {
  readonly error: string
  readonly category: TransportError["category"]
  /** The request certainly did not reach the upstream. */
  readonly unsent?: boolean
  /** The failure belongs to this call alone: the server's health is unchanged and the call does not fail over. */
  readonly callOnly?: boolean
}

/** Classify an invoke response: an rpc error, a missing `result`, or null for a result (`null` included). */
export const classifyInvoke = (response: JsonRpcResponse): StageFailure | null => {
  const error = response.error
  if (error !== undefined && error !== null)
    return { error: `rpc error: ${rpcErrorText(error)}`, category: "rpc_error" }
  if (!Object.hasOwn(response, "result")) {
    return { error: "rpc error: missing result", category: "invalid_payload" }
  }
  return null
}

/**
 * JSON-RPC error codes with which an upstream answers the caller about its own request: invalid request (-32600),
 * method not found (-32601), invalid params (-32602), resource not found (-32002), URL elicitation required (-32042).
 */
export const CALLER_FAULT_CODES: ReadonlySet<number> = new Set([-32600, -32601, -32602, -32002, -32042])

/** An upstream's JSON-RPC error that is the caller's to handle, as the upstream sent it. */
export interface Rejection {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/** The error of an invoke response when its code says the request itself was at fault; null otherwise. */
export const rejectionOf = (response: JsonRpcResponse): Rejection | null => {
  const error = asJsonObject(response.error)
  if (error === null || typeof error.code !== "number" || !CALLER_FAULT_CODES.has(error.code)) return null
  const message = typeof error.message === "string" ? error.message : rpcErrorText(error)
  return Object.hasOwn(error, "data") ? { code: error.code, message, data: error.data } : { code: error.code, message }
}

/** What a successful initialize result says, field by field. */
export const snapshotOf = (result: Record<string, unknown>, capturedAt: DateTime.Utc): CapabilitySnapshot => ({
  protocol_version: typeof result.protocolVersion === "string" ? result.protocolVersion : null,
  server_info: asJsonObject(result.serverInfo),
  capabilities: asJsonObject(result.capabilities),
  instructions: typeof result.instructions === "string" ? result.instructions : null,
  captured_at: capturedAt
})

export const failureOf = (error: TransportError): StageFailure => ({
  error: error.message,
  category: error.category,
  ...(error.unsent === true ? { unsent: true } : {}),
  ...(error.callOnly === true ? { callOnly: true } : {})
})
