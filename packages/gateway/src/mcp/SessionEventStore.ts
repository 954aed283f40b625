import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"

interface StoredEvent {
  readonly id: string
  readonly seq: number
  readonly streamId: string
  readonly message: JSONRPCMessage
  readonly bytes: number
}

export interface EventStoreLimits {
  /** At most this many events kept per session (`mcp_event_store_size`); the oldest go first. */
  readonly events: number
  /** At most about this many bytes of messages kept per session; the oldest go first. */
  readonly bytes: number
}

/** `<stream id>_<sequence>`: the stream an id belongs to is read from the id itself, so nothing grows per stream. */
const eventId = (streamId: string, seq: number) => `${streamId}_${seq}`

const parse = (id: string): { readonly streamId: string; readonly seq: number } | undefined => {
  const at = id.lastIndexOf("_")
  if (at <= 0) return undefined
  const seq = Number(id.slice(at + 1))
  return Number.isSafeInteger(seq) && seq > 0 ? { streamId: id.slice(0, at), seq } : undefined
}

/**
 * One `/mcp` session's SSE events, kept so a client that lost its connection can resume with `Last-Event-ID` (the
 * SDK's transport asks this store for what came after). Bounded by count and by bytes: past either bound the oldest
 * events are dropped, and counted (`dropped`); a resume then gets what is still kept. A stream's priming event (no
 * message) gets an id and is not kept: there is nothing to replay.
 */
export class SessionEventStore implements EventStore {
  /** Oldest first. */
  private readonly events: Array<StoredEvent> = []
  private seq = 0
  private bytes = 0
  /** Events dropped to stay within the bounds. */
  dropped = 0

  constructor(private readonly limits: EventStoreLimits) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    this.seq += 1
    const id = eventId(streamId, this.seq)
    if (!("jsonrpc" in message)) return id
    const bytes = JSON.stringify(message).length
    if (bytes > this.limits.bytes) {
      this.dropped += 1
      return id
    }
    while (
      this.events.length > 0 &&
      (this.events.length >= this.limits.events || this.bytes + bytes > this.limits.bytes)
    ) {
      this.bytes -= (this.events.shift() as StoredEvent).bytes
      this.dropped += 1
    }
    this.events.push({ id, seq: this.seq, streamId, message, bytes })
    this.bytes += bytes
    return id
  }

  async getStreamIdForEventId(id: string): Promise<string | undefined> {
    return parse(id)?.streamId
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }
  ): Promise<string> {
    const last = parse(lastEventId)
    if (last === undefined) throw new Error(`not an event id of this session: ${lastEventId}`)
    for (const event of [...this.events]) {
      if (event.streamId === last.streamId && event.seq > last.seq) await send(event.id, event.message)
    }
    return last.streamId
  }
}
