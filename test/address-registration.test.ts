import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startAtt } from "./support/mcpAtt.js"

/** Upstream URLs that registration over HTTP refuses, one per address form (issue 14 §4). */
const REFUSED_URLS = [
  "http://[::ffff:169.254.169.254]/mcp",
  "http://[::ffff:a9fe:a9fe]/mcp",
  "http://[::a9fe:a9fe]/mcp",
  "http://[::ffff:0:a9fe:a9fe]/mcp",
  "http://[64:ff9b::169.254.169.254]/mcp",
  "http://[64:ff9b:1::a9fe:a9fe]/mcp",
  "http://[2002:a9fe:a9fe::1]/mcp",
  "http://[2001:0:4136:e378:8000:63bf:5601:5601]/mcp",
  "http://[fec0::1]/mcp",
  "http://[ff02::1]/mcp",
  "http://[fd00:ec2::254]/mcp",
  "http://198.18.0.1/mcp",
  "http://240.0.0.1/mcp",
  "http://224.0.0.1/mcp",
  "http://0.1.2.3/mcp",
  "http://100.100.100.200/mcp",
  "http://100.64.0.1/mcp",
  "http://[::ffff:10.0.0.1]/mcp",
  "http://metadata.google.internal./computeMetadata/v1/",
  "http://METADATA.GOOGLE.INTERNAL/computeMetadata/v1/"
]

const register = (origin: string, url: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${origin}/api/v1/mcp/servers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", url, transport: "streamable-http" })
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })

describe("registration over HTTP refuses every address form of an internal address (issue 14 §4, running service)", () => {
  it.scopedLive("each form answers 400 naming url; nothing is registered", () =>
    Effect.gen(function* () {
      const origin = new URL(yield* startAtt({})).origin
      for (const url of REFUSED_URLS) {
        const answer = yield* register(origin, url)
        expect(answer.status, url).toBe(400)
        expect(answer.body.field, url).toBe("url")
        expect(answer.body.detail, url).toMatch(/^url points at /)
      }
      const listed = yield* Effect.promise(() => fetch(`${origin}/api/v1/mcp/servers`).then((r) => r.json()))
      expect((listed as { items: Array<unknown> }).items).toEqual([])
    })
  )

  it.scopedLive(
    "with allow_private_networks, cloud metadata endpoints (any form) and reserved ranges stay refused",
    () =>
      Effect.gen(function* () {
        const origin = new URL(yield* startAtt({}, { allow_private_networks: true })).origin
        for (const url of [
          "http://[::ffff:169.254.169.254]/mcp",
          "http://100.100.100.200/mcp",
          "http://[fd00:ec2::254]/mcp",
          "http://[64:ff9b::100.100.100.200]/mcp",
          "http://metadata.google.internal./"
        ]) {
          const answer = yield* register(origin, url)
          expect(answer.status, url).toBe(400)
          expect(answer.body.field, url).toBe("url")
        }
        // 192.0.2.0/24 is documentation space: refused as reserved even here, and never connected to.
        expect((yield* register(origin, "http://192.0.2.1/mcp")).status).toBe(400)
      })
  )
})
