import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { CONFORMANCE, againstBaseline, baselinePath, baselineScenarios, resultsIn } from "./support/conformance.js"
import { ROOT, cleanedUpAfterAll, runToEnd } from "./support/processes.js"

/**
 * The protocol's conformance suite in client mode, with att as the client under test: the suite's mock servers
 * (initialize, a tool call, an SSE stream closed mid-call that the client must resume after the `retry` delay with
 * `Last-Event-ID`, an elicitation with defaults) against att's Manager and SDK transport
 * (`test/fixtures/conformance-client.ts`). Every scenario passes except the version's baseline, and no baseline entry
 * passes. The OAuth scenarios (`auth/*`) are not run: att does not do OAuth to upstreams (todo/protocol_seam.md).
 */

const { started, dirs } = cleanedUpAfterAll()

const CLIENT = `${process.execPath} --conditions=att-source --import tsx ${join(ROOT, "test", "fixtures", "conformance-client.ts")}`
const SCENARIOS = ["initialize", "tools_call", "sse-retry", "elicitation-sep1034-client-defaults"]

describe("the MCP conformance suite's client scenarios against att's client", () => {
  it("passes every non-OAuth client scenario apart from the baseline", async () => {
    const baseline = baselineScenarios("client")
    for (const name of baseline) expect(SCENARIOS).toContain(name)
    const out = mkdtempSync(join(tmpdir(), "att-conformance-client-"))
    dirs.push(out)
    const exits = new Map<string, number | null>()
    for (const scenario of SCENARIOS) {
      const run = runToEnd(
        process.execPath,
        [
          CONFORMANCE,
          "client",
          "--command",
          CLIENT,
          "--scenario",
          scenario,
          "--expected-failures",
          baselinePath(),
          "-o",
          out
        ],
        { ms: 90_000 }
      )
      started.push(run.child)
      const result = await run.done
      expect(result.timedOut, result.stdout.slice(-4000)).toBe(false)
      exits.set(scenario, result.code)
    }

    const results = resultsIn(out, "")
    expect([...results.keys()].sort()).toEqual([...SCENARIOS].sort())
    expect(againstBaseline(results, baseline)).toEqual({ unexpected: [], stale: [] })
    // With the baseline, the suite exits 0 for every scenario, including the expected failures.
    expect([...exits.values()]).toEqual(SCENARIOS.map(() => 0))
  }, 420_000)
})
