import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { afterAll } from "vitest"

export const ROOT = join(import.meta.dirname, "..", "..")

/** What a test file starts: its process trees are stopped and its folders removed after all its tests. */
export const cleanedUpAfterAll = () => {
  const started: Array<ChildProcess> = []
  const dirs: Array<string> = []
  afterAll(async () => {
    for (const child of started) await stopTree(child)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  return { started, dirs }
}

/**
 * Start a TypeScript entry point under tsx as a child process (its own pid: signals reach it directly). Unless `env`
 * names one, `ATT_DATA_DIR` is a new temp dir: each att starts with an empty database of its own (the default store,
 * libSQL), never the checkout's `./.att/`.
 */
export const spawnTs = (entry: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): ChildProcess =>
  spawn(process.execPath, ["--conditions=att-source", "--import", "tsx", join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, ATT_DATA_DIR: mkdtempSync(join(tmpdir(), "att-data-")), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })

/** Resolve with the first match of `pattern` on the child's stdout or stderr, or reject after `ms`. */
export const waitForOutput = (child: ChildProcess, pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> =>
  new Promise((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${seen}`)), ms)
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("utf8")
      const match = seen.match(pattern)
      if (match !== null) {
        clearTimeout(timer)
        child.stdout?.off("data", onData)
        child.stderr?.off("data", onData)
        resolve(match)
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`process exited (${code}) before ${pattern}; output:\n${seen}`))
    })
  })

/** Start `test/fixtures/upstream-server.ts` and return it with its port. */
export const startUpstreamProcess = async (name: string, port = 0) => {
  const child = spawnTs("test/fixtures/upstream-server.ts", [name, String(port)])
  const match = await waitForOutput(child, /listening (\d+)/)
  return { child, port: Number(match[1]), url: `http://127.0.0.1:${match[1]}/mcp` }
}

/** Wait for a child to exit, with a bound; resolves to its exit code (null when killed by a signal). */
export const exitOf = async (child: ChildProcess, ms = 15_000): Promise<number | null> => {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  const timer = setTimeout(() => child.kill("SIGKILL"), ms)
  const [code] = (await once(child, "exit")) as [number | null]
  clearTimeout(timer)
  return code
}

/** The pids of the direct children of `pid`. */
export const childPids = (pid: number): Array<number> => {
  // Read from /proc, not `ps`: a `ps` that cannot be spawned under load would read as "no children".
  const children: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry)
    if (!Number.isInteger(child) || child <= 0) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${child}/stat`, "utf8")
    } catch {
      continue // exited while we looked
    }
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after its last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
    if (ppid === pid) children.push(child)
  }
  return children.sort((a, b) => a - b)
}

/** Running, not a zombie (an exited child orphaned to a PID 1 that does not reap stays as a zombie). */
export const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
    return state !== "Z" && state !== "X"
  } catch {
    return false
  }
}

/** The command line of a process, or "" when it is gone. */
export const commandLineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")
  } catch {
    return ""
  }
}

/** `pid`'s children, their children, and so on (deepest last). */
export const descendantPids = (pid: number, depth = 4): Array<number> =>
  depth === 0 ? [] : childPids(pid).flatMap((child) => [child, ...descendantPids(child, depth - 1)])

/** Kill a process and the processes under it, each by its pid (SIGKILL), if they are still running. */
export const killTree = (child: ChildProcess): void => {
  const pid = child.pid
  // An exited child's pid may already belong to someone else: only a running child's tree is ours.
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const below = descendantPids(pid)
  child.kill("SIGKILL")
  for (const other of below) {
    if (!isAlive(other)) continue
    try {
      process.kill(other, "SIGKILL")
    } catch {
      // already gone
    }
  }
}

/** Stop a process we started: SIGTERM, a bounded wait, then SIGKILL for it and anything it left running. */
export const stopTree = async (child: ChildProcess, ms = 10_000): Promise<void> => {
  const pid = child.pid
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const below = descendantPids(pid)
  child.kill("SIGTERM")
  await exitOf(child, ms)
  for (const other of below) {
    if (!isAlive(other)) continue
    try {
      process.kill(other, "SIGKILL")
    } catch {
      // already gone
    }
  }
}

export interface Completed {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

/**
 * Run a program to its end and collect its output. Past `ms` it and everything under it are killed by pid and the
 * result says `timedOut`. The child is returned at once so the caller can register it for cleanup.
 */
export const runToEnd = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly ms: number; readonly env?: NodeJS.ProcessEnv; readonly cwd?: string }
): { readonly child: ChildProcess; readonly done: Promise<Completed> } => {
  const child = spawn(file, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const done = new Promise<Completed>((resolve) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killTree(child)
    }, options.ms)
    child.once("close", (code: number | null) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, timedOut })
    })
    child.once("error", (error) => {
      clearTimeout(timer)
      resolve({ code: null, stdout, stderr: `${stderr}\n${error.message}`, timedOut })
    })
  })
  return { child, done }
}

/** Write `config` to a temp file and start `att serve` on it on a free port; resolves once it listens. */
export const startAttServe = async (config: unknown) => {
  const dir = mkdtempSync(join(tmpdir(), "att-serve-"))
  const path = join(dir, "att.config.json")
  writeFileSync(path, JSON.stringify(config))
  const child = spawnTs("packages/gateway/src/cli/main.ts", ["serve", "--config", path, "--port", "0"])
  const port = await waitForOutput(child, /Listening on http:\/\/127\.0\.0\.1:(\d+)/).then(
    (match) => match[1],
    (error: unknown) => {
      killTree(child)
      throw error
    }
  )
  const base = `http://127.0.0.1:${port}`
  return { child, dir, base, mcpUrl: `${base}/mcp` }
}

/**
 * Poll att's `/mcp` with an SDK client until `tools/list` offers every name in `names` (upstreams connect in the
 * background), at most `ms`; resolves with the names listed, rejects with the last listing after the bound.
 */
export const waitForMcpTools = async (
  mcpUrl: string,
  names: ReadonlyArray<string>,
  ms = 30_000
): Promise<Array<string>> => {
  const client = new Client({ name: "att-test-readiness", version: "1.0.0" })
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)), { timeout: 10_000 })
  const deadline = Date.now() + ms
  let listed: Array<string> = []
  try {
    while (Date.now() < deadline) {
      listed = (await client.listTools(undefined, { timeout: 5_000 })).tools.map((tool) => tool.name)
      if (names.every((name) => listed.includes(name))) return listed
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } finally {
    await client.close()
  }
  throw new Error(
    `att's /mcp did not list ${names.join(", ")} within ${ms} ms; it listed: ${listed.join(", ") || "nothing"}`
  )
}

/**
 * Poll att's REST catalog (`GET /api/v1/mcp/tools`) until `tool` is listed for every server in `servers`, at most
 * `ms`. A call routes only to servers the catalog knows offer the tool, and each server's lists are fetched in the
 * background after its handshake: a test that then stops an upstream waits for this first.
 */
export const waitForCatalog = async (
  base: string,
  tool: string,
  servers: ReadonlyArray<string>,
  ms = 20_000
): Promise<void> => {
  const deadline = Date.now() + ms
  let offering: ReadonlyArray<string> = []
  while (Date.now() < deadline) {
    const tools = (await (await fetch(`${base}/api/v1/mcp/tools`)).json()) as Array<{
      name: string
      servers: Array<string>
    }>
    offering = tools.find((entry) => entry.name === tool)?.servers ?? []
    if (servers.every((server) => offering.includes(server))) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(
    `att's catalog did not list ${tool} on ${servers.join(", ")} within ${ms} ms; it listed: ${offering.join(", ") || "nothing"}`
  )
}
