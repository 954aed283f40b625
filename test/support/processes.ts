import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { once } from "node:events"
import { readFileSync } from "node:fs"
import { join } from "node:path"

export const ROOT = join(import.meta.dirname, "..", "..")

/** Start a TypeScript entry point under tsx as a child process (its own pid: signals reach it directly). */
export const spawnTs = (entry: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): ChildProcess =>
  spawn(process.execPath, ["--import", "tsx", join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
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
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((value) => Number.isInteger(value) && value > 0)
  } catch {
    return []
  }
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
