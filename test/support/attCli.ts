import type { ChildProcess } from "node:child_process"
import { join } from "node:path"
import { startHttpUpstream } from "@att/testkit"
import { Effect, Exit, Scope } from "effect"
import { afterAll } from "vitest"
import { type Completed, ROOT, cleanedUpAfterAll, runToEnd, spawnTs, startAttServe } from "./processes.js"

/** The real `att` entry, run from its source as a user would run the built bin. */
export const ATT_MAIN = join(ROOT, "packages", "gateway", "src", "cli", "main.ts")
export const TOKEN = "cli-test-token-5e1f"

/** Run `att ARGS` to its end against `base` with the token (unless `env` says otherwise). */
export const runAtt = (
  started: Array<ChildProcess>,
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv = {},
  ms = 30_000
): Promise<Completed> => {
  const { child, done } = runToEnd(
    process.execPath,
    ["--conditions=att-source", "--import", "tsx", ATT_MAIN, ...args],
    {
      ms,
      env: { ...process.env, ATT_URL: undefined, ATT_TOKEN: undefined, ...env }
    }
  )
  started.push(child)
  return done
}

/** `att ARGS` left running (e.g. `events --follow`), its stdout collected as it comes. */
export const startAtt = (started: Array<ChildProcess>, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const child = spawnTs("packages/gateway/src/cli/main.ts", args, { ATT_URL: undefined, ATT_TOKEN: undefined, ...env })
  started.push(child)
  const output = { stdout: "", stderr: "" }
  child.stdout?.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString("utf8")
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString("utf8")
  })
  return { child, output }
}

/** Poll `check` every 100 ms until it holds, at most `ms`. */
export const eventually = async (check: () => boolean | Promise<boolean>, what: string, ms = 20_000) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * For one test file: two real upstreams (`alpha`, and `guarded`, which answers 401 without its header) and an
 * `att serve` process with a token serving `alpha`, its catalog loaded. Everything is stopped after the file.
 */
export const cliFixture = () => {
  const { started, dirs } = cleanedUpAfterAll()
  const scope = Effect.runSync(Scope.make())
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))
  const state = {
    base: "",
    alphaUrl: "",
    guardedUrl: "",
    env: {} as NodeJS.ProcessEnv
  }
  const setUp = async () => {
    const [alpha, guarded] = await Effect.runPromise(
      Effect.all([
        startHttpUpstream({ name: "alpha" }),
        startHttpUpstream({ name: "guarded", authorization: "Bearer upstream-secret-91c2" })
      ]).pipe(Scope.extend(scope))
    )
    const att = await startAttServe({
      mcpServers: { alpha: { url: alpha.url } },
      auth_token: TOKEN,
      call_timeout_ms: 5000,
      health_interval_seconds: 60
    })
    started.push(att.child)
    dirs.push(att.dir)
    state.base = att.base
    state.alphaUrl = alpha.url
    state.guardedUrl = guarded.url
    state.env = { ATT_URL: att.base, ATT_TOKEN: TOKEN }
    await eventually(async () => {
      const response = await fetch(`${att.base}/api/v1/mcp/tools`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const tools = (await response.json()) as Array<{ name: string }>
      return Array.isArray(tools) && tools.some((tool) => tool.name === "add")
    }, "alpha's tools in att's catalog")
  }
  return { started, state, setUp }
}

/** The one document a `--json` run printed. */
export const jsonOf = <T>(run: Completed): T => JSON.parse(run.stdout) as T
