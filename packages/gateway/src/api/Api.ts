import { JsonValue } from "@att/core"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Authorization } from "./Security.js"
import {
  BadRequest,
  InvocationFailed,
  MisdirectedRequest,
  OriginRefused,
  PayloadTooLarge,
  UnsupportedMediaType,
  ServerNotFoundError,
  ServersBusy,
  SessionControlsConflict,
  ConfiguredServerConflict,
  StoreUnavailableError,
  NotReady,
  UpstreamBadRequest,
  UpstreamNotFound
} from "./Errors.js"
import {
  AdapterSessionsQuery,
  CapabilityEventsQuery,
  CapabilityEventsResponse,
  AdapterSessionsResponse,
  ConnectionEventsQuery,
  ConnectionEventsResponse,
  EventStreamBody,
  EventStreamQuery,
  HealthResponse,
  InitializeQuery,
  InvocationEventsQuery,
  InvocationEventsResponse,
  InvocationResponse,
  InvokeToolRequest,
  NamePath,
  ReadResourceRequest,
  RegisterRequest,
  ResourceDescriptor,
  RoutePlanResponse,
  RouteToolRequest,
  ServerResponse,
  ServersResponse,
  ReadyResponse,
  ToolDescriptor,
  WellKnown
} from "./Schemas.js"

/** A `POST /servers/:name<suffix>` route answering the server, 404 for an unknown name. */
const perServer = <Id extends string>(id: Id, suffix: `/${string}`) =>
  HttpApiEndpoint.post(id, `/servers/:name${suffix}`)
    .setPath(NamePath)
    .addSuccess(ServerResponse)
    .addError(ServerNotFoundError)

/** The manager's routes under `/api/v1/mcp`. */
export class McpGroup extends HttpApiGroup.make("mcp")
  .add(HttpApiEndpoint.get("listTools", "/tools").addSuccess(Schema.Array(ToolDescriptor)))
  .add(HttpApiEndpoint.get("listResources", "/resources").addSuccess(Schema.Array(ResourceDescriptor)))
  .add(HttpApiEndpoint.get("listServers", "/servers").addSuccess(ServersResponse))
  .add(
    HttpApiEndpoint.post("registerServer", "/servers")
      .setPayload(RegisterRequest)
      .addSuccess(ServerResponse, { status: 201 })
      .addError(BadRequest)
      .addError(ConfiguredServerConflict)
      .addError(StoreUnavailableError)
  )
  .add(HttpApiEndpoint.post("healthCheckAll", "/servers/health-check").addSuccess(ServersResponse))
  .add(
    HttpApiEndpoint.post("initializeAll", "/servers/initialize")
      .setUrlParams(InitializeQuery)
      .addSuccess(ServersResponse)
  )
  .add(HttpApiEndpoint.post("connectAll", "/servers/connect").addSuccess(ServersResponse))
  .add(
    HttpApiEndpoint.get("getServer", "/servers/:name")
      .setPath(NamePath)
      .addSuccess(ServerResponse)
      .addError(ServerNotFoundError)
  )
  .add(
    HttpApiEndpoint.del("unregisterServer", "/servers/:name")
      .setPath(NamePath)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ServerNotFoundError)
      .addError(ConfiguredServerConflict)
      .addError(StoreUnavailableError)
  )
  .add(perServer("healthCheckServer", "/health-check"))
  .add(perServer("initializeServer", "/initialize").setUrlParams(InitializeQuery))
  .add(perServer("connectServer", "/connect"))
  .add(perServer("invalidateSession", "/adapter/invalidate").addError(SessionControlsConflict))
  .add(perServer("refreshSession", "/adapter/refresh").addError(SessionControlsConflict))
  .add(
    HttpApiEndpoint.get("listSessions", "/adapter-sessions")
      .setUrlParams(AdapterSessionsQuery)
      .addSuccess(AdapterSessionsResponse)
  )
  .add(
    HttpApiEndpoint.get("listEvents", "/events")
      .setUrlParams(ConnectionEventsQuery)
      .addSuccess(ConnectionEventsResponse)
  )
  .add(
    HttpApiEndpoint.get("streamEvents", "/events/stream")
      .setUrlParams(EventStreamQuery)
      .addSuccess(EventStreamBody)
      .addError(BadRequest)
      .annotate(OpenApi.Description, "Connection, invocation and capability events as they happen (SSE)")
  )
  .add(
    HttpApiEndpoint.get("listInvocationEvents", "/invocation-events")
      .setUrlParams(InvocationEventsQuery)
      .addSuccess(InvocationEventsResponse)
  )
  .add(
    HttpApiEndpoint.post("invokeTool", "/invoke/tool")
      .setPayload(InvokeToolRequest)
      .addSuccess(InvocationResponse)
      .addError(InvocationFailed)
      .addError(ServersBusy)
      .addError(UpstreamBadRequest)
      .addError(UpstreamNotFound)
  )
  .add(
    HttpApiEndpoint.post("readResource", "/invoke/resource")
      .setPayload(ReadResourceRequest)
      .addSuccess(InvocationResponse)
      .addError(InvocationFailed)
      .addError(ServersBusy)
      .addError(UpstreamBadRequest)
      .addError(UpstreamNotFound)
  )
  .add(HttpApiEndpoint.post("routeTool", "/route/tool").setPayload(RouteToolRequest).addSuccess(RoutePlanResponse))
  .add(
    HttpApiEndpoint.get("listCapabilityEvents", "/capability-events")
      .setUrlParams(CapabilityEventsQuery)
      .addSuccess(CapabilityEventsResponse)
  )
  .add(HttpApiEndpoint.get("wellKnown", "/.well-known").addSuccess(WellKnown))
  .middleware(Authorization)
  .prefix("/api/v1/mcp") {}

/** Liveness (`/health`: the process answers) and readiness (`/ready`: its database can be written). */
export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("health", "/api/v1/health").addSuccess(HealthResponse))
  .add(HttpApiEndpoint.get("ready", "/api/v1/ready").addSuccess(ReadyResponse).addError(NotReady)) {}

/** A JSON-RPC message or batch, as MCP's Streamable HTTP transport sends them. */
const JsonRpcBody = JsonValue.annotations({ description: "A JSON-RPC request, notification or response, or a batch" })
const McpAnswer = JsonValue.annotations({
  description: "application/json (a JSON-RPC response) or text/event-stream (its messages as SSE events)"
})

/**
 * att's own MCP endpoint (Streamable HTTP, stateful: the `mcp-session-id` header names the session). Documented and
 * guarded here like every route; its messages are MCP's, not this document's.
 */
export class McpEndpointGroup extends HttpApiGroup.make("mcpEndpoint")
  .add(
    HttpApiEndpoint.post("send", "/mcp")
      .setPayload(JsonRpcBody)
      .addSuccess(McpAnswer)
      .annotate(
        OpenApi.Description,
        "Send a JSON-RPC message; `initialize` without a session opens one (503 over max_mcp_sessions)"
      )
  )
  .add(
    HttpApiEndpoint.get("listen", "/mcp")
      .addSuccess(McpAnswer)
      .annotate(OpenApi.Description, "The session's stream of server-to-client messages (SSE)")
  )
  .add(HttpApiEndpoint.del("end", "/mcp").addSuccess(McpAnswer).annotate(OpenApi.Description, "End the session"))
  .middleware(Authorization)
  .annotate(OpenApi.Title, "MCP (Streamable HTTP)") {}

/**
 * The whole HTTP API of att; a typed client is `HttpApiClient.make(AttApi)`. Every route may answer 400 (a body
 * that is not valid JSON, or nested deeper than `max_json_depth`), 403, 413, 415 and 421: the service's guard
 * decides those before the route runs. Bodies may carry fields a route does not know: they are ignored.
 */
export class AttApi extends HttpApi.make("att")
  .add(McpGroup)
  .add(McpEndpointGroup)
  .add(HealthGroup)
  .addError(BadRequest)
  .addError(OriginRefused)
  .addError(PayloadTooLarge)
  .addError(UnsupportedMediaType)
  .addError(MisdirectedRequest)
  .annotate(OpenApi.Title, "att: MCP client manager and gateway")
  .annotate(OpenApi.Version, "0.1.0") {}
