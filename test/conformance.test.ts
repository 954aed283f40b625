import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  CONFORMANCE,
  type Check,
  againstBaseline,
  baselinePath,
  baselineScenarios,
  problems,
  resultsIn
} from "./support/conformance.js"
import {
  cleanedUpAfterAll,
  runToEnd,
  spawnTs,
  startAttServe,
  waitForMcpTools,
  waitForOutput
} from "./support/processes.js"

/**
 * The protocol's own conformance suite (`@modelcontextprotocol/conformance`, server mode, every scenario) as a
 * third-party client of att's `/mcp`, with `test/fixtures/conformance-upstream.ts` behind att offering the suite's
 * fixture tools, resources and prompts. The suite runs against the fixture alone, then through att: each passes every
 * scenario except those listed in the version's baseline (`test/conformance/`), no listed scenario passes (a stale
 * entry fails too), and att scores what the fixture scores.
 */

const { started, dirs } = cleanedUpAfterAll()

const UPSTREAM = "test/fixtures/conformance-upstream.ts"

describe("the MCP conformance suite against att's /mcp", () => {
  it("passes every server scenario apart from the baseline", async () => {
    const listing = runToEnd(process.execPath, [CONFORMANCE, "list", "--server"], { ms: 30_000 })
    started.push(listing.child)
    const listed = await listing.done
    expect(listed.code).toBe(0)
    const scenarios = [...listed.stdout.matchAll(/^\s+-\s+(\S+)(?:\s+\[[^\]]*\])?$/gm)].map(
      (match) => match[1] as string
    )
    expect(scenarios.length).toBeGreaterThanOrEqual(30)
    const baseline = baselineScenarios("server")
    for (const name of baseline) expect(scenarios).toContain(name)

    // Over Streamable HTTP: each request the upstream sends back (sampling, elicitation) arrives on the response
    // stream of the call it belongs to, so att relays it to that call's client.
    const upstream = spawnTs(UPSTREAM, ["0"])
    started.push(upstream)
    const port = (await waitForOutput(upstream, /listening (\d+)/))[1]
    const att = await startAttServe({ mcpServers: { conformance: { url: `http://127.0.0.1:${port}/mcp` } } })
    started.push(att.child)
    dirs.push(att.dir)
    const tools = await waitForMcpTools(att.mcpUrl, [
      "test_simple_text",
      "json_schema_2020_12_tool",
      "test_reconnection"
    ])
    expect(tools).toContain("test_tool_with_progress")

    /** Every server scenario against `url`, with the version's baseline: the results, by scenario. */
    const suiteAgainst = async (url: string) => {
      const out = mkdtempSync(join(tmpdir(), "att-conformance-"))
      dirs.push(out)
      const run = runToEnd(
        process.execPath,
        [CONFORMANCE, "server", "--url", url, "--suite", "all", "--expected-failures", baselinePath(), "-o", out],
        { ms: 240_000 }
      )
      started.push(run.child)
      const result = await run.done
      expect(result.timedOut, result.stdout.slice(-4000)).toBe(false)
      const results = resultsIn(out, "server-")
      expect([...results.keys()].sort()).toEqual([...scenarios].sort())
      expect(againstBaseline(results, baseline)).toEqual({ unexpected: [], stale: [] })
      expect(result.stdout).toContain("Baseline check passed")
      expect(result.code).toBe(0)
      return results
    }
    /** Which scenarios passed: every check neither failed nor warned. */
    const passed = (results: Map<string, ReadonlyArray<Check>>) =>
      [...results].filter(([, checks]) => problems(checks).length === 0).map(([scenario]) => scenario)

    // The fixture alone, then att in front of it: the same scenarios pass.
    const direct = await suiteAgainst(`http://127.0.0.1:${port}/mcp`)
    const throughAtt = await suiteAgainst(att.mcpUrl)
    expect(passed(throughAtt).sort()).toEqual(passed(direct).sort())
  }, 560_000)
})
