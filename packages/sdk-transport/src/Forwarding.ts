import {
  type JsonRpcRequest,
  type JsonRpcResponse,
  type SendOptions,
  TransportError,
  type UpstreamTarget
} from "@att/core"
import { currentUtc } from "@att/core/internal"
import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  type JSONRPCMessage,
  ListPromptsResultSchema,
  ListResourceTemplatesResultSchema,
  ListResourcesResultSchema,
  ListToolsResultSchema,
  type McpError,
  ReadResourceResultSchema
} from "@modelcontextprotocol/sdk/types.js"
import { type Clock, Effect } from "effect"
import { z } from "zod"
import { CallSignal } from "./CallSignal.js"
import { isUpstreamRpcError } from "./Categorize.js"
import { oversizedLimit } from "./ResultLimit.js"
import { type Session, type Timeouts, timeoutOf } from "./Session.js"
import type { SessionLifecycle } from "./SessionLifecycle.js"

/**
 * The result schema of each method att forwards upstream. A list's items are passed on as they came: the SDK's item
 * schemas would reject the whole list for one malformed item, and the gateway judges each item on its own.
 */
const RESULT_SCHEMAS = {
  ping: EmptyResultSchema,
  "tools/call": CallToolResultSchema,
  "tools/list": ListToolsResultSchema.extend({ tools: z.array(z.unknown()) }),
  "resources/read": ReadResourceResultSchema,
  "resources/list": ListResourcesResultSchema.extend({ resources: z.array(z.unknown()) }),
  "resources/templates/list": ListResourceTemplatesResultSchema.extend({ resourceTemplates: z.array(z.unknown()) }),
  "prompts/list": ListPromptsResultSchema.extend({ prompts: z.array(z.unknown()) }),
  "prompts/get": GetPromptResultSchema,
  "completion/complete": CompleteResultSchema,
  "resources/subscribe": EmptyResultSchema,
  "resources/unsubscribe": EmptyResultSchema,
  "logging/setLevel": EmptyResultSchema
} as const

type ForwardedMethod = keyof typeof RESULT_SCHEMAS
const isForwarded = (method: string): method is ForwardedMethod => Object.hasOwn(RESULT_SCHEMAS, method)

const NOTHING_TO_UNDO = () => undefined

/**
 * Route the upstream's requests that come with the call sent as `id` to `relay`, while the call is in flight; answers
 * what ends that. Nothing on sessions that cannot tell which call a request came with.
 */
const relayCall = (session: Session, id: string | number | undefined, relay: SendOptions["onRequest"]) => {
  const relays = session.relays
  if (relays === null || relay === undefined || id === undefined) return NOTHING_TO_UNDO
  relays.byCall.set(id, relay)
  return () => void relays.byCall.delete(id)
}

/** The error object of a JSON-RPC error response, as the upstream sent it. */
const rpcErrorOf = ({ code, message, data }: McpError) =>
  data === undefined ? { code, message } : { code, message, data }

/**
 * Forwarding one request on a session: every call but `initialize` goes through here. The response is the one the
 * upstream sent, as received; a failure is categorized, and closes the session when it broke it.
 */
export const makeForwarding = (lifecycle: SessionLifecycle, timeouts: Timeouts, clock: Clock.Clock) => {
  const { settled, failed } = lifecycle

  let progressTokens = 0
  /** The request's params with a progress token of att's own, routed to `onProgress` until the token is released. */
  const withProgressToken = (
    session: Session,
    params: Record<string, unknown>,
    onProgress: SendOptions["onProgress"]
  ) => {
    if (onProgress === undefined) return { value: params, token: null }
    const token = `att-progress-${++progressTokens}`
    session.progress.set(token, onProgress)
    const meta = (params._meta ?? {}) as Record<string, unknown>
    return { value: { ...params, _meta: { ...meta, progressToken: token } }, token }
  }
  const releaseToken = (session: Session, token: string | null) => {
    if (token !== null) session.progress.delete(token)
  }

  /** The upstream answered on the session (a result, an rpc error, a result too large to keep). */
  const heard = (session: Session) => {
    session.lastActivity = currentUtc(clock)
    session.answers += 1
  }

  /**
   * The upstream answered (a result or an rpc error): that is activity on the session. The response is the one the
   * upstream sent, as received (its id is the one the SDK gave the request); `body` stands in only if none was kept.
   */
  const answered = (
    session: Session,
    request: JsonRpcRequest,
    received: JSONRPCMessage | undefined,
    body: { readonly result: unknown } | { readonly error: unknown }
  ): JsonRpcResponse => {
    heard(session)
    return received ?? { jsonrpc: "2.0", id: request.id, ...body }
  }

  /** One request on the session: abortable (interruption aborts it and the SDK tells the upstream), bounded by the SDK's timeout. */
  return (session: Session, target: UpstreamTarget, request: JsonRpcRequest, options: SendOptions = {}) => {
    if (!isForwarded(request.method)) {
      return Effect.fail(
        new TransportError({ message: `Unsupported MCP method: ${request.method}`, category: "invalid_payload" })
      )
    }
    const schema = RESULT_SCHEMAS[request.method]
    const params = withProgressToken(session, request.params ?? {}, options.onProgress)
    return Effect.async<JsonRpcResponse, TransportError>((resume) => {
      const answersBefore = session.answers
      const signal = new CallSignal()
      session.inFlight += 1
      const pending = session.client.request({ method: request.method, params: params.value } as never, schema, {
        signal: signal.asAbortSignal,
        timeout: timeoutOf(timeouts, target)
      })
      const sentAs = session.transport.keepResponse()
      const unrelay = relayCall(session, sentAs, options.onRequest)
      pending.then(
        (result) => {
          unrelay()
          releaseToken(session, params.token)
          settled(session)
          resume(Effect.succeed(answered(session, request, session.transport.takeResponse(sentAs), { result })))
        },
        (error: unknown) => {
          unrelay()
          releaseToken(session, params.token)
          const received = session.transport.takeResponse(sentAs)
          if (oversizedLimit(error) !== null) heard(session) // answered, if too much: the session is fine
          // Before `settled`: a retired session this breaks closes at once there, and must know not to DELETE.
          const outcome = isUpstreamRpcError(error)
            ? Effect.succeed(answered(session, request, received, { error: rpcErrorOf(error) }))
            : failed(session, error, answersBefore)
          settled(session)
          resume(outcome)
        }
      )
      // Interruption aborts the request: the SDK drops its handler and sends `notifications/cancelled` upstream.
      return Effect.sync(() => signal.abort(new Error("The call was interrupted")))
    })
  }
}
