import type { ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { everythingServerCommand } from "@att/gateway"
import {
  childPids,
  exitOf,
  isAlive,
  spawnTs,
  startUpstreamProcess,
  waitForCatalog,
  waitForOutput
} from "./support/processes.js"

const started: Array<ChildProcess> = []
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

const post = async (base: string, path: string, body: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}
const get = async (base: string, path: string) =>
  (await (await fetch(`${base}${path}`)).json()) as { items: Array<Record<string, unknown>> }

describe("att serve, end to end", () => {
  it("fails over when the primary dies, records it, and exits cleanly on SIGTERM", async () => {
    const primary = await startUpstreamProcess("primary")
    const backup = await startUpstreamProcess("backup")
    started.push(primary.child, backup.child)

    const dir = mkdtempSync(join(tmpdir(), "att-e2e-"))
    const config = join(dir, "att.config.json")
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          primary: { url: primary.url },
          backup: { url: backup.url },
          everything: everythingServerCommand()
        },
        preferred_order: ["primary", "backup"],
        call_timeout_ms: 3000,
        health_interval_seconds: 60
      })
    )
    const att = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--config", config, "--port", "0"])
    started.push(att)
    const [, port] = await waitForOutput(att, /Listening on http:\/\/127\.0\.0\.1:(\d+)/)
    const base = `http://127.0.0.1:${port}`
    // A call goes to the servers whose tool lists offer the tool: wait until both lists are in, so the preferred
    // order decides (while only one is in, the call goes to that one).
    await waitForCatalog(base, "echo", ["primary", "backup"])

    const first = await post(base, "/api/v1/mcp/invoke/tool", { tool_name: "echo", arguments: { message: "one" } })
    expect(first.status).toBe(200)
    expect(first.body.server).toBe("primary")
    expect(first.body.result).toEqual({ content: [{ type: "text", text: "primary: one" }] })

    primary.child.kill("SIGKILL")
    await exitOf(primary.child)

    const second = await post(base, "/api/v1/mcp/invoke/tool", { tool_name: "echo", arguments: { message: "two" } })
    expect(second.status).toBe(200)
    expect(second.body.server).toBe("backup")
    expect(second.body.result).toEqual({ content: [{ type: "text", text: "backup: two" }] })
    const requestId = String(second.body.request_id)

    const phases = await get(base, `/api/v1/mcp/invocation-events?request_id=${requestId}`)
    const trail = phases.items.map((event) => `${event.server}:${event.phase}`)
    expect(trail[0]).toBe("primary:initialize_start")
    expect(trail.slice(-4)).toEqual([
      "backup:initialize_start",
      "backup:initialize_success",
      "backup:invoke_start",
      "backup:invoke_success"
    ])
    expect(phases.items.some((event) => event.server === "primary" && String(event.phase).endsWith("_failure"))).toBe(
      true
    )

    const transitions = await get(base, `/api/v1/mcp/events?server=primary&correlation_id=${requestId}`)
    expect(transitions.items.map((event) => event.to_status)).toEqual(["degraded"])

    const stdioChildren = childPids(att.pid as number)
    expect(stdioChildren.length).toBeGreaterThanOrEqual(1)

    att.kill("SIGTERM")
    expect(await exitOf(att)).toBe(0)
    for (const pid of stdioChildren) expect(isAlive(pid)).toBe(false)
    expect(isAlive(backup.child.pid as number)).toBe(true)
  }, 60_000)

  it("with no config it serves server-everything: the README's curl call gets the echo back", async () => {
    // `npm start` builds, then runs the built CLI (package.json); this runs the same entry from its source, so the
    // suite needs no build. The README's call, on a free port instead of 8080.
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as {
      scripts: { start: string; prestart: string }
    }
    expect(manifest.scripts.prestart).toBe("npm run build")
    expect(manifest.scripts.start).toBe("node packages/gateway/dist/cli/main.js serve")
    const att = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--port", "0"], { ATT_CONFIG: undefined })
    started.push(att)
    const [, port] = await waitForOutput(att, /Listening on http:\/\/127\.0\.0\.1:(\d+)/)
    const answer = await post(`http://127.0.0.1:${port}`, "/api/v1/mcp/invoke/tool", {
      tool_name: "echo",
      arguments: { message: "hi" }
    })
    expect(answer.status).toBe(200)
    expect(answer.body.server).toBe("everything")
    expect(answer.body.result).toMatchObject({ content: [{ type: "text", text: "Echo: hi" }] })
    const children = childPids(att.pid as number)
    expect(children.length).toBeGreaterThanOrEqual(1)
    att.kill("SIGTERM")
    expect(await exitOf(att)).toBe(0)
    for (const pid of children) expect(isAlive(pid)).toBe(false)
  }, 60_000)

  it("refuses an invalid config with a non-zero exit and a message naming the field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "att-bad-"))
    const config = join(dir, "bad.json")
    writeFileSync(config, JSON.stringify({ mcpServers: {}, unreachable_after: "three" }))
    const att = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--config", config, "--port", "0"])
    started.push(att)
    const [message] = await waitForOutput(att, /unreachable_after[\s\S]*/)
    expect(message).toContain("unreachable_after")
    expect(await exitOf(att)).toBe(2)
  }, 30_000)

  it("refuses to bind a non-loopback host without a token", async () => {
    const att = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--host", "0.0.0.0", "--port", "0"], {
      ATT_TOKEN: ""
    })
    started.push(att)
    const [message] = await waitForOutput(att, /refusing to bind[^\n]*/)
    expect(message).toContain("0.0.0.0")
    expect(await exitOf(att)).toBe(2)
  }, 30_000)

  it("refuses to bind a name spelled like loopback without a token: a name is loopback only by what it resolves to (issue 14 §4)", async () => {
    // `.invalid` never resolves (RFC 6761), so this name is not loopback, whatever its spelling.
    const att = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--host", "127.0.0.1.invalid", "--port", "0"], {
      ATT_TOKEN: ""
    })
    started.push(att)
    const [message] = await waitForOutput(att, /refusing to bind[^\n]*/)
    expect(message).toContain("127.0.0.1.invalid")
    expect(await exitOf(att)).toBe(2)
  }, 30_000)
})
