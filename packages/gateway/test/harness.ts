import { HttpApiClient } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { TransportError } from "@att/core"
import { type Responder, type ScriptedAttOptions, scriptedAtt } from "@att/testkit"
import { expect } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AttApi, GatewayOptions, type GatewaySettings, HostResolver, HttpLive } from "@att/gateway"
import type { InvocationFailed } from "../src/api/Errors.js"

export interface ApiHarnessOptions extends ScriptedAttOptions {
  readonly gateway?: Partial<GatewaySettings>
  /** What host names resolve to at registration; names not listed resolve to nothing. */
  readonly hosts?: Readonly<Record<string, ReadonlyArray<string>>>
}

/**
 * The whole HTTP service in-process over the scripted transport, on a real loopback socket
 * (`NodeHttpServer.layerTest` also provides an `HttpClient` aimed at it). Build once per test.
 */
export const apiHarness = (options: ApiHarnessOptions = {}) =>
  HttpLive.pipe(
    Layer.provideMerge(scriptedAtt(options)),
    Layer.provideMerge(GatewayOptions.layer(options.gateway)),
    Layer.provideMerge(HostResolver.fixed(options.hosts)),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )

/** A typed client derived from the API definition. */
export const apiClient = HttpApiClient.make(AttApi)

/** The spec's FallbackTransport (§14.2): `codex` raises, `failing` answers rpc errors, others echo who served. */
export const fallbackResponder: Responder = (server, request) => {
  if (server === "codex")
    return Effect.fail(new TransportError({ message: "codex unavailable", category: "transport_error" }))
  if (!("id" in request)) return Effect.succeed({})
  if (server === "failing") return Effect.succeed({ jsonrpc: "2.0", id: request.id, error: { message: "rpc failure" } })
  return Effect.succeed({ jsonrpc: "2.0", id: request.id, result: { served_by: server, method: request.method } })
}

type Client = Effect.Effect.Success<typeof apiClient>

export const register = (client: Client, ...names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) =>
    client.mcp.registerServer({ payload: { name, url: `http://${name}.local`, transport: "streamable-http" } })
  )

export const invokeTool = (client: Client, preferred: ReadonlyArray<string> | null, tool_name = "att.project.list") =>
  client.mcp.invokeTool({ payload: { tool_name, arguments: {}, preferred_servers: preferred } })

export const readResource = (client: Client, preferred: ReadonlyArray<string> | null, uri = "att://projects") =>
  client.mcp.readResource({ payload: { uri, preferred_servers: preferred } })

export const invoke = (
  client: Client,
  method: "tools/call" | "resources/read",
  preferred: ReadonlyArray<string> | null
) => (method === "tools/call" ? invokeTool(client, preferred) : readResource(client, preferred))

/** The 503 detail of a failed invocation. */
export const failure = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flip(effect).pipe(
    Effect.flatMap((error) =>
      error._tag === "InvocationFailed"
        ? Effect.succeed((error as unknown as InvocationFailed).detail)
        : Effect.die(new Error(`expected a 503, got ${error._tag}`))
    )
  )

/** inv[S, rid]: the phases of one request at one server (spec §13.5), checking the `limit=1` tail too. */
export const phasesOf = (client: Client, request_id: string, server?: string, method?: string) =>
  Effect.gen(function* () {
    const query = {
      request_id,
      ...(server === undefined ? {} : { server }),
      ...(method === undefined ? {} : { method })
    }
    const all = (yield* client.mcp.listInvocationEvents({ urlParams: query })).items
    const last = (yield* client.mcp.listInvocationEvents({ urlParams: { ...query, limit: 1 } })).items
    expect(last).toEqual(all.slice(-1))
    return all.map((event) => event.phase)
  })

/** conn[S, rid]: the statuses a server moved to during one request, checking the `limit=1` tail too. */
export const statusesOf = (client: Client, correlation_id: string, server?: string) =>
  Effect.gen(function* () {
    const query = { correlation_id, ...(server === undefined ? {} : { server }) }
    const all = (yield* client.mcp.listEvents({ urlParams: query })).items
    const last = (yield* client.mcp.listEvents({ urlParams: { ...query, limit: 1 } })).items
    expect(last).toEqual(all.slice(-1))
    return all.map((event) => event.to_status)
  })

export const SUCCESS_PHASES = ["initialize_start", "initialize_success", "invoke_start", "invoke_success"] as const
