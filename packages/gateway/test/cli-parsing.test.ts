import { CliConfig, Options } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { parseArg, toolArguments } from "../src/cli/Call.js"
import { serveOptions } from "../src/cli/Serve.js"
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

/** `att serve`'s log format from its flags and environment, or the validation error's text. */
const logFormat = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Options.processCommandLine(serveOptions.logFormat, args, CliConfig.defaultConfig).pipe(
    Effect.map(([, , format]) => format),
    Effect.mapError((error) => JSON.stringify(error.error)),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeContext.layer),
    Effect.either
  )

describe("att serve's log format", () => {
  it.effect("--log-format, else ATT_LOG_FORMAT (json or text), else text; anything else refused by name", () =>
    Effect.gen(function* () {
      expect(yield* logFormat([], {})).toEqual(Either.right("text"))
      expect(yield* logFormat([], { ATT_LOG_FORMAT: "json" })).toEqual(Either.right("json"))
      expect(yield* logFormat(["--log-format", "json"], {})).toEqual(Either.right("json"))
      expect(yield* logFormat(["--log-format", "text"], { ATT_LOG_FORMAT: "json" })).toEqual(Either.right("text"))
      const wrongEnv = yield* logFormat([], { ATT_LOG_FORMAT: "xml" })
      expect(Either.isLeft(wrongEnv) && wrongEnv.left).toMatch(/ATT_LOG_FORMAT/)
      const wrongFlag = yield* logFormat(["--log-format", "xml"], {})
      expect(Either.isLeft(wrongFlag) && wrongFlag.left).toMatch(/text.*json/)
    })
  )
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
