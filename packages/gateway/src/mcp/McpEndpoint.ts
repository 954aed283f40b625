/*
 * Over 300 lines on purpose for now: one closure holds what every session's server shares (the catalog, the
 * subscriptions, the relays of progress, logs, changes and upstream requests). Its upstream requests go through the
 * Manager; the SDK `Server` per session is what keeps the rest here (a front of att's own, for the 2026-07-28
 * revision beside this one, would split it: `todo/protocol_seam.md`).
 */
import {
  Fleet,
  InvocationError,
  type InvocationResult,
  Manager,
  type Progress,
  SessionBudget,
  type SessionBudgetShape,
  type UpstreamRejected
} from "@att/core"
import { recordEventsDropped } from "@att/core/internal"
import { type HttpServerRequest, HttpServerResponse } from "@effect/platform"
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
import { Clock, Effect, Either, Option, Queue, Runtime } from "effect"
import { Catalog } from "../catalog/Catalog.js"
import type { ListKind } from "../catalog/Drift.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { callerOf } from "./ClientRelay.js"
import { listResult } from "./Paging.js"
import { scopedSessions, sessionIdPrefix } from "./SessionLifecycle.js"
import { SessionOutbox } from "./SessionOutbox.js"
import { repeatable } from "./Routing.js"
import { Subscriptions } from "./Subscriptions.js"

type LoggingParams = Parameters<Server["sendLoggingMessage"]>[0]

/** An invocation that failed everywhere, as an MCP error carrying the request id and every attempt. */
const mcpFailure = (error: InvocationError) =>
  new McpError(ErrorCode.InternalError, error.message, { request_id: error.request_id, attempts: error.attempts })

/**
 * att as an MCP server at `/mcp`: one stateful Streamable HTTP endpoint (a transport and an SDK `Server` per
 * session) whose tools, resources, resource templates and prompts are the union of the upstreams' (from the
 * Catalog), routed through the manager with its failover, events and correlation. Sessions are told
 * `list_changed` when an upstream's lists change.
 */
export class McpEndpoint extends Effect.Service<McpEndpoint>()("att/McpEndpoint", {
  scoped: Effect.gen(function* () {
    const manager = yield* Manager
    const catalog = yield* Catalog
    const settings = yield* GatewayOptions
    const run = Runtime.runPromise(yield* Effect.runtime<never>())

    const exposed = catalog.exposedTools

    /**
     * Run an invocation for an MCP handler: its result, or the error to answer. An upstream's answer to the caller
     * (`UpstreamRejected`) goes back with its own code, message and data (the SDK server sends any thrown error's
     * `code`, `message` and `data`); att's own failures carry the request id. The client's cancellation (the SDK
     * aborts `signal` on `notifications/cancelled`, or when the session ends) interrupts the invocation, which
     * cancels the upstream's request in turn.
     */
    const outcome = async (
      effect: Effect.Effect<InvocationResult, InvocationError | UpstreamRejected | McpError>,
      signal: AbortSignal
    ) => {
      const result = await run(Effect.either(effect), { signal })
      if (Either.isRight(result)) return result.right.result as never
      const error = result.left
      throw error instanceof InvocationError ? mcpFailure(error) : error
    }

    /** One page of one of att's lists, `list_page_size` items at most. */
    const paged = (key: string, items: ReadonlyArray<unknown>, cursor: string | undefined) =>
      listResult(key, items, cursor, settings.listPageSize) as never
    const definitions = async (kind: ListKind) => (await run(catalog.entries(kind))).map((entry) => entry.definition)

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
            (name) => Effect.ignore(manager.request(name, method, { uri }, { staleOk: true })),
            { concurrency: "unbounded", discard: true }
          )
        )
      )
    // A handshake usually means a new upstream session, which starts with no subscriptions: subscribe it again to
    // the URIs att's sessions listen to (subscribing twice is harmless).
    const handshakes = yield* manager.subscribeHandshakes
    yield* Queue.take(handshakes).pipe(
      Effect.flatMap((server) =>
        Effect.forEach(
          subscriptions.uris(),
          (uri) => upstreamSubscription("resources/subscribe", uri, (owner) => owner === server),
          {
            discard: true
          }
        )
      ),
      Effect.forever,
      Effect.forkScoped
    )

    /** The open sessions, each with the outbox its upstream log messages wait in. */
    const sessions = new Map<Server, SessionOutbox<LoggingParams>>()
    const makeServer = () => {
      // A session's instructions are those of its initialize: the upstreams' as they are when it is made.
      const instructions = Effect.runSync(catalog.instructions)
      // att's id for this client: the upstream sessions of its own (see `callerOf`) are closed with its session.
      const client = crypto.randomUUID()
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
      sessions.set(
        server,
        new SessionOutbox((params) => server.sendLoggingMessage(params, server.transport?.sessionId))
      )
      server.onclose = () => {
        const outbox = sessions.get(server)
        sessions.delete(server)
        outbox?.close()
        if (outbox !== undefined && outbox.dropped > 0) {
          recordEventsDropped("mcp_log_messages", outbox.dropped)
          void run(
            Effect.logWarning(`an /mcp session was too slow for ${outbox.dropped} upstream log messages (dropped)`)
          )
        }
        for (const uri of subscriptions.drop(server)) void run(upstreamSubscription("resources/unsubscribe", uri))
        void run(manager.releaseClient(client))
      }

      server.setRequestHandler(ListToolsRequestSchema, async (request) =>
        paged(
          "tools",
          (await run(exposed)).tools.map((tool) => ({ ...tool.definition, name: tool.name })),
          request.params?.cursor
        )
      )
      server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
        // The client's progress token stands for the upstream's: relay each notification under it, all of them
        // before the result (a notification sent after the response would land on a closed stream).
        const token = request.params._meta?.progressToken
        const relayed: Array<Promise<void>> = []
        const onProgress = (progress: Progress) => {
          relayed.push(
            extra
              .sendNotification({
                method: "notifications/progress",
                params: { ...progress, progressToken: token as string | number }
              })
              .catch(() => undefined)
          )
        }
        // One run per call: the name is looked up and the call made in the same fiber.
        const result = await outcome(
          Effect.flatMap(exposed, ({ byName }): Effect.Effect<InvocationResult, InvocationError | McpError> => {
            const tool = byName.get(request.params.name)
            if (tool === undefined)
              return Effect.fail(new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`))
            return manager.invokeTool(tool.upstreamName, request.params.arguments ?? {}, settings.preferredOrder, {
              only: tool.servers,
              failoverAfterSend: repeatable(tool, settings.idempotentTools),
              ...callerOf(server, client, extra),
              ...(token === undefined ? {} : { onProgress })
            })
          }),
          extra.signal
        )
        await Promise.all(relayed)
        return result
      })
      server.setRequestHandler(ListResourcesRequestSchema, async (request) =>
        paged("resources", await definitions("resources"), request.params?.cursor)
      )
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request) =>
        paged("resourceTemplates", await definitions("resource_templates"), request.params?.cursor)
      )
      server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
        const uri = request.params.uri
        const servers = await resourceOwners(uri)
        if (servers.length === 0) throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri}`)
        const caller = callerOf(server, client, extra)
        return outcome(manager.readResource(uri, settings.preferredOrder, { only: servers, ...caller }), extra.signal)
      })
      server.setRequestHandler(ListPromptsRequestSchema, async (request) =>
        paged("prompts", await definitions("prompts"), request.params?.cursor)
      )
      server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
        const prompt = (await run(catalog.entries("prompts"))).find((entry) => entry.key === request.params.name)
        if (prompt === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`)
        return outcome(
          manager.getPrompt(request.params.name, request.params.arguments ?? null, settings.preferredOrder, {
            only: prompt.servers,
            ...callerOf(server, client, extra)
          }),
          extra.signal
        )
      })
      server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
        const ref = request.params.ref
        const owners =
          ref.type === "ref/prompt"
            ? await run(catalog.offering("prompts", ref.name))
            : [
                ...(await run(catalog.offering("resource_templates", ref.uri))),
                ...(await run(catalog.offering("resources", ref.uri)))
              ]
        // Nobody offers it: no suggestions, as a server answers for an argument it cannot complete.
        if (owners.length === 0) return { completion: { values: [] } }
        const caller = callerOf(server, client, extra)
        return outcome(
          manager.complete(request.params, settings.preferredOrder, { only: owners, ...caller }),
          extra.signal
        )
      })
      server.setRequestHandler(SubscribeRequestSchema, async (request) => {
        const uri = request.params.uri
        if ((await resourceOwners(uri)).length === 0)
          throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri}`)
        if (subscriptions.add(uri, server)) await run(upstreamSubscription("resources/subscribe", uri))
        return {}
      })
      server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
        if (subscriptions.remove(request.params.uri, server))
          await run(upstreamSubscription("resources/unsubscribe", request.params.uri))
        return {}
      })
      // logging/setLevel is the SDK's own handler: it keeps the level per session, and sendLoggingMessage obeys it.
      return server
    }

    // Tell every open session what changed upstream.
    const announce = (kinds: ReadonlyArray<ListKind>) =>
      Effect.promise(() =>
        Promise.all(
          [...sessions.keys()]
            .flatMap((server) => [
              ...(kinds.includes("tools") ? [server.sendToolListChanged()] : []),
              ...(kinds.includes("resources") || kinds.includes("resource_templates")
                ? [server.sendResourceListChanged()]
                : []),
              ...(kinds.includes("prompts") ? [server.sendPromptListChanged()] : [])
            ])
            .map((sent) => sent.catch(() => undefined))
        )
      )
    const changes = yield* catalog.subscribeChanges
    yield* Queue.take(changes).pipe(Effect.flatMap(announce), Effect.forever, Effect.forkScoped)
    // An upstream's resource update goes to the sessions subscribed to that URI.
    const updates = yield* manager.subscribeResourceUpdates
    yield* Queue.take(updates).pipe(
      Effect.flatMap(({ uri }) =>
        Effect.promise(() =>
          Promise.all(
            subscriptions.subscribers(uri).map((server) => server.sendResourceUpdated({ uri }).catch(() => undefined))
          )
        )
      ),
      Effect.forever,
      Effect.forkScoped
    )

    // An upstream's log message goes to every session whose level admits it: upstream sessions are shared by all
    // clients, so a message cannot be traced to one. The logger names the server it came from.
    const logs = yield* manager.subscribeLogMessages
    yield* Queue.take(logs).pipe(
      Effect.tap(({ server: name, level, logger, data }) =>
        Effect.sync(() => {
          const params: LoggingParams = { level, logger: logger === undefined ? name : `${name}/${logger}`, data }
          for (const outbox of sessions.values()) outbox.offer(params)
        })
      ),
      Effect.forever,
      Effect.forkScoped
    )

    // Each session id names its replica, so a load balancer can route a session to the replica that holds it.
    const fleet = yield* Fleet.current
    // The budget the Manager's client sessions share, when the service core provides one.
    const provided: Option.Option<SessionBudgetShape> = yield* Effect.serviceOption(SessionBudget)
    const budget = Option.getOrElse(provided, () => SessionBudget.make(settings.maxMcpSessions))
    const endpoint = yield* scopedSessions(makeServer, settings, budget, sessionIdPrefix(fleet.replicaId))

    /** Serve one `/mcp` request. The body was read and parsed by the HTTP pipeline, under its limits. */
    const handle = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function* () {
        const body = request.method === "POST" ? yield* Effect.orElseSucceed(request.json, () => null) : undefined
        const web = new Request(new URL(request.url, "http://localhost"), {
          method: request.method,
          headers: request.headers as Record<string, string>
        })
        const now = yield* Clock.currentTimeMillis
        const response = yield* Effect.tryPromise(() => endpoint.handle(web, body, now)).pipe(
          Effect.catchAll((error) =>
            Effect.as(
              Effect.logError("/mcp request failed", error),
              Response.json(
                { jsonrpc: "2.0", id: null, error: { code: -32603, message: "Internal error" } },
                { status: 500 }
              )
            )
          )
        )
        return HttpServerResponse.fromWeb(response)
      })
    return { handle }
  })
}) {}
