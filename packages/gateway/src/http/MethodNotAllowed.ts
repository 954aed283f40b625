import { HttpApi, HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { AttApi } from "../api/Api.js"
import { answersHead } from "./HeadRoutes.js"

/** The methods the router takes. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const

/** att's paths outside the API document, with their methods. */
const OWN_ROUTES: ReadonlyArray<readonly [string, string]> = [
  ["GET", "/openapi.json"],
  ["GET", "/docs"]
]

/** Every path att serves, with the methods it answers there (a path with GET answers HEAD too, `/mcp` aside). */
export const attPaths = (): ReadonlyMap<string, ReadonlySet<string>> => {
  const paths = new Map<string, Set<string>>()
  const add = (method: string, path: string) => {
    const methods = paths.get(path) ?? new Set<string>()
    methods.add(method)
    if (method === "GET" && answersHead(path)) methods.add("HEAD")
    paths.set(path, methods)
  }
  HttpApi.reflect(AttApi, { onGroup() {}, onEndpoint: ({ endpoint }) => add(endpoint.method, endpoint.path) })
  for (const [method, path] of OWN_ROUTES) add(method, path)
  return paths
}

/** `/mcp` answers as the MCP SDK's own transport does; the API's routes with the API's `{_tag, detail}`. */
const answer = (path: string, allowed: ReadonlySet<string>) => {
  const headers = { allow: [...allowed].join(", ") }
  return HttpServerResponse.unsafeJson(
    path === "/mcp"
      ? { jsonrpc: "2.0", id: null, error: { code: -32000, message: "Method not allowed." } }
      : { _tag: "MethodNotAllowed", detail: "Method not allowed" },
    { status: 405, headers }
  )
}

/** The 405 routes of `paths`: every method a path does not answer. */
export const notAllowed = (
  paths: ReadonlyMap<string, ReadonlySet<string>>
): Array<HttpLayerRouter.Route<never, never>> =>
  [...paths].flatMap(([path, allowed]) =>
    METHODS.filter((method) => !allowed.has(method)).map((method) => {
      // `route` takes no HEAD (the router answers HEAD through GET), so the method is set on the route itself.
      const route = HttpLayerRouter.route("*", path as `/${string}`, Effect.succeed(answer(path, allowed)))
      return { ...route, method } as HttpLayerRouter.Route<never, never>
    })
  )

/**
 * A 405 with `Allow` for every other method on att's paths: routes of att's own, so they hold (behind the guard)
 * wherever att is mounted, and an unknown method on a known path is not mistaken for an unknown path. A CORS
 * preflight never gets here: the guard answers it first.
 */
export const MethodNotAllowedRoutes = HttpLayerRouter.addAll(notAllowed(attPaths()))
