import { beforeAll, describe, expect, it } from "vitest"
import { TOKEN, cliFixture, jsonOf, runAtt } from "./support/attCli.js"

/**
 * The operator CLI end to end (issue 18 §5): the real `att` entry as a child process against an `att serve` process
 * with a token and real upstreams; `--json` output and exit codes (0 done, 1 failed, 2 usage, 3 unreachable).
 */
const { started, state, setUp } = cliFixture()
beforeAll(setUp, 60_000)
const att = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
  runAtt(started, args, { ...state.env, ...env })

interface Server {
  readonly name: string
  readonly status: string
  readonly initialized: boolean
}

describe("att status", () => {
  it("answers the health and a summary of the servers; a table without --json", async () => {
    const json = await att(["status", "--json"])
    expect(json.code).toBe(0)
    expect(jsonOf(json)).toEqual({
      url: state.base,
      health: "ok",
      database: { state: "ok" },
      servers: { total: 1, healthy: 1, degraded: 0, unreachable: 0 },
      tools: expect.any(Number)
    })
    const table = await att(["status"])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(
      /^att at http:\/\/127\.0\.0\.1:\d+: ok; database ok; 1 servers \(1 healthy\); \d+ tools$/m
    )
    expect(table.stdout).toMatch(/^NAME +STATUS +TRANSPORT +PROTOCOL +TOOLS +URL +LAST ERROR$/m)
    expect(table.stdout).toMatch(/^alpha +healthy +streamable-http /m)
    // Not a terminal: no colours.
    expect(table.stdout).not.toContain("\u001b[")
  }, 120_000)

  it("exits 3 with one line when the service cannot be reached", async () => {
    const run = await att(["status", "--json"], { ATT_URL: "http://127.0.0.1:9" })
    expect(run.code).toBe(3)
    expect(run.stdout).toBe("")
    expect(run.stderr).toBe("att: cannot reach att at http://127.0.0.1:9\n")
  }, 120_000)

  it("exits 1 on a wrong token and never prints a token", async () => {
    const run = await att(["status"], { ATT_TOKEN: "wrong-token-77" })
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(run.stderr).toContain("att refused the token")
    const flag = await att(["status", "--token", "another-wrong-3", "--url", state.base], { ATT_TOKEN: undefined })
    expect(flag.code).toBe(1)
    for (const out of [run.stdout, run.stderr, flag.stdout, flag.stderr]) {
      expect(out).not.toContain("wrong-token-77")
      expect(out).not.toContain("another-wrong-3")
      expect(out).not.toContain(TOKEN)
    }
  }, 120_000)
})

describe("att servers", () => {
  it("lists the servers as JSON and as a table", async () => {
    const json = await att(["servers", "list", "--json"])
    expect(json.code).toBe(0)
    const { items } = jsonOf<{ items: Array<Server> }>(json)
    expect(items.map((server) => [server.name, server.status])).toEqual([["alpha", "healthy"]])
    const table = await att(["servers", "list"])
    expect(table.code).toBe(0)
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME +STATUS/)
    expect(table.stdout).toMatch(/^alpha +healthy +streamable-http +\S+ +[1-9]\d* +http:\/\/127\.0\.0\.1:\d+\/mcp +-$/m)
  }, 120_000)

  it("adds a server with a secret header, refreshes it, removes it; the header is never printed", async () => {
    const secret = "Bearer upstream-secret-91c2"
    const added = await att([
      "servers",
      "add",
      "guarded",
      state.guardedUrl,
      "--header",
      `authorization=${secret}`,
      "--json"
    ])
    expect(added.code).toBe(0)
    expect(jsonOf<Server>(added)).toMatchObject({ name: "guarded", transport: "streamable-http" })

    // The refresh handshakes with the header: the guarded upstream answers 401 without it.
    const refreshed = await att(["servers", "refresh", "guarded", "--json"])
    expect(refreshed.code).toBe(0)
    expect(jsonOf<{ items: Array<Server> }>(refreshed).items).toMatchObject([
      { name: "guarded", status: "healthy", initialized: true }
    ])
    const list = await att(["servers", "list"])
    expect(list.stdout).toMatch(/^guarded +healthy /m)

    const removed = await att(["servers", "rm", "guarded", "--json"])
    expect(removed.code).toBe(0)
    expect(jsonOf(removed)).toEqual({ removed: "guarded" })
    for (const run of [added, refreshed, list, removed]) {
      expect(run.stdout + run.stderr).not.toContain("upstream-secret-91c2")
    }
    const again = await att(["servers", "rm", "guarded"])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe("att: no server is registered as guarded\n")
  }, 120_000)

  it("exits 1 when a refresh leaves a server without a handshake", async () => {
    const added = await att(["servers", "add", "closed", "http://127.0.0.1:9/mcp"])
    expect(added.code).toBe(0)
    const refreshed = await att(["servers", "refresh", "closed", "--json"])
    expect(refreshed.code).toBe(1)
    expect(jsonOf<{ items: Array<Server> }>(refreshed).items[0]?.initialized).toBe(false)
    expect(refreshed.stderr).toBe("att: the handshake failed again for closed\n")
    expect((await att(["servers", "rm", "closed"])).code).toBe(0)
    const unknown = await att(["servers", "refresh", "nobody"])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe("att: no server is registered as nobody\n")
  }, 120_000)

  it("exits 2 on usage errors, naming the field", async () => {
    const badName = await att(["servers", "add", "bad name", "http://127.0.0.1:9/mcp"])
    expect(badName.code).toBe(2)
    expect(badName.stderr).toMatch(/^att: name: name must be/)
    const badUrl = await att(["servers", "add", "ok", "ftp://example.com/"])
    expect(badUrl.code).toBe(2)
    expect(badUrl.stderr).toMatch(/^att: url: /)
    const [badHeader, unknownCommand, badUrlFlag] = await Promise.all([
      att(["servers", "add", "ok", "http://127.0.0.1:9/mcp", "--header", "novalue"]),
      att(["servers", "frobnicate"]),
      att(["servers", "list", "--url", "not a url"])
    ])
    expect(badHeader.code).toBe(2)
    expect(badHeader.stderr).toBe('att: --header must be NAME=VALUE, got a value without "="\n')
    expect(unknownCommand.code).toBe(2)
    expect(badUrlFlag.code).toBe(2)
    expect(badUrlFlag.stderr).toBe('att: --url must be an absolute http(s) URL, got "(invalid URL)"\n')
  }, 120_000)
})

describe("att call", () => {
  it("sends --arg values as JSON when they parse, and prints the result's text or the whole answer", async () => {
    const sum = await att(["call", "add", "--arg", "a=2", "--arg", "b=40", "--json"])
    expect(sum.code).toBe(0)
    expect(jsonOf(sum)).toMatchObject({
      server: "alpha",
      method: "tools/call",
      result: { content: [{ type: "text", text: "42" }], structuredContent: { sum: 42 } }
    })
    const text = await att(["call", "echo", "--arg", "message=hello there"])
    expect(text.code).toBe(0)
    expect(text.stdout).toBe("alpha: hello there\n")
    // A string that parses as JSON is sent as JSON: quote it to keep it a string.
    const quoted = await att(["call", "echo", "--arg", 'message="7"'])
    expect(quoted.stdout).toBe("alpha: 7\n")
  }, 120_000)

  it("takes the whole arguments object with --arguments, an --arg winning over its key", async () => {
    const run = await att(["call", "add", "--arguments", '{"a": 1, "b": 1}', "--arg", "b=9", "--json"])
    expect(run.code).toBe(0)
    expect(jsonOf(run)).toMatchObject({ result: { structuredContent: { sum: 10 } } })
  }, 120_000)

  it("exits 1 when the tool answers an error or no server offers it, 2 on a bad --arg", async () => {
    const failing = await att(["call", "fail", "--json"])
    expect(failing.code).toBe(1)
    expect(jsonOf(failing)).toMatchObject({ result: { isError: true } })
    expect(failing.stderr).toBe("att: fail answered an error (server alpha)\n")
    const unknown = await att(["call", "no-such-tool"])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe("att: no-such-tool answered an error (server alpha)\n")
    const badArg = await att(["call", "echo", "--arg", "message"])
    expect(badArg.code).toBe(2)
    expect(badArg.stderr).toBe('att: --arg must be KEY=VALUE, got "message"\n')
    const badObject = await att(["call", "echo", "--arguments", "[1]"])
    expect(badObject.code).toBe(2)
    expect(badObject.stderr).toBe("att: --arguments must be a JSON object\n")
  }, 120_000)
})
