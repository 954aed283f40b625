import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, cleanedUpAfterAll, runToEnd, startAttServe, waitForMcpTools } from "./support/processes.js"

/**
 * The MCP Inspector's CLI mode (`@modelcontextprotocol/inspector` 0.15.0, the newest release that runs on Node 20;
 * 2.12.0 on CI's Node 22 run) as a third-party client of att's `/mcp`, over `test/fixtures/upstream-server.ts` in stdio mode. Results are JSON
 * on stdout; a failure is a message on stderr and a non-zero exit.
 */

const { started, dirs } = cleanedUpAfterAll()

/** `ATT_INSPECTOR` when set (`.ci/run` points it at 2.12.0, which needs Node 22.19, on its Node 22 run). */
const INSPECTOR = process.env.ATT_INSPECTOR ?? join(ROOT, "node_modules", ".bin", "mcp-inspector")
const UPSTREAM = join(ROOT, "test", "fixtures", "upstream-server.ts")

describe("the MCP Inspector CLI against att's /mcp", () => {
  it("lists and calls the upstream's tools, resources and prompts through att", async () => {
    const att = await startAttServe({
      mcpServers: {
        alpha: {
          command: process.execPath,
          args: ["--conditions=att-source", "--import", "tsx", UPSTREAM, "alpha", "stdio"],
          cwd: ROOT
        }
      }
    })
    started.push(att.child)
    dirs.push(att.dir)
    await waitForMcpTools(att.mcpUrl, ["echo"])

    // The Inspector keeps state under ~/.mcp-inspector: give it a HOME of its own.
    const home = mkdtempSync(join(tmpdir(), "att-inspector-home-"))
    dirs.push(home)
    const env = { ...process.env, HOME: home }
    const inspector = async (args: ReadonlyArray<string>) => {
      const run = runToEnd(process.execPath, [INSPECTOR, "--cli", att.mcpUrl, ...args], { ms: 60_000, env })
      started.push(run.child)
      const result = await run.done
      expect(result.timedOut).toBe(false)
      return result
    }

    const listed = await inspector(["--method", "tools/list"])
    expect(listed.code, listed.stderr).toBe(0)
    const { tools } = JSON.parse(listed.stdout) as {
      tools: Array<{ name: string; inputSchema: { properties?: Record<string, unknown> } }>
    }
    expect(tools.map((tool) => tool.name).sort()).toEqual(["ask", "big", "echo", "log", "progress", "slow", "whoami"])
    expect(tools.find((tool) => tool.name === "echo")?.inputSchema.properties).toHaveProperty("message")

    const called = await inspector(["--method", "tools/call", "--tool-name", "echo", "--tool-arg", "message=hi"])
    expect(called.code, called.stderr).toBe(0)
    expect(JSON.parse(called.stdout)).toEqual({ content: [{ type: "text", text: "alpha: hi" }] })

    const resources = await inspector(["--method", "resources/list"])
    expect(resources.code, resources.stderr).toBe(0)
    expect((JSON.parse(resources.stdout) as { resources: Array<{ uri: string }> }).resources.map((r) => r.uri)).toEqual(
      ["fixture://alpha/readme"]
    )
    const read = await inspector(["--method", "resources/read", "--uri", "fixture://alpha/readme"])
    expect(read.code, read.stderr).toBe(0)
    expect(JSON.parse(read.stdout)).toMatchObject({ contents: [{ text: "alpha readme" }] })

    const prompts = await inspector(["--method", "prompts/list"])
    expect(prompts.code, prompts.stderr).toBe(0)
    expect((JSON.parse(prompts.stdout) as { prompts: Array<{ name: string }> }).prompts.map((p) => p.name)).toEqual([
      "greet"
    ])
    const got = await inspector(["--method", "prompts/get", "--prompt-name", "greet", "--prompt-args", "who=you"])
    expect(got.code, got.stderr).toBe(0)
    expect(JSON.parse(got.stdout)).toMatchObject({
      messages: [{ role: "user", content: { type: "text", text: "alpha greets you" } }]
    })

    const unknown = await inspector(["--method", "tools/call", "--tool-name", "no_such_tool"])
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain("no_such_tool")
  }, 120_000)
})
