import { HttpLayerRouter } from "@effect/platform"
import { Effect, Layer } from "effect"

/** `/mcp` has no HEAD: MCP defines none, and its GET opens the session's SSE stream (HEAD there answers 405). */
export const answersHead = (path: string) => path !== "/mcp"

/**
 * A GET route's HEAD twin: the same handler, so the same status and headers; the platform's servers (Node's, the
 * web handler) send no body for a HEAD and never run a streamed one.
 */
const headOf = <E, R>(route: HttpLayerRouter.Route<E, R>): HttpLayerRouter.Route<E, R> => ({ ...route, method: "HEAD" })

/** A GET route gets a HEAD twin, unless the routes added with it bring their own HEAD for its path (a 405). */
const withHeads = <A extends HttpLayerRouter.Route<unknown, unknown>>(routes: ReadonlyArray<A>): ReadonlyArray<A> => {
  const ownHead = new Set(routes.filter((route) => route.method === "HEAD").map((route) => route.path))
  return routes.flatMap((route) =>
    route.method === "GET" && answersHead(route.path) && !ownHead.has(route.path)
      ? [route, headOf(route) as A]
      : [route]
  )
}

/**
 * The router att's routes are added to, with a HEAD route beside each GET route. The router alone answers a HEAD
 * with the path's GET only when no route of any method matches first, and the catch-all 404 of a server that serves
 * only att always does; routes of att's own hold wherever att is mounted, behind the same middleware.
 */
export const HeadRoutes = Layer.effect(
  HttpLayerRouter.HttpRouter,
  Effect.map(HttpLayerRouter.HttpRouter, (router) =>
    HttpLayerRouter.HttpRouter.of({
      ...router,
      addAll: (routes) => router.addAll(withHeads(routes) as typeof routes),
      add: (method, path, handler, options) =>
        router.addAll(withHeads([HttpLayerRouter.route(method, path, handler, options)]))
    })
  )
)
