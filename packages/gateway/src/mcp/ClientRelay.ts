import { RelayRefused, type SendOptions, type UpstreamRequest, type UpstreamRequestMethod } from "@att/core"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js"
import {
  ErrorCode,
  McpError,
  ResultSchema,
  type ServerNotification,
  type ServerRequest
} from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"

/** The client capability each upstream request needs. */
const NEEDS: Record<UpstreamRequestMethod, "sampling" | "elicitation" | "roots"> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots"
}

/**
 * How long att waits on its client for one relayed request at most. The upstream's own timeout for its request, and
 * its cancellation (which interrupts the relay), usually end it first; an elicitation waits on a person.
 */
const RELAY_TIMEOUT_MS = 30 * 60 * 1000

/** The client's JSON-RPC error as it sent it (an `McpError` carries its message behind a prefix of its own). */
const refusal = (error: unknown): RelayRefused => {
  if (error instanceof McpError) {
    const prefix = `MCP error ${error.code}: `
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
    return new RelayRefused(
      error.data === undefined
        ? { code: error.code, message }
        : { code: error.code, message, data: error.data as RelayRefused["data"] }
    )
  }
  return new RelayRefused({ code: ErrorCode.InternalError, message: `the client did not answer: ${String(error)}` })
}

/** Why the client cannot take `request`, by what it declared at initialize; null when it can. */
const unsupported = (server: Server, request: UpstreamRequest): string | null => {
  const capabilities = server.getClientCapabilities() ?? {}
  const needed = NEEDS[request.method]
  if (capabilities[needed] === undefined) return `the client did not declare the ${needed} capability`
  if (request.method !== "elicitation/create") return null
  const elicitation = capabilities.elicitation ?? {}
  const mode = request.params.mode === "url" ? "url" : "form"
  // An empty elicitation capability means form mode (the protocol's rule for clients before modes existed).
  const declared = Object.keys(elicitation).length === 0 ? mode === "form" : elicitation[mode] !== undefined
  return declared ? null : `the client did not declare ${mode}-mode elicitation`
}

/** The call a relayed request came with was cancelled by its client: nobody is left to answer the upstream. */
const callCancelled = (signal: AbortSignal) =>
  new RelayRefused({
    code: ErrorCode.InternalError,
    message: `the client cancelled the call this request came with${signal.reason === undefined ? "" : `: ${String(signal.reason)}`}`
  })

/**
 * Aborted when the relay is interrupted (the upstream cancelled its request) or the client cancels the call the
 * request came with; its reason is what att's `notifications/cancelled` tells the client.
 */
const cancelledBy = (relay: AbortSignal, call: AbortSignal): AbortSignal => {
  const controller = new AbortController()
  relay.addEventListener("abort", () => controller.abort("the upstream server cancelled its request"), { once: true })
  call.addEventListener("abort", () => controller.abort("the call this request came with was cancelled"), {
    once: true
  })
  return controller.signal
}

/**
 * The relay of one `/mcp` call's upstream requests (sampling, elicitation, roots) to the client that made the call:
 * sent as part of that call (on its response stream), the client's result or error going back as it gave it. A client
 * that did not declare the capability is not asked. Interrupting the relay (the upstream cancelled) cancels the
 * client's request; so does the client's cancelling its call, and the upstream then gets an error (its own call is
 * cancelled too, but it may still be waiting on its question).
 */
export const relayToClient =
  (
    server: Server,
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>
  ): NonNullable<SendOptions["onRequest"]> =>
  (request) => {
    const reason = unsupported(server, request)
    if (reason !== null) return Effect.fail(new RelayRefused({ code: ErrorCode.MethodNotFound, message: reason }))
    if (extra.signal.aborted) return Effect.fail(callCancelled(extra.signal))
    return Effect.tryPromise({
      try: (signal) =>
        extra.sendRequest({ method: request.method, params: request.params } as ServerRequest, ResultSchema, {
          signal: cancelledBy(signal, extra.signal),
          timeout: RELAY_TIMEOUT_MS
        }),
      catch: (error) => (extra.signal.aborted ? callCancelled(extra.signal) : refusal(error))
    })
  }

/** Whether the client declared it can answer an upstream's requests (any of sampling, elicitation, roots). */
const answersUpstreamRequests = (server: Server): boolean => {
  const capabilities = server.getClientCapabilities() ?? {}
  return (
    capabilities.sampling !== undefined || capabilities.elicitation !== undefined || capabilities.roots !== undefined
  )
}

/**
 * The invoke options of one call from `/mcp` client `client` (att's id for its session): the relay of the upstream's
 * requests to it and, when it can answer such requests, its id, so a server that cannot tell which call they belong to
 * serves it on an upstream session of its own (`targetFor`).
 */
export const callerOf = (
  server: Server,
  client: string,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>
): { readonly onRequest: NonNullable<SendOptions["onRequest"]>; readonly clientSession?: string } =>
  answersUpstreamRequests(server)
    ? { onRequest: relayToClient(server, extra), clientSession: client }
    : { onRequest: relayToClient(server, extra) }
