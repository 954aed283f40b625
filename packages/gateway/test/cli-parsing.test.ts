import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import { parseArg, toolArguments } from "../src/cli/Call.js"
import { shownUrl } from "../src/cli/Connection.js"
import { renderTable } from "../src/cli/Output.js"

describe("att call's arguments", () => {
  it("a value is JSON when it parses as JSON, else the string it is", () => {
    expect(parseArg("n=3")).toEqual(Either.right(["n", 3]))
    expect(parseArg("flag=true")).toEqual(Either.right(["flag", true]))
    expect(parseArg('list=[1,"a"]')).toEqual(Either.right(["list", [1, "a"]]))
    expect(parseArg('quoted="7"')).toEqual(Either.right(["quoted", "7"]))
    expect(parseArg("text=hello world")).toEqual(Either.right(["text", "hello world"]))
    expect(parseArg("eq=a=b")).toEqual(Either.right(["eq", "a=b"]))
    expect(parseArg("empty=")).toEqual(Either.right(["empty", ""]))
  })

  it("a pair without a key or without = is a usage error (exit 2)", () => {
    for (const bad of ["novalue", "=3", ""]) {
      const result = parseArg(bad)
      expect(Either.isLeft(result), bad).toBe(true)
      if (Either.isLeft(result)) expect(result.left.exitCode).toBe(2)
    }
  })

  it("--arguments is a JSON object; --arg values are set on it", () => {
    expect(toolArguments(Option.some('{"a":1,"b":2}'), ["b=3", "c=x"])).toEqual(Either.right({ a: 1, b: 3, c: "x" }))
    expect(toolArguments(Option.none(), [])).toEqual(Either.right({}))
    for (const bad of ["[1]", "null", "3", "{"]) {
      const result = toolArguments(Option.some(bad), [])
      expect(Either.isLeft(result) && result.left.message, bad).toBe("--arguments must be a JSON object")
    }
  })
})

describe("output", () => {
  it("a table aligns its columns, shows null as -, and has no colour unless asked", () => {
    const text = renderTable(
      ["NAME", "STATUS", "LAST ERROR"],
      [
        ["alpha", "healthy", null],
        ["a-much-longer-name", "degraded", "fetch failed:\nreset"]
      ],
      false
    )
    expect(text.split("\n")).toEqual([
      "NAME                STATUS    LAST ERROR",
      "alpha               healthy   -",
      "a-much-longer-name  degraded  fetch failed: reset"
    ])
    expect(renderTable(["A"], [], true)).toBe("\u001b[1mA\u001b[0m")
  })

  it("a URL in a message never carries its credentials", () => {
    expect(shownUrl("http://user:pass@att.example:8080/x")).toBe("http://att.example:8080")
    expect(shownUrl("not a url")).toBe("(invalid URL)")
  })
})
