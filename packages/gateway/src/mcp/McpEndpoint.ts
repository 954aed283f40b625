import type { IncomingMessage, ServerResponse } from "node:http"
import { type InvocationError, type InvocationResult, Manager, type Progress, Registry, Transport } from "@att/core"
import { statefulMcpHandler } from "@att/sdk-transport"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema
} from "@modelcontextprotocol/sdk/types.js"
import { Effect, Either, Layer, Queue, Runtime } from "effect"
import { Catalog } from "../catalog/Catalog.js"
import type { ListKind } from "../catalog/Drift.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { type NodeRoutes, installRoute } from "../http/FastInvoke.js"
import { admission } from "../http/Guard.js"
import { repeatable } from "./Routing.js"
import { Subscriptions } from "./Subscriptions.js"

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

/** The host name of a Host header, without the port (`[::1]:8080` → `[::1]`). */
const hostName = (host: string): string => (host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0] ?? "")

/** DNS-rebinding protection: the Host header must name loopback or a configured host. */
export const hostAllowed = (host: string | undefined, allowed: ReadonlyArray<string>): boolean =>
  host !== undefined && (LOOPBACK_HOSTS.has(hostName(host).toLowerCase()) || allowed.includes(hostName(host).toLowerCase()))

const jsonRpcError = (response: ServerResponse, status: number, message: string) => {
  response.writeHead(status, { "content-type": "application/json" })
  response.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }))
}

/** An invocation that failed everywhere, as an MCP error carrying the request id and every attempt. */
const mcpFailure = (error: InvocationError) =>
  new McpError(ErrorCode.InternalError, error.message, { request_id: error.request_id, attempts: error.attempts })

/**
 * att as an MCP server at `/mcp`: one stateful Streamable HTTP endpoint (a transport and an SDK `Server` per
 * session) whose tools, resources, resource templates and prompts are the union of the upstreams' (from the
 * Catalog), routed through the manager with its failover, events and correlation. Sessions are told
 * `list_changed` when an upstream's lists change.
 */
export const McpEndpoint = (routes: NodeRoutes) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const manager = yield* Manager
      const registry = yield* Registry
      const transport = yield* Transport
      const catalog = yield* Catalog
      const settings = yield* GatewayOptions
      const run = Runtime.runPromise(yield* Effect.runtime<never>())

      const exposed = catalog.exposedTools

      /** Run an invocation for an MCP handler: its result, or the MCP error to answer. */
      const outcome = async (effect: Effect.Effect<InvocationResult, InvocationError | McpError>) => {
        const result = await run(Effect.either(effect))
        if (Either.isRight(result)) return result.right.result as never
        throw result.left instanceof McpError ? result.left : mcpFailure(result.left)
      }

      /** The servers that list `uri`, else those that offer templates (a URI may come from one). */
      const resourceOwners = async (uri: string) => {
        const listed = await run(catalog.offering("resources", uri))
        if (listed.length > 0) return listed
        return [...new Set((await run(catalog.entries("resource_templates"))).flatMap((entry) => entry.servers))]
      }

      // Resource subscriptions: one upstream subscription per URI, whatever the number of att sessions.
      const subscriptions = new Subscriptions<Server>()
      const upstreamSubscription = (
        method: "resources/subscribe" | "resources/unsubscribe",
        uri: string,
        only: (owner: string) => boolean = () => true
      ) =>
        Effect.promise(() => resourceOwners(uri)).pipe(
          Effect.flatMap((owners) =>
            Effect.forEach(
              owners.filter(only),
              (name) =>
                registry.target(name).pipe(
                  Effect.flatMap((target) =>
                    transport.send(target, { jsonrpc: "2.0", id: `${method}-${crypto.randomUUID()}`, method, params: { uri } })
                  ),
                  Effect.ignore
                ),
              { concurrency: "unbounded", discard: true }
            )
          )
        )
      // A handshake usually means a new upstream session, which starts with no subscriptions: subscribe it again to
      // the URIs att's sessions listen to (subscribing twice is harmless).
      const handshakes = yield* manager.subscribeHandshakes
      yield* Queue.take(handshakes).pipe(
        Effect.flatMap((server) =>
          Effect.forEach(subscriptions.uris(), (uri) => upstreamSubscription("resources/subscribe", uri, (owner) => owner === server), {
            discard: true
          })
        ),
        Effect.forever,
        Effect.forkScoped
      )

      const sessions = new Set<Server>()
      const makeServer = () => {
        // A session's instructions are those of its initialize: the upstreams' as they are when it is made.
        const instructions = Effect.runSync(catalog.instructions)
        const server = new Server(
          { name: "att", version: "0.1.0" },
          {
            capabilities: {
              tools: { listChanged: true },
              resources: { listChanged: true, subscribe: true },
              prompts: { listChanged: true },
              completions: {},
              logging: {}
            },
            ...(instructions === undefined ? {} : { instructions })
          }
        )
        sessions.add(server)
        server.onclose = () => {
          sessions.delete(server)
          for (const uri of subscriptions.drop(server)) void run(upstreamSubscription("resources/unsubscribe", uri))
        }

        server.setRequestHandler(ListToolsRequestSchema, async () => ({
          tools: (await run(exposed)).tools.map((tool) => ({ ...tool.definition, name: tool.name }))
        }))
        server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
          // The client's progress token stands for the upstream's: relay each notification under it, all of them
          // before the result (a notification sent after the response would land on a closed stream).
          const token = request.params._meta?.progressToken
          const relayed: Array<Promise<void>> = []
          const onProgress = (progress: Progress) => {
            relayed.push(
              extra
                .sendNotification({ method: "notifications/progress", params: { ...progress, progressToken: token as string | number } })
                .catch(() => undefined)
            )
          }
          // One run per call: the name is looked up and the call made in the same fiber.
          const result = await outcome(
            Effect.flatMap(exposed, ({ byName }): Effect.Effect<InvocationResult, InvocationError | McpError> => {
              const tool = byName.get(request.params.name)
              if (tool === undefined) return Effect.fail(new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`))
              return manager.invokeTool(tool.upstreamName, request.params.arguments ?? {}, settings.preferredOrder, {
                only: tool.servers,
                failoverAfterSend: repeatable(tool, settings.idempotentTools),
                ...(token === undefined ? {} : { onProgress })
              })
            })
          )
          await Promise.all(relayed)
          return result
        })
        server.setRequestHandler(ListResourcesRequestSchema, async () => ({
          resources: (await run(catalog.entries("resources"))).map((entry) => entry.definition) as never
        }))
        server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
          resourceTemplates: (await run(catalog.entries("resource_templates"))).map((entry) => entry.definition) as never
        }))
        server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
          const uri = request.params.uri
          const servers = await resourceOwners(uri)
          if (servers.length === 0) throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri}`)
          return outcome(manager.readResource(uri, settings.preferredOrder, { only: servers }))
        })
        server.setRequestHandler(ListPromptsRequestSchema, async () => ({
          prompts: (await run(catalog.entries("prompts"))).map((entry) => entry.definition) as never
        }))
        server.setRequestHandler(GetPromptRequestSchema, async (request) => {
          const prompt = (await run(catalog.entries("prompts"))).find((entry) => entry.key === request.params.name)
          if (prompt === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`)
          return outcome(
            manager.getPrompt(request.params.name, request.params.arguments ?? null, settings.preferredOrder, {
              only: prompt.servers
            })
          )
        })
        server.setRequestHandler(CompleteRequestSchema, async (request) => {
          const ref = request.params.ref
          const owners =
            ref.type === "ref/prompt"
              ? (await run(catalog.offering("prompts", ref.name)))
              : [...(await run(catalog.offering("resource_templates", ref.uri))), ...(await run(catalog.offering("resources", ref.uri)))]
          // Nobody offers it: no suggestions, as a server answers for an argument it cannot complete.
          if (owners.length === 0) return { completion: { values: [] } }
          return outcome(manager.complete(request.params, settings.preferredOrder, { only: owners }))
        })
        server.setRequestHandler(SubscribeRequestSchema, async (request) => {
          const uri = request.params.uri
          if ((await resourceOwners(uri)).length === 0) throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri}`)
          if (subscriptions.add(uri, server)) await run(upstreamSubscription("resources/subscribe", uri))
          return {}
        })
        server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
          if (subscriptions.remove(request.params.uri, server)) await run(upstreamSubscription("resources/unsubscribe", request.params.uri))
          return {}
        })
        // logging/setLevel is the SDK's own handler: it keeps the level per session, and sendLoggingMessage obeys it.
        return server
      }

      // Tell every open session what changed upstream.
      const announce = (kinds: ReadonlyArray<ListKind>) =>
        Effect.promise(() =>
          Promise.all(
            [...sessions].flatMap((server) => [
              ...(kinds.includes("tools") ? [server.sendToolListChanged()] : []),
              ...(kinds.includes("resources") || kinds.includes("resource_templates") ? [server.sendResourceListChanged()] : []),
              ...(kinds.includes("prompts") ? [server.sendPromptListChanged()] : [])
            ]).map((sent) => sent.catch(() => undefined))
          )
        )
      const changes = yield* catalog.subscribeChanges
      yield* Queue.take(changes).pipe(Effect.flatMap(announce), Effect.forever, Effect.forkScoped)
      // An upstream's resource update goes to the sessions subscribed to that URI.
      const updates = yield* transport.subscribeResourceUpdates
      yield* Queue.take(updates).pipe(
        Effect.flatMap(({ uri }) =>
          Effect.promise(() =>
            Promise.all(subscriptions.subscribers(uri).map((server) => server.sendResourceUpdated({ uri }).catch(() => undefined)))
          )
        ),
        Effect.forever,
        Effect.forkScoped
      )

      // An upstream's log message goes to every session whose level admits it: upstream sessions are shared by all
      // clients, so a message cannot be traced to one. The logger names the server it came from.
      const logs = yield* transport.subscribeLogMessages
      yield* Queue.take(logs).pipe(
        Effect.flatMap(({ server: name, level, logger, data }) =>
          Effect.promise(() => {
            const params = { level, logger: logger === undefined ? name : `${name}/${logger}`, data }
            return Promise.all(
              [...sessions].map((server) => server.sendLoggingMessage(params, server.transport?.sessionId).catch(() => undefined))
            )
          })
        ),
        Effect.forever,
        Effect.forkScoped
      )

      const endpoint = statefulMcpHandler(makeServer)
      yield* installRoute(routes, (request: IncomingMessage, response: ServerResponse) => {
        if (request.url !== "/mcp" && !(request.url ?? "").startsWith("/mcp?")) return false
        const refusal = admission(request.headers, settings)
        if (refusal !== null) {
          response.writeHead(refusal.status, { ...refusal.headers, "content-type": "application/json" })
          response.end(JSON.stringify({ detail: refusal.detail }))
          return true
        }
        if (!hostAllowed(request.headers.host, settings.allowedHosts)) {
          jsonRpcError(response, 403, `Invalid Host header: ${request.headers.host ?? "(none)"}`)
          return true
        }
        endpoint.handle(request, response).catch(() => {
          if (!response.headersSent) jsonRpcError(response, 400, "Parse error: the body must be JSON-RPC")
          else response.end()
        })
        return true
      })
      yield* Effect.addFinalizer(() => Effect.sync(endpoint.closeAll))
    })
  )
