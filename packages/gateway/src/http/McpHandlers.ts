import {
  type InvocationError,
  type InvocationResult,
  Manager,
  Registry,
  type ServerNotFound,
  Fleet,
  ServerStore,
  type StoreUnavailable,
  type ServerRecord,
  type SessionControlsUnavailable,
  type UpstreamRejected
} from "@att/core"
import { now } from "@att/core/internal"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { McpEndpoint } from "../mcp/McpEndpoint.js"
import { planRoute } from "../mcp/Routing.js"
import { AttApi } from "../api/Api.js"
import {
  BadRequest,
  ConfiguredServerConflict,
  InvocationFailed,
  NotReady,
  ServerNotFoundError,
  ServersBusy,
  SessionControlsConflict,
  StoreUnavailableError,
  UpstreamBadRequest,
  UpstreamNotFound
} from "../api/Errors.js"
import type { InvocationResponse, ServerResponse } from "../api/Schemas.js"
import { Catalog } from "../catalog/Catalog.js"
import { eventStream, parsePositions } from "../events/EventStream.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { hostOf, isHostName, refusalForResolved, refusalReason } from "../security/AddressPolicy.js"
import { HostResolver } from "../security/HostResolver.js"

const notFound = () => new ServerNotFoundError({ detail: "Server not found" })
const conflict = () => new SessionControlsConflict({ detail: "Adapter session controls are not available" })
const configured = (name: string) =>
  new ConfiguredServerConflict({
    detail: `${name} is declared in the config file: register, replace or delete it there`
  })
const storeFailed = (error: StoreUnavailable) =>
  new StoreUnavailableError({ detail: `registry not changed: ${error.reason}` })

/** JSON-RPC "resource not found": the one rejection answered 404; the others the caller gets are 400. */
const RESOURCE_NOT_FOUND = -32002

/**
 * An invocation's failure as its HTTP error: 503 when no server served it, 429 when every server it could go to is
 * busy, the upstream's rejection as 400 / 404.
 */
const fromInvokeError = (error: InvocationError | UpstreamRejected) => {
  if (error._tag === "InvocationError") {
    const { message, method, request_id, attempts } = error
    const detail = { message, method, request_id, attempts }
    return error.busy === true ? new ServersBusy({ detail }) : new InvocationFailed({ detail })
  }
  const { server, request_id, code, message } = error
  const detail =
    error.data === undefined
      ? { server, request_id, code, message }
      : { server, request_id, code, message, data: error.data }
  return code === RESOURCE_NOT_FOUND ? new UpstreamNotFound({ detail }) : new UpstreamBadRequest({ detail })
}

/** The REST answer of an invocation: the result once, the upstream's response as received only when asked for. */
const answerOf =
  (includeRaw: boolean | undefined) =>
  ({ server, method, request_id, result, raw_response }: InvocationResult): typeof InvocationResponse.Type =>
    includeRaw === true ? { server, method, request_id, result, raw_response } : { server, method, request_id, result }

/**
 * `preferred_servers` and invoke options of a REST tool call: the request's own order (which only orders), or, when
 * it names none, only the servers that list the tool, `offering` (every server when none lists it).
 */
export const toolInvocation = (
  offering: ReadonlyArray<string>,
  options: GatewayOptions["Type"],
  payload: { readonly preferred_servers?: ReadonlyArray<string> | null | undefined }
) => {
  if (payload.preferred_servers != null) return [payload.preferred_servers, {}] as const
  return offering.length === 0
    ? ([options.preferredOrder, {}] as const)
    : ([options.preferredOrder, { only: offering }] as const)
}

export const McpHandlers = HttpApiBuilder.group(AttApi, "mcp", (handlers) =>
  Effect.gen(function* () {
    const manager = yield* Manager
    const catalog = yield* Catalog
    const registry = yield* Registry
    const options = yield* GatewayOptions
    const resolver = yield* HostResolver
    const store = yield* ServerStore
    // A registration is written, then applied, as one step: two at once for a name end the same on disk and here,
    // and another replica's change (a fleet) is applied before or after it, never in between.
    const fleet = yield* Fleet.current
    /** An event page names the replica whose events it holds (each replica reads its own): once a page, not per event. */
    const fromReplica = <P extends object>(page: P) => ({ ...page, replica: fleet.replicaId })
    const isConfigured = (name: string) => options.declaredServers.has(name)
    const controls = manager.sessionControlsAvailable

    const present = (record: ServerRecord) =>
      Effect.zip(
        manager.sessionDiagnostics(record.name).pipe(
          Effect.map(Option.getOrNull),
          Effect.catchTag("ServerNotFound", () => Effect.succeed(null))
        ),
        catalog.counts(record.name)
      ).pipe(
        Effect.map(
          ([session, counts]): ServerResponse => ({
            ...record,
            session_mode: registry.unsafeEntry(record.name)?.target.sessionMode ?? "auto",
            adapter_controls_available: controls,
            adapter_session: session,
            capability_counts: counts
          })
        )
      )
    const presentAll = (records: ReadonlyArray<ServerRecord>) =>
      Effect.map(Effect.forEach(records, present), (items) => ({ items, adapter_controls_available: controls }))
    const one = (effect: Effect.Effect<ServerRecord, ServerNotFound>) =>
      effect.pipe(
        Effect.flatMap(present),
        Effect.catchTag("ServerNotFound", () => Effect.fail(notFound()))
      )
    const controlled = (effect: Effect.Effect<ServerRecord, ServerNotFound | SessionControlsUnavailable>) =>
      effect.pipe(
        Effect.flatMap(present),
        Effect.catchTags({
          ServerNotFound: () => Effect.fail(notFound()),
          SessionControlsUnavailable: () => Effect.fail(conflict())
        })
      )

    return handlers
      .handle("listTools", () => catalog.tools)
      .handle("listResources", () => catalog.resources)
      .handle("listServers", () => Effect.flatMap(manager.list, presentAll))
      .handle("getServer", ({ path }) => one(manager.get(path.name)))
      .handle("registerServer", ({ payload }) =>
        Effect.gen(function* () {
          if (isConfigured(payload.name)) return yield* configured(payload.name)
          const host = hostOf(payload.url)
          const refusal =
            refusalReason(host, options) ??
            (isHostName(host) ? refusalForResolved(host, yield* resolver.addresses(host), options) : null)
          if (refusal !== null) return yield* new BadRequest({ detail: refusal, field: "url" })
          const existing = yield* Effect.option(manager.get(payload.name))
          if (Option.isNone(existing) && (yield* manager.list).length >= options.maxServers) {
            return yield* new BadRequest({
              detail: `at most ${options.maxServers} servers can be registered`,
              field: "name"
            })
          }
          const upstream =
            payload.headers === undefined
              ? { transport: payload.transport, url: payload.url }
              : { transport: payload.transport, url: payload.url, headers: payload.headers }
          // On disk before the 201: a registration acknowledged survives a crash.
          const record = yield* fleet.writes(
            Effect.zipRight(
              Effect.mapError(
                store.save({
                  name: payload.name,
                  upstream,
                  call_timeout_ms: null,
                  ...(payload.session_mode === undefined ? {} : { session_mode: payload.session_mode })
                }),
                storeFailed
              ),
              manager.register(payload.name, upstream, { sessionMode: payload.session_mode })
            )
          )
          return yield* present(record)
        })
      )
      .handle("unregisterServer", ({ path }) =>
        Effect.gen(function* () {
          if (isConfigured(path.name)) return yield* configured(path.name)
          const removed = yield* fleet.writes(
            Effect.gen(function* () {
              if (Option.isNone(yield* registry.find(path.name))) return false
              yield* Effect.mapError(store.remove(path.name), storeFailed)
              return yield* manager.unregister(path.name)
            })
          )
          if (!removed) return yield* notFound()
        })
      )
      .handle("healthCheckServer", ({ path }) => one(manager.healthCheckServer(path.name)))
      .handle("healthCheckAll", () => Effect.flatMap(manager.healthCheckAll({ concurrency: 8 }), presentAll))
      .handle("initializeServer", ({ path, urlParams }) =>
        one(manager.initializeServer(path.name, { force: urlParams.force === true, respectWindow: true }))
      )
      .handle("initializeAll", ({ urlParams }) =>
        Effect.flatMap(
          manager.initializeAll({ force: urlParams.force === true, respectWindow: true, concurrency: 8 }),
          presentAll
        )
      )
      .handle("connectServer", ({ path }) => one(manager.connectServer(path.name)))
      .handle("connectAll", () => Effect.flatMap(manager.connectAll({ concurrency: 8 }), presentAll))
      .handle("invalidateSession", ({ path }) =>
        controlled(Effect.zipRight(manager.invalidateSession(path.name), manager.get(path.name)))
      )
      .handle("refreshSession", ({ path }) => controlled(manager.refreshSession(path.name)))
      .handle("listSessions", ({ urlParams }) =>
        Effect.map(manager.listSessions(urlParams), (items) => ({ adapter_controls_available: controls, items }))
      )
      .handle("listEvents", ({ urlParams }) => Effect.map(manager.connectionEventPage(urlParams), fromReplica))
      .handle("streamEvents", ({ urlParams, request }) => {
        const lastEventId = request.headers["last-event-id"]
        const resume = lastEventId === undefined ? undefined : parsePositions(lastEventId)
        if (lastEventId !== undefined && resume === undefined)
          return Effect.fail(
            new BadRequest({ detail: `not an event id of this stream: ${lastEventId}`, field: "last-event-id" })
          )
        return Effect.map(eventStream(urlParams, resume, fleet.replicaId), (stream) =>
          HttpServerResponse.stream(stream, {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" }
          })
        )
      })
      .handle("listInvocationEvents", ({ urlParams }) =>
        Effect.map(manager.invocationEventPage(urlParams), fromReplica)
      )
      .handle("invokeTool", ({ payload }) =>
        Effect.flatMap(catalog.offering("tools", payload.tool_name), (offering) => {
          const [preferred, invokeOptions] = toolInvocation(offering, options, payload)
          return manager.invokeTool(payload.tool_name, payload.arguments, preferred, invokeOptions)
        }).pipe(Effect.mapBoth({ onFailure: fromInvokeError, onSuccess: answerOf(payload.include_raw) }))
      )
      .handle("routeTool", ({ payload }) =>
        Effect.gen(function* () {
          const exposed = yield* catalog.exposedTools
          const tool = exposed.byName.get(payload.tool_name) ?? {
            name: payload.tool_name,
            upstreamName: payload.tool_name,
            servers: [],
            definition: {}
          }
          return planRoute(
            tool,
            yield* catalog.tools,
            yield* registry.list,
            options.preferredOrder,
            options.idempotentTools,
            yield* now
          )
        })
      )
      .handle("listCapabilityEvents", ({ urlParams }) => Effect.map(catalog.events(urlParams), fromReplica))
      .handle("readResource", ({ payload }) =>
        manager
          .readResource(payload.uri, payload.preferred_servers ?? options.preferredOrder)
          .pipe(Effect.mapBoth({ onFailure: fromInvokeError, onSuccess: answerOf(payload.include_raw) }))
      )
      .handle("wellKnown", () => Effect.succeed({ name: "att-mcp", transport: "streamable-http", endpoint: "/mcp" }))
  })
)

export const HealthHandlers = HttpApiBuilder.group(AttApi, "health", (handlers) =>
  Effect.map(ServerStore, (store) =>
    handlers
      .handle("health", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () =>
        // The link's last known state: no query per request.
        Effect.flatMap(store.status, (database) =>
          database.state === "ok"
            ? Effect.succeed({ status: "ok" as const, database })
            : Effect.fail(new NotReady({ status: "unavailable", database }))
        )
      )
  )
)

/** att's own MCP endpoint: each request handed whole to the MCP sessions. */
export const McpEndpointHandlers = HttpApiBuilder.group(AttApi, "mcpEndpoint", (handlers) =>
  Effect.map(McpEndpoint, (endpoint) =>
    handlers
      .handleRaw("send", ({ request }) => endpoint.handle(request))
      .handleRaw("listen", ({ request }) => endpoint.handle(request))
      .handleRaw("end", ({ request }) => endpoint.handle(request))
  )
)
