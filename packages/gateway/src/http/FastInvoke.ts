import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { InvocationError, Manager } from "@att/core"
import { Cause, Effect, Exit, Layer, ParseResult, Runtime, Schema } from "effect"
import { InvocationFailed } from "../api/Errors.js"
import { type InvocationResponse, InvokeToolRequest, ReadResourceRequest } from "../api/Schemas.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { Catalog } from "../catalog/Catalog.js"
import { toolInvocation } from "./McpHandlers.js"
import { DEFAULT_DETAIL, admission } from "./Guard.js"

/**
 * The invoke routes are att's hot path. They are defined in the HttpApi like every route (OpenAPI, typed client,
 * in-process tests), and the Node server also answers them directly: same admission, same decoding, same manager
 * call, same bodies, without the router and the generic request/response machinery. A request the fast path
 * does not take (another route, another content type) goes to the Effect handler unchanged.
 */
/** A Node-level route: answers the request and returns true, or returns false to pass it on. */
export type NodeRoute = (request: IncomingMessage, response: ServerResponse) => boolean

/** The Node-level routes installed on a server (the invoke fast path, `/mcp`); layers add and remove theirs. */
export interface NodeRoutes {
  readonly handlers: Set<NodeRoute>
}

/** Route "request" events through the Node-level routes first. Call once, before the Effect server listens. */
export const interceptRequests = (server: Server): NodeRoutes => {
  const routes: NodeRoutes = { handlers: new Set() }
  const emit = server.emit.bind(server)
  server.emit = ((event: string, ...args: Array<unknown>) => {
    if (event === "request") {
      for (const handle of routes.handlers) {
        if (handle(args[0] as IncomingMessage, args[1] as ServerResponse)) return true
      }
    }
    return emit(event, ...args)
  }) as typeof server.emit
  return routes
}

/** Install a Node-level route for the lifetime of the enclosing scope. */
export const installRoute = (routes: NodeRoutes, route: NodeRoute) =>
  Effect.acquireRelease(
    Effect.sync(() => routes.handlers.add(route)),
    () => Effect.sync(() => routes.handlers.delete(route))
  )

const ROUTES = {
  "/api/v1/mcp/invoke/tool": Schema.decodeUnknownEither(InvokeToolRequest),
  "/api/v1/mcp/invoke/resource": Schema.decodeUnknownEither(ReadResourceRequest)
} as const
const encodeFailure = Schema.encodeSync(InvocationFailed)

const answer = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (response.headersSent || response.destroyed) return
  const text = JSON.stringify(body)
  response.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  response.end(text)
}

/** Read the body up to `limit` bytes; null when it is larger. */
const readBody = (request: IncomingMessage, limit: number, done: (body: Buffer | null) => void) => {
  const chunks: Array<Buffer> = []
  let size = 0
  request.on("data", (chunk: Buffer) => {
    size += chunk.length
    if (size <= limit) chunks.push(chunk)
  })
  request.on("end", () => done(size > limit ? null : Buffer.concat(chunks)))
  request.on("error", () => done(null))
}

/** Install the fast path for the lifetime of the layer. */
export const FastInvoke = (routes: NodeRoutes) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const manager = yield* Manager
      const catalog = yield* Catalog
      const settings = yield* GatewayOptions
      const runFork = Runtime.runFork(yield* Effect.runtime<never>())

      /** The invocation of a decoded request, routed now: it runs at once (`runFork`). */
      const invoke = (path: keyof typeof ROUTES, payload: unknown) => {
        if (path === "/api/v1/mcp/invoke/tool") {
          const request = payload as typeof InvokeToolRequest.Type
          const [preferred, options] = toolInvocation(catalog, settings, request)
          return manager.invokeTool(request.tool_name, request.arguments, preferred, options)
        }
        const request = payload as typeof ReadResourceRequest.Type
        return manager.readResource(request.uri, request.preferred_servers ?? settings.preferredOrder)
      }

      const serve = (path: keyof typeof ROUTES, request: IncomingMessage, response: ServerResponse) => {
        const refusal = admission(request.headers, settings)
        if (refusal !== null) return answer(response, refusal.status, { detail: refusal.detail }, refusal.headers)
        readBody(request, settings.maxBodyBytes, (body) => {
          if (body === null) return answer(response, 413, { detail: DEFAULT_DETAIL[413] })
          let json: unknown
          try {
            json = JSON.parse(body.toString("utf8"))
          } catch {
            return answer(response, 400, { detail: DEFAULT_DETAIL[400] })
          }
          const decoded = ROUTES[path](json)
          if (decoded._tag === "Left") {
            return answer(response, 400, {
              issues: ParseResult.ArrayFormatter.formatErrorSync(decoded.left),
              message: ParseResult.TreeFormatter.formatErrorSync(decoded.left),
              _tag: "HttpApiDecodeError"
            })
          }
          // Routing runs here, outside any fiber: should it ever throw, answer as a defect would, never crash.
          let invocation: ReturnType<typeof invoke>
          try {
            invocation = invoke(path, decoded.right)
          } catch {
            return answer(response, 500, { detail: "Internal error" })
          }
          const fiber = runFork(invocation)
          // A caller that hangs up interrupts the invocation (and so the upstream request).
          response.on("close", () => {
            if (!response.writableFinished) fiber.unsafeInterruptAsFork(fiber.id())
          })
          fiber.addObserver((exit) => {
            if (Exit.isSuccess(exit)) {
              const { server, method, request_id, result, raw_response } = exit.value
              return answer(response, 200, { server, method, request_id, result, raw_response } satisfies typeof InvocationResponse.Encoded)
            }
            const failure = Cause.failureOption(exit.cause)
            if (failure._tag === "Some" && failure.value instanceof InvocationError) {
              const { message, method, request_id, attempts } = failure.value
              return answer(response, 503, encodeFailure(new InvocationFailed({ detail: { message, method, request_id, attempts } })))
            }
            if (!Cause.isInterruptedOnly(exit.cause)) answer(response, 500, { detail: "Internal error" })
          })
        })
      }

      yield* installRoute(routes, (request, response) => {
        const path = request.url
        if (request.method !== "POST" || (path !== "/api/v1/mcp/invoke/tool" && path !== "/api/v1/mcp/invoke/resource")) {
          return false
        }
        if (!(request.headers["content-type"] ?? "").startsWith("application/json")) return false
        serve(path, request, response)
        return true
      })
    })
  )

