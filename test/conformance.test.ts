import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT, cleanedUpAfterAll, runToEnd, startAttServe, waitForMcpTools } from "./support/processes.js"

/**
 * The protocol's own conformance suite (`@modelcontextprotocol/conformance`, server mode, every scenario) as a
 * third-party client of att's `/mcp`, with `test/fixtures/conformance-upstream.ts` behind att offering the suite's
 * fixture tools, resources and prompts. It passes when every scenario passes except those listed in
 * `test/conformance-baseline.yml`, and no listed scenario passes (a stale entry fails too).
 */

const { started, dirs } = cleanedUpAfterAll()

const CONFORMANCE = join(ROOT, "node_modules", ".bin", "conformance")
const BASELINE = join(ROOT, "test", "conformance-baseline.yml")
const UPSTREAM = join(ROOT, "test", "fixtures", "conformance-upstream.ts")

interface Check {
  readonly id: string
  readonly status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO"
  readonly errorMessage?: string
}

/** The scenario names under `server:` in the baseline (our own file: `  - name` lines). */
const baselineScenarios = (): Array<string> =>
  readFileSync(BASELINE, "utf8")
    .split("\n")
    .map((line) => line.match(/^\s+-\s+(\S+)\s*$/)?.[1])
    .filter((name): name is string => name !== undefined)

/** `OUTDIR/server-<scenario>-<timestamp>/checks.json`, by scenario. */
const resultsIn = (dir: string): Map<string, ReadonlyArray<Check>> => {
  const results = new Map<string, ReadonlyArray<Check>>()
  for (const entry of readdirSync(dir)) {
    const scenario = entry.match(/^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/)?.[1]
    const file = join(dir, entry, "checks.json")
    if (scenario !== undefined && existsSync(file))
      results.set(scenario, JSON.parse(readFileSync(file, "utf8")) as Array<Check>)
  }
  return results
}

/** What the suite counts against a scenario: a failed check or a warning. */
const problems = (checks: ReadonlyArray<Check>): Array<string> =>
  checks
    .filter((check) => check.status === "FAILURE" || check.status === "WARNING")
    .map((check) => `${check.id} ${check.status}${check.errorMessage === undefined ? "" : `: ${check.errorMessage}`}`)

describe("the MCP conformance suite against att's /mcp", () => {
  it("passes every server scenario apart from the baseline", async () => {
    const listing = runToEnd(process.execPath, [CONFORMANCE, "list", "--server"], { ms: 30_000 })
    started.push(listing.child)
    const listed = await listing.done
    expect(listed.code).toBe(0)
    const scenarios = [...listed.stdout.matchAll(/^\s+-\s+(\S+)$/gm)].map((match) => match[1] as string)
    expect(scenarios.length).toBeGreaterThanOrEqual(30)
    const baseline = baselineScenarios()
    for (const name of baseline) expect(scenarios).toContain(name)

    const att = await startAttServe({
      mcpServers: {
        conformance: {
          command: process.execPath,
          args: ["--conditions=att-source", "--import", "tsx", UPSTREAM, "stdio"],
          cwd: ROOT
        }
      }
    })
    started.push(att.child)
    dirs.push(att.dir)
    const tools = await waitForMcpTools(att.mcpUrl, [
      "test_simple_text",
      "json_schema_2020_12_tool",
      "test_reconnection"
    ])
    expect(tools).toContain("test_tool_with_progress")

    const out = mkdtempSync(join(tmpdir(), "att-conformance-"))
    dirs.push(out)
    const run = runToEnd(
      process.execPath,
      [CONFORMANCE, "server", "--url", att.mcpUrl, "--suite", "all", "--expected-failures", BASELINE, "-o", out],
      { ms: 240_000 }
    )
    started.push(run.child)
    const result = await run.done
    expect(result.timedOut, result.stdout.slice(-4000)).toBe(false)

    const results = resultsIn(out)
    expect([...results.keys()].sort()).toEqual([...scenarios].sort())
    const failing = [...results].filter(([, checks]) => problems(checks).length > 0).map(([scenario]) => scenario)
    const unexpected = failing
      .filter((scenario) => !baseline.includes(scenario))
      .map((scenario) => `${scenario}: ${problems(results.get(scenario) ?? []).join("; ")}`)
    const stale = baseline.filter((scenario) => !failing.includes(scenario))
    expect({ unexpected, stale }).toEqual({ unexpected: [], stale: [] })
    expect(result.stdout).toContain("Baseline check passed")
    expect(result.code).toBe(0)
  }, 330_000)
})
