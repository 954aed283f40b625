import { describe, expect, it } from "@effect/vitest"
import { BoundedLines } from "../src/BoundedLines.js"
import { ResponseIdScanner } from "../src/ResponseIdScanner.js"
import { oversizedResponse } from "../src/ResultLimit.js"
import { SseEvents } from "../src/SseEvents.js"

/** `bytes` in pieces of `size`. */
const pieces = (bytes: Buffer, size: number): Array<Buffer> => {
  const out: Array<Buffer> = []
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size))
  return out
}

const idOf = (json: string, size: number) => {
  const scanner = new ResponseIdScanner()
  for (const piece of pieces(Buffer.from(json), size)) scanner.feed(piece)
  return scanner.responseId()
}

/** Everything `SseEvents` passes on for `input` fed in pieces of `size`, and whether it cut the stream. */
const framed = (input: string, limit: number, size: number, cut = false) => {
  const events = new SseEvents(limit, cut)
  const out: Array<Buffer> = []
  const emit = (bytes: Uint8Array) => out.push(Buffer.from(bytes))
  let result: "cut" | null = null
  for (const piece of pieces(Buffer.from(input), size)) {
    result = events.push(piece, emit)
    if (result === "cut") break
  }
  if (result === null) events.end(emit)
  return { text: Buffer.concat(out).toString("utf8"), cut: result === "cut" }
}

const lf = (text: string) => text.replace(/\r\n|\r/g, "\n")
const errorData = (id: number, limit: number) => `data: ${JSON.stringify(oversizedResponse(id, limit))}\n`

describe("framing messages within max_result_bytes (issue 14 §2)", () => {
  it("reads a dropped message's id wherever it stands, however the bytes are split", () => {
    const after = JSON.stringify({
      result: { content: [{ type: "text", text: 'a "quoted" } { [ text \\' }] },
      jsonrpc: "2.0",
      id: 42
    })
    const before = JSON.stringify({ jsonrpc: "2.0", id: 'r-"7', result: { id: 1, nested: [{ id: 2 }] } })
    for (let size = 1; size <= after.length; size++) expect(idOf(after, size)).toBe(42)
    for (let size = 1; size <= before.length; size++) expect(idOf(before, size)).toBe('r-"7')
    expect(idOf(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "sampling/createMessage", params: {} }), 5)).toBeNull() // a request
    expect(idOf(JSON.stringify([{ jsonrpc: "2.0", id: 3, result: {} }]), 5)).toBeNull() // a batch
    expect(idOf(JSON.stringify({ jsonrpc: "2.0", id: { no: 1 }, result: {} }), 5)).toBeNull()
  })

  it("stdio lines: whole within the limit, a line over it dropped as it streams and its id reported", () => {
    const big = JSON.stringify({ result: { text: "x".repeat(500) }, jsonrpc: "2.0", id: 5 })
    const input = Buffer.from(`{"id":1}\n${big}\n{"id":2}\r\n\n`)
    for (const size of [1, 3, 64, 4096]) {
      const seen: Array<string> = []
      const lines = new BoundedLines(
        100,
        (line) => seen.push(line.toString()),
        (dropped) => seen.push(`dropped ${dropped.responseId()}`)
      )
      for (const piece of pieces(input, size)) lines.push(piece)
      expect(seen).toEqual(['{"id":1}', "dropped 5", '{"id":2}\r'])
    }
  })

  it("SSE: events within the limit pass unchanged, whatever the line endings and the chunking", () => {
    const input = 'event: message\ndata: {"a":1}\n\n: keep-alive\r\n\r\nid: 3\rdata: x\r\rdata: y\n\n'
    for (let size = 1; size <= input.length; size++)
      expect(framed(input, 40, size)).toEqual({ text: input, cut: false })
  })

  it("SSE: complete events in one chunk are passed on without a copy", () => {
    const chunk = Buffer.from('data: {"a":1}\n\ndata: {"b":2}\n\ndata: {"c"')
    const emitted: Array<Uint8Array> = []
    new SseEvents(1024, true).push(chunk, (bytes) => emitted.push(bytes))
    expect(emitted.length).toBe(1)
    expect(emitted[0]?.buffer).toBe(chunk.buffer)
    expect(Buffer.from(emitted[0] ?? []).toString()).toBe('data: {"a":1}\n\ndata: {"b":2}\n\n')
  })

  it("SSE on a long-lived stream: an event over the limit is replaced by its id and an error for the request it answered", () => {
    const result = JSON.stringify({ result: { text: "x".repeat(300) }, jsonrpc: "2.0", id: 9 })
    for (const eol of ["\n", "\r\n", "\r"]) {
      const input = [`data: {"a":1}`, "", "id: ev-2", "event: message", `data: ${result}`, "", ": after", "", ""].join(
        eol
      )
      for (const size of [1, 7, 100, 4096]) {
        // Line endings read alike (a CR LF split by a chunk boundary can come out as a CR).
        expect(lf(framed(input, 100, size).text)).toBe(
          `data: {"a":1}\n\nid: ev-2\nevent: message\n${errorData(9, 100)}\n: after\n\n`
        )
      }
    }
    // A notification over the limit leaves nothing behind; data split over lines is read as one JSON text.
    const notification = `data: {"method":"notifications/message",\ndata: "params":{"data":"${"y".repeat(300)}"}}\n\ndata: {"a":1}\n\n`
    expect(framed(notification, 100, 16).text).toBe('data: {"a":1}\n\n')
  })

  it("SSE on one request's stream: the events before one over the limit pass, then the stream is cut", () => {
    const input = `data: {"a":1}\n\ndata: ${"z".repeat(300)}`
    for (const size of [1, 50, 4096])
      expect(framed(input, 100, size, true)).toEqual({ text: 'data: {"a":1}\n\n', cut: true })
  })
})
