import type { ChildProcess } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { ROOT, childPids, commandLineOf, exitOf, isAlive, spawnTs, waitForOutput } from "./support/processes.js"

const started: Array<ChildProcess> = []
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

describe("shutdown under load", () => {
  it("SIGTERM while 32 callers are busy: in-flight requests finish or get a 503, exit 0 within the drain, no child left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "att-shutdown-"))
    const config = join(dir, "att.config.json")
    const fixture = join(ROOT, "test", "fixtures", "upstream-server.ts")
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          slowpoke: {
            command: process.execPath,
            args: ["--conditions=att-source", "--import", "tsx", fixture, "slowpoke", "stdio"]
          }
        },
        drain_timeout_ms: 3000,
        health_interval_seconds: 60
      })
    )
    const att = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--config", config, "--port", "0"])
    started.push(att)
    const [, port] = await waitForOutput(att, /Listening on http:\/\/127\.0\.0\.1:(\d+)/)
    const url = `http://127.0.0.1:${port}/api/v1/mcp/invoke/tool`
    const call = () =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tool_name: "slow", arguments: { ms: 300 } })
      })
    expect((await call()).status).toBe(200)
    const children = childPids(att.pid as number)
    expect(children.some((pid) => commandLineOf(pid).includes("slowpoke"))).toBe(true)

    let stopping = false
    const answered: Array<number> = []
    const refusedAfterStop: Array<string> = []
    const unexpected: Array<string> = []
    const caller = async () => {
      for (let i = 0; i < 50; i++) {
        try {
          const response = await call()
          answered.push(response.status)
          await response.text()
        } catch (error) {
          if (stopping) refusedAfterStop.push(String(error))
          else unexpected.push(String(error))
          return
        }
      }
    }
    const callers = Array.from({ length: 32 }, caller)
    await new Promise((resolve) => setTimeout(resolve, 700))
    stopping = true
    const childrenAtStop = childPids(att.pid as number)
    const signalledAt = performance.now()
    att.kill("SIGTERM")
    const code = await exitOf(att, 10_000)
    const tookMs = performance.now() - signalledAt
    await Promise.all(callers)

    expect(code).toBe(0)
    expect(tookMs).toBeLessThan(3000 + 4000) // the drain bound plus closing sessions
    expect(unexpected).toEqual([])
    expect(answered.length).toBeGreaterThanOrEqual(32)
    expect(answered.every((status) => status === 200 || status === 503)).toBe(true)
    for (const pid of [...children, ...childrenAtStop]) expect(isAlive(pid)).toBe(false)
  }, 60_000)
})
