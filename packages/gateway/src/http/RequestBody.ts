import { Readable } from "node:stream"
import { HttpIncomingMessage, HttpServerError, HttpServerRequest, UrlParams } from "@effect/platform"
import { Effect, Inspectable, Option, Stream } from "effect"

/** A body that passed its size limit: answered 413, with nothing past the limit kept. */
export const TOO_LARGE = Symbol("TooLarge")

/**
 * Read a Node request's body up to `limit` bytes. Past the limit reading stops (the stream is paused, not
 * destroyed, so the 413 still reaches the client; the answer closes the connection) and nothing more is kept.
 */
const readNode = (source: Readable, limit: number): Effect.Effect<Buffer | typeof TOO_LARGE, Error> =>
  Effect.async((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const detach = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
      source.off("aborted", onAborted)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        detach()
        source.pause()
        resume(Effect.succeed(TOO_LARGE))
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      detach()
      resume(Effect.succeed(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)))
    }
    const onError = (error: Error) => {
      detach()
      resume(Effect.fail(error))
    }
    const onAborted = () => onError(new Error("request aborted"))
    source.on("data", onData)
    source.on("end", onEnd)
    source.on("error", onError)
    source.on("aborted", onAborted)
    return Effect.sync(detach)
  })

/** A request's body as text, read under `limit` bytes whatever the server behind the request is. */
export const readBody = (
  request: HttpServerRequest.HttpServerRequest,
  limit: number
): Effect.Effect<string | typeof TOO_LARGE, HttpServerError.RequestError> => {
  const fail = (cause: unknown) => new HttpServerError.RequestError({ request, reason: "Transport", cause })
  if (request.source instanceof Readable) {
    return readNode(request.source, limit).pipe(
      Effect.map((body) => (body === TOO_LARGE ? TOO_LARGE : body.toString("utf8"))),
      Effect.mapError(fail)
    )
  }
  // Another server (a web `Request`): its reader stops at the limit itself.
  return HttpIncomingMessage.withMaxBodySize(request.text, Option.some(limit)).pipe(
    Effect.catchAll((error) =>
      String(error.cause).includes("maxBytes") ? Effect.succeed(TOO_LARGE) : Effect.fail(error)
    )
  )
}

/**
 * The request with its body already read (and, for JSON, parsed): the routes read the body from here, once,
 * instead of from the connection. Everything else (headers, URL, the underlying request) is the original's. A class
 * that delegates, not a prototype chained to the original: an object used as a prototype leaves V8's fast path,
 * and every request would pay for it.
 */
class ReadRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId

  constructor(
    readonly request: HttpServerRequest.HttpServerRequest,
    readonly body: string,
    readonly parsed: unknown
  ) {
    super()
  }

  get source() {
    return this.request.source
  }
  get url() {
    return this.request.url
  }
  get originalUrl() {
    return this.request.originalUrl
  }
  get method() {
    return this.request.method
  }
  get cookies() {
    return this.request.cookies
  }
  get headers() {
    return this.request.headers
  }
  get remoteAddress() {
    return this.request.remoteAddress
  }
  get multipart() {
    return this.request.multipart
  }
  get multipartStream() {
    return this.request.multipartStream
  }
  get upgrade() {
    return this.request.upgrade
  }
  get text() {
    return Effect.succeed(this.body)
  }
  get json() {
    return Effect.succeed(this.parsed)
  }
  get urlParamsBody() {
    return Effect.succeed(UrlParams.fromInput(new URLSearchParams(this.body)))
  }
  get arrayBuffer() {
    return Effect.sync(() => new TextEncoder().encode(this.body).buffer as ArrayBuffer)
  }
  get stream() {
    return Stream.sync(() => new TextEncoder().encode(this.body))
  }
  modify(options: Parameters<HttpServerRequest.HttpServerRequest["modify"]>[0]): HttpServerRequest.HttpServerRequest {
    return new ReadRequest(this.request.modify(options), this.body, this.parsed)
  }
  toJSON() {
    return this.request.toJSON()
  }
}

export const withReadBody = (
  request: HttpServerRequest.HttpServerRequest,
  text: string,
  json: unknown
): HttpServerRequest.HttpServerRequest => new ReadRequest(request, text, json)
