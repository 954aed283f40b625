import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs"
import { dirname, join } from "node:path"
import { ROOT } from "./processes.js"

/**
 * The MCP conformance suite's CLI the tests run: `ATT_CONFORMANCE` when set (`.ci/run` points it at 0.1.16, which
 * needs Node 22, on its Node 22 run), else the workspace's devDependency (0.1.13, which runs on Node 20). Each version
 * has its own baseline, `test/conformance/baseline-<version>.yml`: what att deliberately does not pass there, each
 * entry with its reason.
 */
export const CONFORMANCE = process.env.ATT_CONFORMANCE ?? join(ROOT, "node_modules", ".bin", "conformance")

/** The version of the CLI in use, from the package.json beside its real script. */
export const conformanceVersion = (): string => {
  let dir = dirname(realpathSync(CONFORMANCE))
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir)
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version
}

export const baselinePath = (): string => join(ROOT, "test", "conformance", `baseline-${conformanceVersion()}.yml`)

/** The scenario names of one mode in the baseline (our own file: a `server:` / `client:` key, then `  - name` lines). */
export const baselineScenarios = (mode: "server" | "client"): Array<string> => {
  const names: Array<string> = []
  let current = ""
  for (const line of readFileSync(baselinePath(), "utf8").split("\n")) {
    const key = line.match(/^(\w+):/)?.[1]
    if (key !== undefined) current = key
    const name = line.match(/^\s+-\s+(\S+)\s*$/)?.[1]
    if (name !== undefined && current === mode) names.push(name)
  }
  return names
}

export interface Check {
  readonly id: string
  readonly status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO"
  readonly errorMessage?: string
}

/** `OUTDIR/<prefix><scenario>-<timestamp>/checks.json`, by scenario (`server-` is the server mode's prefix). */
export const resultsIn = (dir: string, prefix: string): Map<string, ReadonlyArray<Check>> => {
  const results = new Map<string, ReadonlyArray<Check>>()
  const pattern = new RegExp(`^${prefix}(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$`)
  for (const entry of readdirSync(dir)) {
    const scenario = entry.match(pattern)?.[1]
    const file = join(dir, entry, "checks.json")
    if (scenario !== undefined && existsSync(file))
      results.set(scenario, JSON.parse(readFileSync(file, "utf8")) as Array<Check>)
  }
  return results
}

/** What the suite counts against a scenario: a failed check or a warning. */
export const problems = (checks: ReadonlyArray<Check>): Array<string> =>
  checks
    .filter((check) => check.status === "FAILURE" || check.status === "WARNING")
    .map((check) => `${check.id} ${check.status}${check.errorMessage === undefined ? "" : `: ${check.errorMessage}`}`)

/**
 * The scenarios that failed but are not in the baseline (with what failed), and the baseline's entries that passed
 * (stale): both empty when att does exactly what its baseline says.
 */
export const againstBaseline = (results: Map<string, ReadonlyArray<Check>>, baseline: ReadonlyArray<string>) => {
  const failing = [...results].filter(([, checks]) => problems(checks).length > 0).map(([scenario]) => scenario)
  const unexpected = failing
    .filter((scenario) => !baseline.includes(scenario))
    .map((scenario) => `${scenario}: ${problems(results.get(scenario) ?? []).join("; ")}`)
  const stale = baseline.filter((scenario) => !failing.includes(scenario))
  return { unexpected, stale }
}
