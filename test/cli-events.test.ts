import { mkdtempSync, writeFileSync } from "node:fs"
import { type Server, type Socket, connect, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TOKEN, cliFixture, eventually, jsonOf, runAtt, startAtt } from "./support/attCli.js"
import { exitOf, spawnTs, waitForCatalog, waitForOutput } from "./support/processes.js"

/** `att events` (the event routes, and `--follow` on the live SSE stream) and `att serve --log-format`, end to end. */
const { started, state, setUp } = cliFixture()
beforeAll(setUp, 60_000)
const att = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
  runAtt(started, args, { ...state.env, ...env })

/** A tool call through the REST API; its request id. */
const call = async (message: string): Promise<string> => {
  const response = await fetch(`${state.base}/api/v1/mcp/invoke/tool`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ tool_name: "echo", arguments: { message } })
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { request_id: string }).request_id
}

interface Line {
  readonly id: string
  readonly type: string
  readonly event: { readonly request_id: string; readonly phase: string }
}
const linesOf = (stdout: string): Array<Line> =>
  stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Line)
const phasesOf = (lines: ReadonlyArray<Line>, requestId: string) =>
  lines.filter((line) => line.event.request_id === requestId).map((line) => line.event.phase)
const PHASES = ["initialize_start", "initialize_success", "invoke_start", "invoke_success"]

const servers: Array<Server> = []
afterAll(() => {
  for (const server of servers) server.close()
})

/**
 * A TCP proxy to att that cuts its first connection (both ways) once an invocation event has passed through it, as
 * a restarted proxy or a dropped network would. Later connections wait for `reconnect()` before they reach att, so
 * a test can make events happen while the reader is away. Records each request's head.
 */
const droppingProxy = async (target: URL) => {
  const heads: Array<string> = []
  let reconnect = () => {}
  const gate = new Promise<void>((resolve) => {
    reconnect = resolve
  })
  const server = createServer((client) => {
    const index = heads.length
    heads.push("")
    const pending: Array<Buffer> = []
    let upstream: Socket | undefined
    client.on("data", (chunk: Buffer) => {
      heads[index] += chunk.toString("utf8")
      if (upstream === undefined) pending.push(chunk)
      else upstream.write(chunk)
    })
    client.on("error", () => upstream?.destroy())
    client.on("close", () => upstream?.destroy())
    void (index === 0 ? Promise.resolve() : gate).then(() => {
      if (client.destroyed) return
      const socket = connect(Number(target.port), target.hostname)
      upstream = socket
      for (const chunk of pending.splice(0)) socket.write(chunk)
      let seen = ""
      socket.on("data", (chunk: Buffer) => {
        seen += chunk.toString("utf8")
        client.write(chunk)
        if (index === 0 && seen.includes("event: invocation")) {
          client.destroy()
          socket.destroy()
        }
      })
      socket.on("error", () => client.destroy())
      socket.on("close", () => client.destroy())
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, heads, reconnect: () => reconnect() }
}

describe("att events", () => {
  it("reads the kept events with the routes' filters, as JSON or as a table", async () => {
    const requestId = await call("listed")
    const json = await att(["events", "--type", "invocation", "--request-id", requestId, "--json"])
    expect(json.code).toBe(0)
    const { items } = jsonOf<{ items: Array<{ type: string; event: { phase: string; request_id: string } }> }>(json)
    expect(items.map((item) => [item.type, item.event.request_id, item.event.phase])).toEqual(
      PHASES.map((phase) => ["invocation", requestId, phase])
    )
    const table = await att(["events", "--type", "invocation", "--request-id", requestId])
    expect(table.code).toBe(0)
    const rows = table.stdout.trim().split("\n")
    expect(rows[0]).toMatch(/^TIME +TYPE +SERVER +EVENT$/)
    expect(rows.slice(1)).toHaveLength(4)
    expect(rows[4]).toMatch(new RegExp(`^\\S+Z +invocation +alpha +tools/call invoke_success ${requestId}$`))
  }, 120_000)

  it("--follow prints one JSON object per line as events happen, from an id with --from", async () => {
    const before = await call("before")
    const follower = startAtt(
      started,
      ["events", "--follow", "--json", "--from", "0.0.0", "--type", "invocation", "--method", "tools/call"],
      state.env
    )
    await eventually(() => phasesOf(linesOf(follower.output.stdout), before).length === 4, "the earlier call's events")
    const live = await call("live")
    await eventually(() => phasesOf(linesOf(follower.output.stdout), live).length === 4, "the live call's events")
    const lines = linesOf(follower.output.stdout)
    expect(phasesOf(lines, before)).toEqual(PHASES)
    expect(phasesOf(lines, live)).toEqual(PHASES)
    expect(new Set(lines.map((line) => line.id)).size).toBe(lines.length)
    expect(lines.every((line) => line.type === "invocation")).toBe(true)
    follower.child.kill("SIGTERM")
    expect(await exitOf(follower.child)).toBe(0)
  }, 120_000)

  it("--follow resumes a dropped stream with Last-Event-ID: nothing lost, nothing repeated", async () => {
    const proxy = await droppingProxy(new URL(state.base))
    const first = await call("before the drop")
    const follower = startAtt(
      started,
      ["events", "--follow", "--json", "--from", "0.0.0", "--type", "invocation", "--method", "tools/call"],
      { ...state.env, ATT_URL: proxy.url }
    )
    await eventually(() => proxy.heads.length >= 2, "a second connection after the drop")
    // While the reader is away: without Last-Event-ID its new stream would start after these events.
    const away = await call("while away")
    proxy.reconnect()
    const second = await call("after the drop")
    await eventually(() => phasesOf(linesOf(follower.output.stdout), second).length === 4, "the later call's events")
    const lines = linesOf(follower.output.stdout)
    expect(phasesOf(lines, first)).toEqual(PHASES)
    expect(phasesOf(lines, away)).toEqual(PHASES)
    expect(phasesOf(lines, second)).toEqual(PHASES)
    expect(new Set(lines.map((line) => line.id)).size).toBe(lines.length)
    // The second request resumed after the last event printed before the drop.
    const resumedFrom = proxy.heads[1]?.match(/^last-event-id: (\S+)\r$/im)?.[1]
    expect(resumedFrom).toBeDefined()
    expect(lines.map((line) => line.id)).toContain(resumedFrom)
    expect(proxy.heads[1]?.toLowerCase()).toContain(`authorization: bearer ${TOKEN}`)
    follower.child.kill("SIGTERM")
    expect(await exitOf(follower.child)).toBe(0)
    expect(follower.output.stdout + follower.output.stderr).not.toMatch(/Bearer/)
  }, 120_000)

  it("--follow exits 1 on a wrong token, 3 when att cannot be reached, 2 on a bad filter", async () => {
    const [badToken, unreachable, badFilter] = await Promise.all([
      att(["events", "--follow"], { ATT_TOKEN: "not-the-token" }),
      att(["events", "--follow", "--url", "http://127.0.0.1:9"]),
      att(["events", "--follow", "--kind", "sideways"])
    ])
    expect(badToken.code).toBe(1)
    expect(badToken.stderr).toBe(
      "att: att refused the token (pass --token or ATT_TOKEN): Missing or invalid bearer token\n"
    )
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toBe("att: cannot reach att at http://127.0.0.1:9\n")
    expect(badFilter.code).toBe(2)
  }, 120_000)
})

describe("att serve --log-format, and a follower the service leaves behind", () => {
  it("json writes each log line as a JSON object; a follower behind the bounded buffers exits 1 on the overflow", async () => {
    const dir = mkdtempSync(join(tmpdir(), "att-logs-"))
    const config = join(dir, "att.config.json")
    // Two invocation events kept: one call's four steps are more than a reader from the start can get. In memory:
    // with a database behind the buffers a reader left behind reads on from it instead.
    writeFileSync(config, JSON.stringify({ mcpServers: { alpha: { url: state.alphaUrl } }, max_invocation_events: 2 }))
    const serve = spawnTs("packages/gateway/src/cli/main.ts", [
      "serve",
      "--config",
      config,
      "--port",
      "0",
      "--log-format",
      "json",
      "--ephemeral"
    ])
    started.push(serve)
    const [line] = await waitForOutput(serve, /^\{.*"Listening on http:\/\/127\.0\.0\.1:\d+".*\}$/m)
    const parsed = JSON.parse(line) as { message: string; logLevel: string }
    expect(parsed).toMatchObject({ message: expect.stringMatching(/^Listening on /), logLevel: "INFO" })
    const base = parsed.message.replace(/^Listening on /, "")

    await waitForCatalog(base, "echo", ["alpha"])
    const answer = await fetch(`${base}/api/v1/mcp/invoke/tool`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tool_name: "echo", arguments: { message: "overflowing" } })
    })
    expect(answer.status).toBe(200)
    const behind = await runAtt(started, [
      "events",
      "--follow",
      "--from",
      "0.0.0",
      "--type",
      "invocation",
      "--url",
      base
    ])
    expect(behind.code).toBe(1)
    expect(behind.stderr).toMatch(/^att: the service ended the stream: this reader missed \d+ invocation events/)

    serve.kill("SIGTERM")
    expect(await exitOf(serve)).toBe(0)
    const wrong = await att(["serve", "--config", config, "--port", "0"], { ATT_LOG_FORMAT: "xml" })
    expect(wrong.code).toBe(2)
  }, 120_000)
})
