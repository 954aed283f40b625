import type { IncomingMessage, ServerResponse } from "node:http"
import { Manager } from "@att/core"
import { statefulMcpHandler } from "@att/sdk-transport"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema
} from "@modelcontextprotocol/sdk/types.js"
import { Effect, Layer, Runtime } from "effect"
import { Catalog } from "../catalog/Catalog.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { type NodeRoutes, installRoute } from "../http/FastInvoke.js"
import { admission } from "../http/Guard.js"
import { type PrefixMode, exposeTools } from "./Exposure.js"

/**
 * att as an MCP server at `/mcp`: one stateful Streamable HTTP endpoint (a transport per session) whose tools and
 * resources are the union of the upstreams', routed through the manager with its failover, events and correlation.
 */
export const McpEndpoint = (routes: NodeRoutes, mode: PrefixMode) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const manager = yield* Manager
      const catalog = yield* Catalog
      const settings = yield* GatewayOptions
      const run = Runtime.runPromise(yield* Effect.runtime<never>())

      const tools = () => run(Effect.map(catalog.tools, (entries) => exposeTools(entries, mode)))

      const makeServer = () => {
        const server = new Server(
          { name: "att", version: "0.1.0" },
          { capabilities: { tools: { listChanged: false }, resources: { listChanged: false } } }
        )
        server.setRequestHandler(ListToolsRequestSchema, async () => ({
          tools: (await tools()).map((tool) => ({ ...tool.definition, name: tool.name }))
        }))
        server.setRequestHandler(CallToolRequestSchema, async (request) => {
          const tool = (await tools()).find((candidate) => candidate.name === request.params.name)
          if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`)
          const outcome = await run(
            Effect.either(manager.invokeTool(tool.upstreamName, request.params.arguments ?? {}, tool.servers, { only: tool.servers }))
          )
          if (outcome._tag === "Left") throw new McpError(ErrorCode.InternalError, outcome.left.message, { attempts: outcome.left.attempts })
          return outcome.right.result as never
        })
        server.setRequestHandler(ListResourcesRequestSchema, async () => ({
          resources: (await run(catalog.resources)).map((resource) => ({
            uri: resource.uri,
            name: resource.name ?? resource.uri,
            ...(resource.description === null ? {} : { description: resource.description })
          }))
        }))
        server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
          const offered = (await run(catalog.resources)).find((resource) => resource.uri === request.params.uri)
          const servers = offered?.servers
          const outcome = await run(
            Effect.either(manager.readResource(request.params.uri, servers ?? null, servers === undefined ? {} : { only: servers }))
          )
          if (outcome._tag === "Left") throw new McpError(ErrorCode.InternalError, outcome.left.message)
          return outcome.right.result as never
        })
        return server
      }

      const endpoint = statefulMcpHandler(makeServer)
      yield* installRoute(routes, (request: IncomingMessage, response: ServerResponse) => {
        if (request.url !== "/mcp" && !(request.url ?? "").startsWith("/mcp?")) return false
        const refusal = admission(request.headers, settings)
        if (refusal !== null) {
          response.writeHead(refusal.status, { ...refusal.headers, "content-type": "application/json" })
          response.end(JSON.stringify({ detail: refusal.detail }))
          return true
        }
        endpoint.handle(request, response).catch(() => {
          if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" })
          response.end(JSON.stringify({ detail: "Internal error" }))
        })
        return true
      })
      yield* Effect.addFinalizer(() => Effect.sync(endpoint.closeAll))
    })
  )
