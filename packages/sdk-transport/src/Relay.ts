import type { RefusedRequest, SendOptions, UpstreamRequestMethod } from "@att/core"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import {
  CancelledNotificationSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema
} from "@modelcontextprotocol/sdk/types.js"
import { Cause, Effect, Exit, Option, Runtime } from "effect"
import { RequestOrigins } from "./RequestOrigins.js"

type MessageId = string | number
export type Relay = NonNullable<SendOptions["onRequest"]>

/**
 * The client capabilities att declares to an upstream whose requests it can relay: on a Streamable HTTP session each
 * request arrives on the response stream of the call it belongs to, so it can go to that call's client. (Over stdio
 * and SSE nothing tells, and att declares none of them: the upstream then does not ask.)
 */
export const RELAY_CAPABILITIES = { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} }

/** The most upstream requests awaiting their handler at once on one session; beyond, the oldest is forgotten. */
const MAX_PENDING_ORIGINS = 1024

/**
 * The relays of a session's calls in flight, and which call each upstream request came with. On a session of one
 * client's own (`exclusive`), a request that came with no call it can name goes to the latest call in flight: every
 * call on the session is that client's.
 */
export class Relays {
  readonly byCall = new Map<MessageId, Relay>()
  readonly origins = new RequestOrigins(MAX_PENDING_ORIGINS)

  constructor(readonly exclusive: boolean) {}

  relayFor(upstreamRequest: MessageId): Relay | undefined {
    const call = this.origins.take(upstreamRequest)
    if (call !== undefined) return this.byCall.get(call)
    if (!this.exclusive) return undefined
    let latest: Relay | undefined
    for (const relay of this.byCall.values()) latest = relay
    return latest
  }
}

/** An error the SDK sends as the JSON-RPC error response exactly as given (an `McpError` would prefix its message). */
const rpcError = (code: number, message: string, data?: unknown) =>
  Object.assign(new Error(message), data === undefined ? { code } : { code, data })

/** The SDK's request handlers in flight by request id, each with the controller that aborts its signal. */
type HandlersInFlight = Map<MessageId, AbortController>

/**
 * The upstream's `notifications/cancelled` aborts the handler of the request it names. The SDK's own handler (1.32)
 * skips request id 0 (`if (!requestId) return`), and 0 is the first id an upstream gives its requests, so an upstream's
 * first elicitation could not be cancelled. This one does what the SDK's does for every id; it reads the SDK's map
 * of handlers in flight (a private field: `test/mcp-relay-cancel.test.ts` fails if it goes).
 */
const cancelEveryId = (client: Client) =>
  client.setNotificationHandler(CancelledNotificationSchema, ({ params }) => {
    if (params.requestId === undefined) return
    const handlers = (client as unknown as { readonly _requestHandlerAbortControllers?: HandlersInFlight })
      ._requestHandlerAbortControllers
    handlers?.get(params.requestId)?.abort(params.reason)
  })

/**
 * Answer the upstream's sampling, elicitation and roots requests on `client` with the relay of the call each came
 * with; one that came with no call (on the standalone stream, or after its call ended) is refused. The upstream's
 * cancellation of its request interrupts the relay (and so the client's request), and the SDK then sends the
 * upstream no answer.
 */
export const installRelays = (
  client: Client,
  server: string,
  relays: Relays,
  runtime: Runtime.Runtime<never>,
  onRefused: (request: RefusedRequest) => void
) => {
  const relayOf =
    (method: UpstreamRequestMethod) =>
    async (
      request: { readonly params?: Record<string, unknown> | undefined },
      extra: { readonly requestId: MessageId; readonly signal: AbortSignal }
    ) => {
      const relay = relays.relayFor(extra.requestId)
      if (relay === undefined) {
        const reason = `att has no client to ask: ${method} did not come with a call in flight`
        Runtime.runFork(runtime)(Effect.logWarning(`upstream ${server} sent ${method}: refused, ${reason}`))
        onRefused({ server, method, id: extra.requestId, reason })
        throw rpcError(ErrorCode.MethodNotFound, reason)
      }
      const exit = await Runtime.runPromiseExit(runtime)(relay({ method, params: request.params ?? {} }), {
        signal: extra.signal
      })
      if (Exit.isSuccess(exit)) return exit.value as never
      const refused = Cause.failureOption(exit.cause)
      if (Option.isSome(refused)) throw rpcError(refused.value.code, refused.value.message, refused.value.data)
      throw rpcError(ErrorCode.InternalError, `the relay of ${method} ended without an answer`)
    }
  cancelEveryId(client)
  client.setRequestHandler(CreateMessageRequestSchema, relayOf("sampling/createMessage"))
  client.setRequestHandler(ElicitRequestSchema, relayOf("elicitation/create"))
  client.setRequestHandler(ListRootsRequestSchema, relayOf("roots/list"))
}
