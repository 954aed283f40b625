import {
  AdapterSessionDiagnostics,
  AdapterSessionStatus,
  ConnectionEvent,
  Freshness,
  HttpUpstream,
  InvocationError,
  InvocationEvent,
  InvocationResult,
  JsonValue,
  ServerRecord,
  ServerStatus,
  SessionMode,
  UpstreamRejected
} from "@att/core"
import { HttpApiSchema } from "@effect/platform"
import { ParseResult, Schema } from "effect"
import { CapabilityEvent, CapabilityEventKind, ListKind } from "../catalog/Drift.js"

/** How many items of each list att keeps for a server (what `/mcp` and the catalog offer of it). */
export const CapabilityCounts = Schema.Struct({
  tools: Schema.NonNegativeInt,
  resources: Schema.NonNegativeInt,
  resource_templates: Schema.NonNegativeInt,
  prompts: Schema.NonNegativeInt
})

/** Who an upstream's requests to a client (sampling, elicitation, roots) can reach; the register body's and the answer's. */
const SessionModeField = SessionMode.annotations({
  description:
    "Upstream sessions for /mcp clients that can answer the upstream's requests (sampling, elicitation, roots): `auto` (the default) gives such a client a session of its own on stdio and SSE upstreams and shares one Streamable HTTP session, `shared` always shares (those requests get an error), `per_client` always gives one of its own"
})

/** A server as the API shows it: its record, with its transport session and the size of its lists. */
export const ServerResponse = Schema.Struct({
  ...ServerRecord.fields,
  session_mode: SessionModeField,
  adapter_controls_available: Schema.Boolean,
  adapter_session: Schema.NullOr(AdapterSessionDiagnostics),
  capability_counts: Schema.NullOr(CapabilityCounts).annotations({
    description:
      "The items of each list att keeps for the server (those an MCP client accepts); null until its lists are first fetched after a handshake"
  })
})
export type ServerResponse = typeof ServerResponse.Type

export const ServersResponse = Schema.Struct({
  items: Schema.Array(ServerResponse),
  adapter_controls_available: Schema.Boolean
})

/**
 * What every event read answers beside its items: the replica whose events they are, where to read on from, and
 * what the buffer dropped unread.
 */
const EventPageFields = {
  replica: Schema.String.annotations({
    description:
      "The id of the replica that answered (`ATT_REPLICA_ID`, default hostname:pid): each replica answers its own events"
  }),
  cursor: Schema.NonNegativeInt.annotations({
    description: "The position to pass as `cursor` to read only newer events"
  }),
  missed: Schema.NonNegativeInt.annotations({
    description:
      "Events after the given `cursor` (of any server, matching the filters or not) the bounded buffer dropped before this read; 0 without a cursor"
  })
}

export const ConnectionEventsResponse = Schema.Struct({ items: Schema.Array(ConnectionEvent), ...EventPageFields })
export const InvocationEventsResponse = Schema.Struct({ items: Schema.Array(InvocationEvent), ...EventPageFields })
export const AdapterSessionsResponse = Schema.Struct({
  adapter_controls_available: Schema.Boolean,
  items: Schema.Array(AdapterSessionStatus)
})

/** A served invocation as the manager answers it; `raw_response` only when asked for. */
export const InvocationResponse = Schema.Struct({
  ...InvocationResult.fields,
  raw_response: Schema.optional(JsonValue).annotations({
    description: "The upstream's JSON-RPC response as received; only when the request set `include_raw`"
  })
})

/** An upstream's JSON-RPC error about the request itself, passed on as the upstream sent it (the manager's `UpstreamRejected`). */
export const UpstreamRejectionDetail = Schema.Struct(UpstreamRejected.fields).omit("_tag", "method")

/** The manager's `InvocationError`: every attempt, and the request id (busy or not, the status says). */
export const InvocationErrorDetail = Schema.Struct(InvocationError.fields).omit("_tag", "busy")

export const ToolDescriptor = Schema.Struct({
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  servers: Schema.Array(Schema.String)
})
export const ResourceDescriptor = Schema.Struct({
  uri: Schema.String,
  name: Schema.NullOr(Schema.String),
  description: Schema.NullOr(Schema.String),
  servers: Schema.Array(Schema.String)
})

export const WellKnown = Schema.Struct({
  name: Schema.String,
  transport: Schema.String,
  endpoint: Schema.String
})

export const HealthResponse = Schema.Struct({ status: Schema.Literal("ok") })

/** `/api/v1/ready` when att can serve: its database answers (`memory` with `--ephemeral`). */
export const ReadyResponse = Schema.Struct({
  status: Schema.Literal("ok"),
  database: Schema.Struct({ state: Schema.Literal("ok") })
})

/** Server names are path segments: no slashes, no control characters, not empty. */
export const ServerName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  Schema.annotations({
    identifier: "ServerName",
    description: "1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit",
    message: () => "name must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
  })
)

/** An absolute http(s) URL with a host, stored normalized (`http://x` becomes `http://x/`). */
export const HttpUrl = Schema.transformOrFail(Schema.String, Schema.String, {
  strict: true,
  decode: (input, _, ast) => {
    const parsed = URL.canParse(input) ? new URL(input) : null
    if (parsed === null || (parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hostname === "") {
      return ParseResult.fail(new ParseResult.Type(ast, input, "url must be an absolute http(s) URL with a host"))
    }
    return ParseResult.succeed(parsed.href)
  },
  encode: ParseResult.succeed
}).annotations({ identifier: "HttpUrl", description: "An absolute http or https URL" })

export const RegisterRequest = Schema.Struct({
  name: ServerName,
  url: HttpUrl,
  transport: Schema.optionalWith(HttpUpstream.fields.transport, { default: () => "streamable-http" as const }),
  headers: HttpUpstream.fields.headers,
  session_mode: Schema.optional(SessionModeField)
})

// The invoke bodies are decoded on every call, so their optional fields have no decoding default (a default makes
// the schema a transformation, decoded in two passes): absent `preferred_servers` is null and absent `arguments` is
// `{}` where they are read.
const PreferredServers = Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
const IncludeRaw = Schema.optional(
  Schema.Boolean.annotations({
    description: "Also answer the upstream's JSON-RPC response as received (`raw_response`); default false"
  })
)

export const InvokeToolRequest = Schema.Struct({
  tool_name: Schema.String,
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: JsonValue })),
  preferred_servers: PreferredServers,
  include_raw: IncludeRaw
})

export const ReadResourceRequest = Schema.Struct({
  uri: Schema.String,
  preferred_servers: PreferredServers,
  include_raw: IncludeRaw
})

/** `limit` must be an integer ≥ 1, written in decimal digits (no `0x10`, no ` 1`). */
export const Limit = Schema.String.pipe(
  Schema.pattern(/^[0-9]{1,9}$/, {
    message: () => "limit must be an integer written in decimal digits",
    description: "At most N items (an integer ≥ 1): the last N, or with `cursor` the first N after it"
  }),
  Schema.compose(Schema.NumberFromString),
  Schema.greaterThanOrEqualTo(1, { message: () => "limit must be at least 1" })
)

/** An event stream's position: 0 for its start, else the `cursor` a previous read answered. */
export const Cursor = Schema.String.pipe(
  Schema.pattern(/^[0-9]{1,16}$/, {
    message: () => "cursor must be a non-negative integer written in decimal digits",
    description:
      "Only the events after this position, oldest first: pass the `cursor` of the previous read (0: from the start)"
  }),
  Schema.compose(Schema.NumberFromString),
  Schema.lessThanOrEqualTo(Number.MAX_SAFE_INTEGER, { message: () => "cursor is too large" })
)

export const ConnectionEventsQuery = Schema.Struct({
  server: Schema.optional(Schema.String),
  correlation_id: Schema.optional(Schema.String),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Cursor)
})

export const InvocationEventsQuery = Schema.Struct({
  server: Schema.optional(Schema.String),
  method: Schema.optional(Schema.String),
  request_id: Schema.optional(Schema.String),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Cursor)
})

export const AdapterSessionsQuery = Schema.Struct({
  server: Schema.optional(Schema.String),
  freshness: Schema.optional(Freshness),
  active_only: Schema.optional(Schema.BooleanFromString),
  limit: Schema.optional(Limit)
})

export const InitializeQuery = Schema.Struct({
  force: Schema.optional(
    Schema.BooleanFromString.annotations({ description: "Handshake even if the current one is valid" })
  )
})

export const NamePath = Schema.Struct({ name: Schema.String })

export const RouteToolRequest = Schema.Struct({
  tool_name: Schema.String.annotations({ description: "The tool's name as att's /mcp exposes it" })
})

/** A dry run of a `/mcp` tool call: who would be tried, in order, and why each other server would not. */
export const RoutePlanResponse = Schema.Struct({
  tool_name: Schema.String,
  upstream_name: Schema.String,
  failover_after_send: Schema.Boolean,
  candidates: Schema.Array(Schema.Struct({ server: Schema.String, status: ServerStatus })),
  skipped: Schema.Array(
    Schema.Struct({
      server: Schema.String,
      reason: Schema.Literal(
        "not offered",
        "schema differs",
        "offered under another name",
        "retry window closed",
        "unreachable"
      )
    })
  )
})

export const CapabilityEventsQuery = Schema.Struct({
  server: Schema.optional(Schema.String),
  list: Schema.optional(ListKind),
  kind: Schema.optional(CapabilityEventKind),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Cursor)
})

/** `types=connection,invocation`: which events a live stream sends (all three without it). */
const EventTypes = Schema.compose(
  Schema.split(","),
  Schema.Array(Schema.Literal("connection", "invocation", "capability"))
).annotations({ description: "Comma-separated: connection, invocation, capability (default: all three)" })

/** The live event stream's filters: the event routes' own, each applied to the events that carry its field. */
export const EventStreamQuery = Schema.Struct({
  types: Schema.optional(EventTypes),
  server: Schema.optional(Schema.String),
  correlation_id: Schema.optional(Schema.String),
  method: Schema.optional(Schema.String),
  request_id: Schema.optional(Schema.String),
  list: Schema.optional(ListKind),
  kind: Schema.optional(CapabilityEventKind)
})

/** Server-sent events: `connection`, `invocation` and `capability` events, and a last `overflow`. */
export const EventStreamBody = Schema.String.pipe(
  HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })
).annotations({
  description:
    "SSE. Each event's `event:` is its type and `data:` the event as the event routes give it, with `replica`, the id of the replica it happened on; its `id:` resumes the stream (Last-Event-ID) with nothing lost or repeated. A reader that fell behind what the bounded buffers keep gets an `overflow` event, then the stream ends."
})

export const CapabilityEventsResponse = Schema.Struct({ items: Schema.Array(CapabilityEvent), ...EventPageFields })
