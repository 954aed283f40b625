import { TransportError } from "@att/core"
import { ErrorCode, type JSONRPCMessage, McpError } from "@modelcontextprotocol/sdk/types.js"
import { randomUUID } from "node:crypto"

export const oversizedMessage = (limit: number) => `result exceeds max_result_bytes (${limit} bytes)`

/**
 * A message over the limit is dropped where it arrives (a stdio line, an HTTP body, an SSE event) and the request
 * it answered gets, in its place, a JSON-RPC error response att makes itself, so the SDK Client settles that one
 * call the ordinary way and nothing else is touched. The error's `data` carries a mark only this process knows: an
 * upstream cannot make its own error pass for one.
 */
const MARK = "attResultLimit"
const NONCE = randomUUID()

interface OversizedData {
  readonly [MARK]: string
  readonly limit: number
}

/** The error response that fails request `id` for a result over `limit` bytes. */
export const oversizedResponse = (id: string | number, limit: number): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  error: {
    code: ErrorCode.InternalError,
    message: oversizedMessage(limit),
    data: { [MARK]: NONCE, limit } satisfies OversizedData
  }
})

/** The same response as UTF-8 JSON (for an HTTP body or an SSE event). */
export const oversizedResponseBytes = (id: string | number, limit: number): Uint8Array =>
  Buffer.from(JSON.stringify(oversizedResponse(id, limit)))

/** A body over the limit that answered no request att can name: the body fails with this. */
export class OversizedBody extends Error {
  constructor(readonly limit: number) {
    super(oversizedMessage(limit))
    this.name = "OversizedBody"
  }
}

/** The limit a failure reports, when it is att's own "result too large" (and not the upstream's error). */
export const oversizedLimit = (error: unknown): number | null => {
  if (error instanceof OversizedBody) return error.limit
  if (!(error instanceof McpError)) return null
  const data = error.data as Partial<OversizedData> | null | undefined
  return typeof data === "object" && data !== null && data[MARK] === NONCE && typeof data.limit === "number"
    ? data.limit
    : null
}

/** A result over the limit fails its call alone: the session is fine and the server healthy. */
export const oversizedError = (limit: number) =>
  new TransportError({ message: oversizedMessage(limit), category: "invalid_payload", callOnly: true })

/** The JSON-RPC id of a request body att sent (read only when a response to it is dropped). */
export const requestIdOf = (body: unknown): string | number | null => {
  if (typeof body !== "string") return null
  try {
    const message = JSON.parse(body) as { id?: unknown; method?: unknown }
    const id = message.id
    return typeof message.method === "string" && (typeof id === "string" || typeof id === "number") ? id : null
  } catch {
    return null
  }
}
