import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js"
import { requestIdsIn } from "./RequestOrigins.js"
import { OversizedBody, oversizedResponseBytes, requestIdOf } from "./ResultLimit.js"
import { SseEvents } from "./SseEvents.js"

type RequestId = string | number

/** Told of each request the upstream sends on a POST's event stream, with the id of the request that POST carried. */
export type StreamRequestObserver = (call: RequestId, upstreamRequest: RequestId) => void

/** What a bounded fetch reports as bodies pass. */
export interface FetchHooks {
  /** The size of each message answering a request (att_result_bytes). */
  readonly resultBytes?: ((bytes: number) => void) | undefined
  readonly onStreamRequest?: StreamRequestObserver | undefined
}

/** An SSE event that answers request `id` with att's "result too large" error. */
const oversizedEvent = (id: RequestId, limit: number): Uint8Array =>
  Buffer.concat([Buffer.from("event: message\ndata: "), oversizedResponseBytes(id, limit), Buffer.from("\n\n")])

/** The same response with another body (the SDK reads `url` and `redirected` too). */
const withBody = (response: Response, body: ReadableStream<Uint8Array>): Response => {
  const bounded = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers
  })
  Object.defineProperties(bounded, { url: { value: response.url }, redirected: { value: response.redirected } })
  return bounded
}

/**
 * A whole body (JSON) held until it ends, counted chunk by chunk (the chunks are passed on as they are, no copy).
 * Over the limit, it is dropped: a request that can be named gets att's error response as the body instead,
 * anything else fails.
 */
const boundedBody = (
  source: ReadableStream<Uint8Array>,
  limit: number,
  requestId: () => RequestId | null,
  onBytes: ((bytes: number) => void) | null
) => {
  const reader = source.getReader()
  let held: Array<Uint8Array> = []
  let bytes = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) {
          onBytes?.(bytes)
          for (const chunk of held) controller.enqueue(chunk)
          held = []
          controller.close()
          return
        }
        bytes += value.byteLength
        if (bytes > limit) {
          held = []
          reader.cancel().catch(() => undefined)
          const id = requestId()
          if (id === null) return controller.error(new OversizedBody(limit))
          controller.enqueue(oversizedResponseBytes(id, limit))
          return controller.close()
        }
        held.push(value)
      }
    },
    cancel: (reason) => reader.cancel(reason)
  })
}

/**
 * An event stream bounded per event (`SseEvents`). The stream of one POST ends at an event over the limit, with
 * att's error response for the request it carried; a long-lived stream (GET) throws the event away and goes on.
 */
const boundedEvents = (
  source: ReadableStream<Uint8Array>,
  limit: number,
  requestId: (() => RequestId | null) | null,
  onBytes: ((bytes: number) => void) | null,
  onStreamRequest: StreamRequestObserver | undefined
) => {
  const reader = source.getReader()
  const events = new SseEvents(limit, requestId !== null)
  // The upstream's requests on a POST's stream belong to the call that POST carried.
  const call = requestId === null || onStreamRequest === undefined ? null : requestId()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let emitted = false
      const emit = (bytes: Uint8Array) => {
        onBytes?.(bytes.byteLength)
        if (call !== null) for (const id of requestIdsIn(bytes)) onStreamRequest?.(call, id)
        controller.enqueue(bytes)
        emitted = true
      }
      // A pull that enqueues nothing is not called again: read until something is passed on.
      while (!emitted) {
        const { done, value } = await reader.read()
        if (done) {
          events.end(emit)
          return controller.close()
        }
        if (events.push(value, emit) === "cut") {
          reader.cancel().catch(() => undefined)
          const id = requestId?.() ?? null
          if (id === null) return controller.error(new OversizedBody(limit))
          controller.enqueue(oversizedEvent(id, limit))
          return controller.close()
        }
      }
    },
    cancel: (reason) => reader.cancel(reason)
  })
}

const NO_BODY_STATUSES = new Set([101, 204, 205, 304])

/**
 * `fetch` with every response body bounded by `limit` bytes, counted as it arrives: a JSON body as a whole, an event
 * stream per event. What passes the limit is never held whole: the request it answered fails alone (att's error
 * response in its place), the session and its other requests go on. Redirects pass untouched (the SDK follows or
 * refuses them itself), and so does a body whose declared, unencoded length is within the limit.
 */
export const boundedFetch =
  (inner: FetchLike, limit: number, hooks: FetchHooks = {}): FetchLike =>
  async (url, init) => {
    const response = await inner(url, init)
    const body = response.body
    if (body === null || NO_BODY_STATUSES.has(response.status) || (response.status >= 300 && response.status < 400)) {
      return response
    }
    const post = (init?.method ?? "GET").toUpperCase() === "POST"
    // Only what answers a request is a result (a GET stream carries the upstream's own messages).
    const onBytes = post && response.ok ? (hooks.resultBytes ?? null) : null
    const requestId = () => (post ? requestIdOf(init?.body) : null)
    const contentType = response.headers.get("content-type") ?? ""
    if (response.ok && /^\s*text\/event-stream\s*(;|$)/i.test(contentType)) {
      // Both SDK transports read an event stream through `body` alone: the response is kept, its body shadowed.
      return Object.defineProperty(response, "body", {
        value: boundedEvents(body, limit, post ? requestId : null, onBytes, hooks.onStreamRequest)
      })
    }
    const declared = response.headers.get("content-length")
    const plain = response.headers.get("content-encoding") === null
    if (declared !== null && plain && /^\d+$/.test(declared) && Number(declared) <= limit) {
      onBytes?.(Number(declared))
      return response
    }
    return withBody(response, boundedBody(body, limit, response.ok ? requestId : () => null, onBytes))
  }
