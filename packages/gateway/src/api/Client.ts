import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect } from "effect"
import { AttApi } from "./Api.js"

export interface ClientOptions {
  /** The bearer token att was started with (`ATT_TOKEN` / `auth_token`); sent on every request. */
  readonly token?: string | undefined
}

const withToken = (token: string | undefined) =>
  token === undefined ? undefined : HttpClient.mapRequest(HttpClientRequest.bearerToken(token))

/**
 * A typed client of att's HTTP API at `baseUrl` (the origin att serves, e.g. `http://127.0.0.1:8080`), over `fetch`
 * (browsers, Node): one method per endpoint, grouped as the API is (`client.mcp.listServers()`,
 * `client.mcp.invokeTool({ payload })`, `client.health.health()`), failing with the endpoint's typed errors.
 * From a Promise: `Effect.runPromise(Effect.flatMap(makeClient(url, { token }), (att) => att.mcp.listServers()))`.
 * An app with an `HttpClient` of its own: `HttpApiClient.make(AttApi, { baseUrl, transformClient })`.
 */
export const makeClient = (baseUrl: string, options: ClientOptions = {}) =>
  HttpApiClient.make(AttApi, { baseUrl, transformClient: withToken(options.token) }).pipe(
    Effect.provide(FetchHttpClient.layer)
  )

/** The client `makeClient` builds. */
export type AttClient = Effect.Effect.Success<ReturnType<typeof makeClient>>
