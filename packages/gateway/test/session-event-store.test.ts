import { describe, expect, it } from "@effect/vitest"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import fc from "fast-check"
import { SessionEventStore } from "../src/mcp/SessionEventStore.js"

const note = (n: number): JSONRPCMessage => ({ jsonrpc: "2.0", method: "notifications/message", params: { n } })

const replay = async (store: SessionEventStore, after: string) => {
  const sent: Array<[string, JSONRPCMessage]> = []
  const stream = await store.replayEventsAfter(after, {
    send: async (id, message) => {
      sent.push([id, message])
    }
  })
  return { stream, sent }
}

describe("a session's event store (resumable /mcp streams)", () => {
  it("replays the events of the same stream after the given id, in order; other streams' events stay out", async () => {
    const store = new SessionEventStore({ events: 10, bytes: 1 << 20 })
    const primed = await store.storeEvent("_GET_stream", {} as JSONRPCMessage)
    const a1 = await store.storeEvent("_GET_stream", note(1))
    await store.storeEvent("post-1", note(99))
    const a2 = await store.storeEvent("_GET_stream", note(2))
    const a3 = await store.storeEvent("_GET_stream", note(3))
    expect(await store.getStreamIdForEventId(a1)).toBe("_GET_stream")
    expect(await replay(store, a1)).toEqual({
      stream: "_GET_stream",
      sent: [
        [a2, note(2)],
        [a3, note(3)]
      ]
    })
    // The priming event is not kept, but its id resumes from the start of its stream.
    expect((await replay(store, primed)).sent.map(([id]) => id)).toEqual([a1, a2, a3])
    expect(store.dropped).toBe(0)
  })

  it("an id that is not one of this store's shape names no stream (the transport answers 400)", async () => {
    const store = new SessionEventStore({ events: 10, bytes: 1 << 20 })
    for (const id of ["", "nonsense", "_1", "s_", "s_0", "s_-1", "s_1.5", "s_x"])
      expect(await store.getStreamIdForEventId(id), id).toBeUndefined()
  })

  it("is bounded by count and by bytes, dropping the oldest and counting them; a message over the byte bound is not kept", async () => {
    const byCount = new SessionEventStore({ events: 3, bytes: 1 << 20 })
    const ids: Array<string> = []
    for (let n = 1; n <= 5; n++) ids.push(await byCount.storeEvent("s", note(n)))
    expect(byCount.dropped).toBe(2)
    expect((await replay(byCount, ids[0] as string)).sent.map(([, message]) => message)).toEqual([
      note(3),
      note(4),
      note(5)
    ])

    const size = JSON.stringify(note(1)).length
    const byBytes = new SessionEventStore({ events: 100, bytes: size * 2 })
    const first = await byBytes.storeEvent("s", note(1))
    await byBytes.storeEvent("s", note(2))
    await byBytes.storeEvent("s", note(3))
    expect(byBytes.dropped).toBe(1)
    const huge: JSONRPCMessage = {
      jsonrpc: "2.0",
      method: "notifications/message",
      params: { text: "x".repeat(size * 3) }
    }
    await byBytes.storeEvent("s", huge)
    expect(byBytes.dropped).toBe(2)
    expect((await replay(byBytes, first)).sent.map(([, message]) => message)).toEqual([note(2), note(3)])
  })

  it("never holds more than its bounds, whatever is stored", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 60, max: 400 }),
        fc.array(fc.tuple(fc.constantFrom("a", "b"), fc.string({ maxLength: 120 })), { maxLength: 60 }),
        async (events, bytes, stored) => {
          const store = new SessionEventStore({ events, bytes })
          for (const [stream, text] of stored)
            await store.storeEvent(stream, { jsonrpc: "2.0", method: "m", params: { text } })
          const kept = [...(await replay(store, "a_1")).sent, ...(await replay(store, "b_1")).sent]
          // Replaying after position 1 of each stream leaves out at most the first event stored.
          expect(kept.length).toBeLessThanOrEqual(events)
          const keptBytes = kept.reduce((sum, [, message]) => sum + JSON.stringify(message).length, 0)
          expect(keptBytes).toBeLessThanOrEqual(bytes)
          expect(kept.length + store.dropped).toBeGreaterThanOrEqual(stored.length - 1)
          expect(kept.length + store.dropped).toBeLessThanOrEqual(stored.length)
        }
      )
    )
  })
})
