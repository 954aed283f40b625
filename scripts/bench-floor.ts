/**
 * The benchmark's floor, in its own process like att: the least an HTTP front can do — parse the body, forward it
 * on an SDK client connected once at start, answer. Usage: `tsx bench-floor.ts '<upstream JSON>'`; prints
 * `listening <port>` when ready.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { fetchWithoutSessionSignal } from "./fetchWithoutSessionSignal.js"

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
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { tool_name: string; arguments: Record<string, unknown> }
    client.callTool({ name: body.tool_name, arguments: body.arguments }).then(
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
