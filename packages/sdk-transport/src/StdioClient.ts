import { type ChildProcess, spawn } from "node:child_process"
import type { Writable } from "node:stream"
import { deserializeMessage, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js"
import type { Transport as SdkClientTransport } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import { BoundedLines } from "./BoundedLines.js"
import { OversizedBody, oversizedResponse } from "./ResultLimit.js"

export interface StdioChild {
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** The child's whole environment. */
  readonly env: Record<string, string>
  readonly cwd?: string
  /** Bound on one message from the child (one line of its stdout). */
  readonly maxMessageBytes: number
  /** Wait `ms` on the caller's clock (Effect's `Clock`, so tests drive the close's grace periods with TestClock). */
  readonly sleep: (ms: number) => Promise<void>
  /** Told the size of each message that answers a request (att_result_bytes). */
  readonly resultBytes?: (bytes: number) => void
}

/**
 * The client side of MCP over stdio: a child process, newline-delimited JSON-RPC on its stdin and stdout. Beside
 * the SDK's `StdioClientTransport`, whose reader holds a line whole (copying it at every chunk) and closes the child
 * for every caller when one passes its buffer (10 MB), a message here over `maxMessageBytes` is dropped as it
 * streams and fails only the request it answered; the child and the other requests carry on. Messages sent in one
 * turn of the event loop go out in one write.
 */
export class BoundedStdioTransport implements SdkClientTransport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void

  private child: ChildProcess | undefined
  private corked = false

  constructor(private readonly params: StdioChild) {}

  /** Spawns the child (synchronously: its pid is known when this returns) and resolves once it runs. */
  start(): Promise<void> {
    if (this.child !== undefined) return Promise.reject(new Error("BoundedStdioTransport already started"))
    const { command, args, env, cwd, maxMessageBytes } = this.params
    const lines = new BoundedLines(
      maxMessageBytes,
      (line) => this.receive(line),
      (dropped) => {
        const id = dropped.responseId()
        if (id === null) this.onerror?.(new OversizedBody(maxMessageBytes))
        else this.deliver(oversizedResponse(id, maxMessageBytes))
      }
    )
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...args], {
        env,
        stdio: ["pipe", "pipe", "ignore"],
        shell: false,
        windowsHide: process.platform === "win32",
        ...(cwd === undefined ? {} : { cwd })
      })
      this.child = child
      child.on("error", (error) => {
        reject(error)
        this.onerror?.(error)
      })
      child.on("spawn", () => resolve())
      child.on("close", () => {
        this.child = undefined
        this.onclose?.()
      })
      child.stdin?.on("error", (error) => this.onerror?.(error))
      child.stdout?.on("data", (chunk: Buffer) => lines.push(chunk))
      child.stdout?.on("error", (error) => this.onerror?.(error))
    })
  }

  /** The child's pid once spawned, null after it is gone. */
  get pid(): number | null {
    return this.child?.pid ?? null
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin
    if (stdin === undefined || stdin === null) return Promise.reject(new Error("Not connected"))
    this.batchWrites(stdin)
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve()
      else stdin.once("drain", resolve)
    })
  }

  /** End stdin and wait for the child to leave; SIGTERM after 2 s, SIGKILL after 2 s more. */
  async close(): Promise<void> {
    const child = this.child
    if (child === undefined) return
    this.child = undefined
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()))
    const running = () => child.exitCode === null && child.signalCode === null
    try {
      child.stdin?.end()
    } catch {
      // already closed
    }
    const waitFor = (ms: number) => Promise.race([closed, this.params.sleep(ms)])
    await waitFor(2_000)
    if (running()) child.kill("SIGTERM")
    await waitFor(2_000)
    if (running()) child.kill("SIGKILL")
  }

  private receive(line: Buffer): void {
    let message: JSONRPCMessage
    try {
      message = deserializeMessage(line.toString("utf8"))
    } catch (error) {
      this.onerror?.(error as Error)
      return
    }
    if ("id" in message && !("method" in message)) this.params.resultBytes?.(line.byteLength)
    this.deliver(message)
  }

  private deliver(message: JSONRPCMessage): void {
    try {
      this.onmessage?.(message)
    } catch (error) {
      this.onerror?.(error as Error)
    }
  }

  /**
   * Messages sent to the child in one turn of the event loop go out in one write: its stdin is corked until the
   * loop's check phase, after every socket that was ready has been read. Under load this saves a system call and a
   * wake-up of the child per message; a message alone waits for nothing but the end of the current turn.
   */
  private batchWrites(stdin: Writable): void {
    if (this.corked) return
    this.corked = true
    stdin.cork()
    setImmediate(() => {
      this.corked = false
      stdin.uncork()
    })
  }
}
