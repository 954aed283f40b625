import { driftOf, isEmptyDrift } from "../src/catalog/Drift.js"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"

const tool = fc.record({ name: fc.constantFrom("a", "b", "c", "d", "e"), description: fc.constantFrom("x", "y") })
const tools = fc.uniqueArray(tool, { selector: (item) => item.name, maxLength: 5 })

describe("capability drift (pure)", () => {
  it.prop("a list compared with itself, in any order, has no drift", [tools], ([items]) => {
    expect(isEmptyDrift(driftOf("tools", items, [...items].reverse()))).toBe(true)
  })

  it.prop("added, removed and changed partition the names exactly", [tools, tools], ([before, after]) => {
    const drift = driftOf("tools", before, after)
    const old = new Map(before.map((item) => [item.name, item.description]))
    const now = new Map(after.map((item) => [item.name, item.description]))
    expect(drift.added).toEqual([...now.keys()].filter((name) => !old.has(name)).sort())
    expect(drift.removed).toEqual([...old.keys()].filter((name) => !now.has(name)).sort())
    expect(drift.changed).toEqual(
      [...now.keys()].filter((name) => old.has(name) && old.get(name) !== now.get(name)).sort()
    )
  })

  it("definitions equal up to key order are unchanged; a new input schema is a change", () => {
    const before = [{ name: "t", inputSchema: { type: "object", properties: { a: {} } } }]
    expect(
      isEmptyDrift(driftOf("tools", before, [{ inputSchema: { properties: { a: {} }, type: "object" }, name: "t" }]))
    ).toBe(true)
    expect(driftOf("tools", before, [{ name: "t", inputSchema: { type: "object" } }]).changed).toEqual(["t"])
    expect(driftOf("resources", [{ uri: "u://1" }], [{ uri: "u://2" }])).toEqual({
      added: ["u://2"],
      removed: ["u://1"],
      changed: []
    })
  })
})
