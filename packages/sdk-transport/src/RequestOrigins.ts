import { asBuffer } from "./ResponseIdScanner.js"

type MessageId = string | number

const METHOD_KEY = Buffer.from('"method"')

/**
 * The ids of the requests among whole SSE events (`data:` lines joined, per event): the upstream's requests to its
 * client that arrived on one POST's response stream. Bytes without `"method"` (results, progress aside) are passed
 * over with one native search, so an ordinary response costs next to nothing.
 */
export const requestIdsIn = (events: Uint8Array): Array<MessageId> => {
  const bytes = asBuffer(events)
  if (bytes.indexOf(METHOD_KEY) === -1) return []
  const ids: Array<MessageId> = []
  for (const event of bytes.toString("utf8").split(/\r\n\r\n|\n\n|\r\r/)) {
    const data = event
      .split(/\r\n|\n|\r/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
      .join("\n")
    if (!data.includes('"method"')) continue
    try {
      const message = JSON.parse(data) as { method?: unknown; id?: unknown }
      const id = message.id
      if (typeof message.method === "string" && (typeof id === "string" || typeof id === "number")) ids.push(id)
    } catch {
      // Not JSON: the SDK reports it; nothing to relate.
    }
  }
  return ids
}

/**
 * Which of att's calls each upstream request belongs to: noted as the request arrives on that call's response stream
 * (before the SDK parses it), taken when the request is handled. Bounded: past `capacity` the oldest entry is dropped
 * and counted (its request is then refused as one with no call to belong to).
 */
export class RequestOrigins {
  private readonly calls = new Map<MessageId, MessageId>()
  /** Entries dropped at the bound. */
  dropped = 0

  constructor(readonly capacity: number) {}

  note(upstreamRequest: MessageId, call: MessageId): void {
    if (this.calls.size >= this.capacity) {
      const oldest = this.calls.keys().next()
      if (oldest.done !== true) this.calls.delete(oldest.value)
      this.dropped += 1
    }
    this.calls.set(upstreamRequest, call)
  }

  take(upstreamRequest: MessageId): MessageId | undefined {
    const call = this.calls.get(upstreamRequest)
    this.calls.delete(upstreamRequest)
    return call
  }
}
