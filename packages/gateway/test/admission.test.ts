import { admit, forbiddenCharacter, printable } from "../src/catalog/Admission.js"
import { composeInstructions, truncateUtf8 } from "../src/catalog/Instructions.js"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const FORBIDDEN = [
  ...range(0x00, 0x1f),
  ...range(0x7f, 0x9f),
  ...range(0x202a, 0x202e),
  ...range(0x2066, 0x2069),
  0x200e,
  0x200f,
  0x061c,
  ...range(0x200b, 0x200d),
  0x2060,
  0xfeff
]
const forbidden = new Set(FORBIDDEN)

describe("names att will not pass on (issue 14)", () => {
  it("every control, bidirectional control and zero-width character is refused, wherever it is in a name", () => {
    for (const code of FORBIDDEN) {
      const char = String.fromCodePoint(code)
      expect(forbiddenCharacter(`ok${char}ok`)).toContain(`U+${code.toString(16).toUpperCase().padStart(4, "0")}`)
      expect(printable(`x${char}`)).toBe(`x<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`)
    }
  })

  it.prop("a name without those characters is accepted and shown as it is", [fc.fullUnicodeString()], ([text]) => {
    const clean = Array.from(text)
      .filter((char) => !forbidden.has(char.codePointAt(0) ?? 0))
      .join("")
    expect(forbiddenCharacter(clean)).toBeNull()
    expect(printable(clean)).toBe(clean)
  })

  it("an item that is not an object, or has no name, is refused with its position; unknown fields are dropped as the SDK does", () => {
    const { accepted, rejected } = admit("tools", [
      42,
      { inputSchema: { type: "object" } },
      { name: "t", inputSchema: { type: "object" }, extra: 1 },
      { name: "arr", inputSchema: [] }
    ])
    expect(accepted).toEqual([{ name: "t", inputSchema: { type: "object" } }])
    expect(rejected).toEqual([
      { name: "", reason: "item 0 is not an object" },
      { name: "", reason: "item 1 has no string name" },
      { name: "arr", reason: 'inputSchema must be an object with "type": "object"' }
    ])
  })
})

describe("upstream instructions for /mcp clients (issue 14)", () => {
  it.prop(
    "a cut keeps the longest whole-character prefix within the bound",
    [fc.fullUnicodeString(), fc.integer({ min: 0, max: 40 })],
    ([text, max]) => {
      const cut = truncateUtf8(text, max)
      expect(text.startsWith(cut)).toBe(true)
      expect(Buffer.byteLength(cut, "utf8")).toBeLessThanOrEqual(max)
      const next = Array.from(text.slice(cut.length))[0]
      if (next !== undefined) expect(Buffer.byteLength(cut + next, "utf8")).toBeGreaterThan(max)
    }
  )

  it("one headed block per server that gave instructions; none when no server did", () => {
    expect(
      composeInstructions(
        [
          { server: "a", instructions: null },
          { server: "b", instructions: "  " }
        ],
        10
      )
    ).toBeUndefined()
    expect(
      composeInstructions(
        [
          { server: "a", instructions: "short" },
          { server: "b", instructions: undefined },
          { server: "c", instructions: "日本語" }
        ],
        7
      )
    ).toBe("## a\nshort\n\n## c\n日本\n[att: c's instructions were cut to 7 of 9 bytes]")
  })
})
