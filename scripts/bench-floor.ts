/**
 * The benchmark's floor, in its own process like att: the least an HTTP front can do — parse the body, forward it
 * on an SDK client connected once at start, answer. Usage: `tsx bench-floor.ts '<upstream JSON>' [fiber]`; prints
 * `listening <port>` when ready.
 *
 * With `fiber`, each forward runs in an Effect fiber of its own, set up as `att serve` sets up its fibers (no fiber
 * metrics, no allocation-site pretenuring) and doing nothing else: the share of att's overhead that is Effect's
 * runtime, apart from att's own work.
 */
import { setFlagsFromString } from "node:v8"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Exit, Runtime, RuntimeFlags } from "effect"
import { fetchWithoutSessionSignal } from "./fetchWithoutSessionSignal.js"

type CallResult = Awaited<ReturnType<Client["callTool"]>>
const inFiber = process.argv[3] === "fiber"
if (inFiber) setFlagsFromString("--no-allocation-site-pretenuring")
const runFork = Runtime.runFork(Runtime.disableRuntimeFlag(Runtime.defaultRuntime, RuntimeFlags.RuntimeMetrics))

/** The forward as a promise, or in a fiber of its own observed for its exit. */
const forward = (
  call: () => Promise<CallResult>,
  done: (result: CallResult) => void,
  failed: (error: unknown) => void
) => {
  if (!inFiber) return void call().then(done, failed)
  const fiber = runFork(Effect.tryPromise({ try: call, catch: (error) => error }))
  fiber.addObserver((exit) => (Exit.isSuccess(exit) ? done(exit.value) : failed(exit.cause)))
}

const upstream = JSON.parse(process.argv[2] ?? "{}") as { url?: string; command?: string; args?: Array<string> }
const client = new Client({ name: "floor", version: "0.0.0" })
await client.connect(
  upstream.url !== undefined
    ? new StreamableHTTPClientTransport(new URL(upstream.url), { fetch: fetchWithoutSessionSignal })
    : new StdioClientTransport({ command: upstream.command ?? "node", args: upstream.args ?? [], stderr: "ignore" })
)
const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as {
      tool_name: string
      arguments: Record<string, unknown>
    }
    forward(
      () => client.callTool({ name: body.tool_name, arguments: body.arguments }),
      (result) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ result }))
      },
      (error: unknown) => {
        res.writeHead(503, { "content-type": "application/json" })
        res.end(JSON.stringify({ error: String(error) }))
      }
    )
  })
})
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`))
process.on("SIGTERM", () => {
  server.close()
  void client.close().then(() => process.exit(0))
})
