/**
 * A streaming parser of `text/event-stream` (the WHATWG rules: `\r\n`, `\r` or `\n` line ends, `:` comments, one
 * leading space of a value dropped, `data` lines joined with `\n`, the last `id` kept until another replaces it).
 * The dashboard reads the event stream with `fetch`, since `EventSource` cannot send an `Authorization` header.
 */

/** A line longer than this without an end is refused: the parser holds at most this much of an unfinished line. */
export const MAX_LINE_CHARS = 1 << 20

const LINE_END = /\r\n|\r|\n/

/**
 * A parser fed text as it arrives; `push` returns the events completed by that text, each `{ id, event, data }`
 * (`id` the last id seen, or `undefined`; `event` defaults to `message`).
 */
export function createSseParser() {
  let buffer = ""
  let lastId
  let type = ""
  let data = []

  const field = (line, events) => {
    if (line === "") {
      if (data.length > 0) events.push({ id: lastId, event: type === "" ? "message" : type, data: data.join("\n") })
      type = ""
      data = []
      return
    }
    if (line.startsWith(":")) return
    const colon = line.indexOf(":")
    const name = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? "" : line.slice(colon + 1)
    if (value.startsWith(" ")) value = value.slice(1)
    if (name === "data") data.push(value)
    else if (name === "event") type = value
    else if (name === "id" && !value.includes("\u0000")) lastId = value
  }

  return {
    push(text) {
      buffer += text
      const events = []
      for (;;) {
        const match = LINE_END.exec(buffer)
        // A `\r` that ends the text so far may be the first half of `\r\n`: wait for the next chunk.
        if (match === null || (match[0] === "\r" && match.index === buffer.length - 1)) break
        field(buffer.slice(0, match.index), events)
        buffer = buffer.slice(match.index + match[0].length)
      }
      if (buffer.length > MAX_LINE_CHARS) throw new Error(`an event stream line exceeds ${MAX_LINE_CHARS} characters`)
      return events
    },
    /** The id to resume from (`Last-Event-ID`). */
    get lastId() {
      return lastId
    }
  }
}

/** The events of a response body as they arrive; ends with the body. `parser` keeps the last id for a resume. */
export async function* readEvents(body, parser) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      for (const event of parser.push(value)) yield event
    }
  } finally {
    reader.releaseLock()
  }
}
