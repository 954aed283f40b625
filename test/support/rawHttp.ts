import { request as httpRequest } from "node:http"
import { Effect } from "effect"

export interface RawAnswer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
}

export interface RawRequest {
  readonly method?: string
  readonly headers?: Record<string, string>
  /** Sent as one body with a content-length. */
  readonly body?: string
  /** Sent chunked (no content-length): `count` chunks of `chunk`, stopping early once the answer comes. */
  readonly chunked?: { readonly chunk: string; readonly count: number }
}

/**
 * One request with node:http, which, unlike fetch, sends any Host and Origin and can stream a chunked body; the
 * answer once it has fully arrived. A connection the server closes after answering is not an error.
 */
export const rawRequest = (url: string, options: RawRequest = {}) =>
  Effect.async<RawAnswer>((resume) => {
    let answered = false
    // Framing is explicit whatever the method (node:http frames a GET's body only when told).
    const framing: Record<string, string> =
      options.chunked !== undefined
        ? { "transfer-encoding": "chunked" }
        : options.body !== undefined
          ? { "content-length": String(Buffer.byteLength(options.body)) }
          : {}
    const req = httpRequest(
      url,
      { method: options.method ?? "POST", headers: { ...framing, ...options.headers } },
      (res) => {
        answered = true
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () =>
          resume(
            Effect.succeed({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString("utf8")
            })
          )
        )
      }
    )
    req.on("error", (error) => {
      if (!answered) resume(Effect.die(error))
    })
    if (options.chunked !== undefined) {
      const { chunk, count } = options.chunked
      let sent = 0
      const pump = () => {
        while (sent < count && !answered && !req.destroyed) {
          sent++
          if (!req.write(chunk)) return void req.once("drain", pump)
        }
        if (!answered && !req.destroyed) req.end()
      }
      pump()
    } else {
      req.end(options.body)
    }
    return Effect.sync(() => req.destroy())
  })
