import { describe, expect, it } from "vitest"
import { RequestOrigins, requestIdsIn } from "../src/RequestOrigins.js"

const events = (...texts: ReadonlyArray<string>) => Buffer.from(texts.join(""))

describe("the upstream requests on a call's response stream", () => {
  it("are the events with a method and an id; results, notifications and other text are not", () => {
    const stream = events(
      'event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n',
      'event: message\ndata: {"jsonrpc":"2.0","id":7,"method":"elicitation/create","params":{}}\n\n',
      'data: {"jsonrpc":"2.0","id":"s-1",\r\ndata: "method":"sampling/createMessage"}\r\n\r\n',
      'data: {"jsonrpc":"2.0","id":3,"result":{"text":"the \\"method\\" is fine"}}\n\n',
      "data: not json\n\n"
    )
    expect(requestIdsIn(stream)).toEqual([7, "s-1"])
    expect(requestIdsIn(events('data: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'))).toEqual([])
  })

  it("are remembered until taken, at most `capacity` at once, the oldest dropped and counted", () => {
    const origins = new RequestOrigins(2)
    origins.note(1, "a")
    origins.note(2, "b")
    origins.note(3, "c")
    expect(origins.dropped).toBe(1)
    expect([origins.take(1), origins.take(2), origins.take(3)]).toEqual([undefined, "b", "c"])
    expect(origins.take(3)).toBeUndefined()
  })
})
