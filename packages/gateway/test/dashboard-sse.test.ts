import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { MAX_LINE_CHARS, createSseParser, readEvents } from "../dashboard/sse.js"
import { positionsId } from "../src/events/EventStream.js"

/** Feed `chunks` to one parser; every event it completed, in order. */
const parse = (chunks: ReadonlyArray<string>) => {
  const parser = createSseParser()
  return { events: chunks.flatMap((chunk) => parser.push(chunk)), lastId: parser.lastId }
}

describe("the dashboard's SSE parser", () => {
  it("reads att's events as the stream writes them, keeping the last id", () => {
    const id = positionsId({ connection: 3, invocation: 7, capability: 1 })
    const { events, lastId } = parse([": open\n\n", `id: ${id}\nevent: connection\ndata: {"server":"a"}\n\n`])
    expect(events).toEqual([{ id, event: "connection", data: '{"server":"a"}' }])
    expect(lastId).toBe("3.7.1")
  })

  it("takes events split anywhere, CRLF split between chunks too, and every kind of line end", () => {
    const text = "id: 1\r\nevent: x\r\ndata: one\r\n\r\nid: 2\rdata: two\r\rdata: three\n\n"
    const whole = parse([text]).events
    expect(whole).toEqual([
      { id: "1", event: "x", data: "one" },
      { id: "2", event: "message", data: "two" },
      { id: "2", event: "message", data: "three" }
    ])
    for (let cut = 1; cut < text.length; cut++)
      expect(parse([text.slice(0, cut), text.slice(cut)]).events).toEqual(whole)
    expect(parse([...text]).events).toEqual(whole)
  })

  it("joins data lines, drops one leading space only, ignores comments, unknown fields and empty events", () => {
    const { events } = parse([
      ": comment\nretry: 10\nfoo: bar\ndata:  two spaces\ndata\ndata:last\n\nevent: nothing\n\nid\n\n"
    ])
    expect(events).toEqual([{ id: undefined, event: "message", data: " two spaces\n\nlast" }])
  })

  it("keeps the id when an id carries NUL, and an empty id clears it", () => {
    expect(parse(["id: 5\ndata: a\n\nid: x\u0000y\ndata: b\n\n"]).events.map((event) => event.id)).toEqual(["5", "5"])
    expect(parse(["id: 5\ndata: a\n\nid\ndata: b\n\n"]).lastId).toBe("")
  })

  it("refuses a line that never ends past its bound", () => {
    const parser = createSseParser()
    expect(() => parser.push("data: ".padEnd(MAX_LINE_CHARS + 1, "x"))).toThrow(/exceeds/)
  })

  it.effect("reads a body as it arrives, bytes split inside a character", () =>
    Effect.gen(function* () {
      const bytes = new TextEncoder().encode('id: 1.2.3\nevent: capability\ndata: {"name":"é"}\n\n')
      const inside = bytes.indexOf(0xc3) + 1 // between the two bytes of "é"
      const body = Stream.toReadableStream(Stream.fromIterable([bytes.slice(0, inside), bytes.slice(inside)]))
      const parser = createSseParser()
      const events = yield* Stream.runCollect(Stream.fromAsyncIterable(readEvents(body, parser), (error) => error))
      expect([...events]).toEqual([{ id: "1.2.3", event: "capability", data: '{"name":"é"}' }])
      expect(parser.lastId).toBe("1.2.3")
    })
  )
})
