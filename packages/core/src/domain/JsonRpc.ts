/** A JSON-RPC 2.0 request as att sends it upstream. */
export interface JsonRpcRequest {
  readonly jsonrpc: "2.0"
  readonly id: string | number
  readonly method: string
  readonly params?: Record<string, unknown>
}

/** A JSON-RPC 2.0 notification (no id, no response). */
export interface JsonRpcNotification {
  readonly jsonrpc: "2.0"
  readonly method: string
  readonly params?: Record<string, unknown>
}

/** A response as received: kept raw, because the manager classifies `error`, a missing `result` and so on. */
export type JsonRpcResponse = Readonly<Record<string, unknown>>

export const hasOwn = (value: object, key: string): boolean => Object.hasOwn(value, key)

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The text of a JSON-RPC `error` member: its string message, else `code=<code>` as JSON (`code=null` when
 * absent), else the JSON text of a non-object value.
 */
export const rpcErrorText = (error: unknown): string => {
  if (isPlainObject(error)) {
    if (typeof error.message === "string") return error.message
    return `code=${JSON.stringify(error.code ?? null)}`
  }
  return typeof error === "string" ? error : JSON.stringify(error)
}

export const asJsonObject = (value: unknown): Record<string, unknown> | null => (isPlainObject(value) ? value : null)
