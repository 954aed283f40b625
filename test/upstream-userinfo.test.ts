import { Manager } from "@att/core"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { splitUserinfo } from "../packages/sdk-transport/src/Userinfo.js"
import { sdkAtt } from "./support/sdkAtt.js"

const BASIC = `Basic ${Buffer.from("ops:p@ss:word", "utf8").toString("base64")}`

const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]?.text

describe("credentials in an upstream's URL", () => {
  it("are taken out of the URL and sent as Basic authentication, percent-decoded", () => {
    expect(splitUserinfo("http://ops:p%40ss%3Aword@127.0.0.1:9/mcp?x=1")).toEqual({
      url: "http://127.0.0.1:9/mcp?x=1",
      authorization: BASIC
    })
    expect(splitUserinfo("https://token@example.com/mcp")).toEqual({
      url: "https://example.com/mcp",
      authorization: `Basic ${Buffer.from("token:").toString("base64")}`
    })
    expect(splitUserinfo("http://127.0.0.1:9/mcp")).toEqual({ url: "http://127.0.0.1:9/mcp", authorization: undefined })
  })

  it.scopedLive(
    "reach an upstream behind Basic authentication (Node's fetch refused such a URL: it never connected)",
    () =>
      Effect.gen(function* () {
        const upstream = yield* startHttpUpstream({ name: "guarded", authorization: BASIC })
        const manager = yield* Manager
        const url = upstream.url.replace("http://", "http://ops:p%40ss%3Aword@")
        yield* manager.register("guarded", { transport: "streamable-http", url })
        const record = yield* manager.initializeServer("guarded")
        expect(record.last_error).toBeNull()
        expect(record.status).toBe("healthy")
        expect(text((yield* manager.invokeTool("echo", { message: "in" })).result)).toBe("guarded: in")

        // A configured Authorization header wins over the URL's credentials.
        yield* manager.register("overridden", {
          transport: "streamable-http",
          url,
          headers: { authorization: "Bearer other" }
        })
        expect((yield* manager.initializeServer("overridden")).status).not.toBe("healthy")
      }).pipe(Effect.provide(sdkAtt({ manager: { maxBackoff: 0 } })))
  )
})
