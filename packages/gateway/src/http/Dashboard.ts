import { createHash } from "node:crypto"
import { fileURLToPath } from "node:url"
import { FileSystem, HttpLayerRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { GatewayOptions } from "../GatewayOptions.js"
import { DASHBOARD_CSP, DASHBOARD_FILES, DASHBOARD_SETTINGS_PATH } from "./DashboardAssets.js"
import { Guard } from "./Guard.js"
import { HeadRoutes } from "./HeadRoutes.js"
import { notAllowed } from "./MethodNotAllowed.js"

/**
 * The dashboard's folder: `dashboard/` of the package, two levels up from this module both in `src/http/` (tests on
 * the sources) and in `dist/http/` (an installed package).
 */
export const dashboardDirectory = fileURLToPath(new URL("../../dashboard/", import.meta.url))

/** Sent with every file of the page. No cookies are set or read anywhere. */
const SECURITY_HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  // File names carry no version: the browser keeps a copy but asks each time whether it is still current (ETag).
  "cache-control": "no-cache"
}

interface Asset {
  readonly body: Uint8Array
  readonly type: string
  readonly etag: string
}

const assetOf = (body: Uint8Array, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`
})

/** The asset, or 304 when the browser's copy is current. */
const serve = (asset: Asset) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const headers = { ...SECURITY_HEADERS, etag: asset.etag }
    return request.headers["if-none-match"] === asset.etag
      ? HttpServerResponse.empty({ status: 304, headers })
      : HttpServerResponse.uint8Array(asset.body, { contentType: asset.type, headers })
  })

const missing = (file: string) =>
  Effect.succeed(
    HttpServerResponse.unsafeJson(
      { _tag: "DashboardMissing", detail: `The dashboard's file ${file} is not installed in ${dashboardDirectory}` },
      { status: 503, headers: SECURITY_HEADERS }
    )
  )

const encoder = new TextEncoder()

/**
 * The dashboard: `GET /` and the page's files (read once, at start), and `/dashboard/settings.json` (whether the API
 * needs a token), behind att's guard: Host and Origin hold as on every route, and these paths alone need no token (the
 * page asks for it). A file missing from the install answers 503 naming it; att's other routes are unaffected.
 */
export const DashboardRoutes = Layer.unwrapEffect(
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const settings = yield* GatewayOptions
    const routes = yield* Effect.forEach(DASHBOARD_FILES, ({ path, file, type }) =>
      fs.readFile(`${dashboardDirectory}${file}`).pipe(
        Effect.map((body) => HttpLayerRouter.route("GET", path, serve(assetOf(body, type)))),
        Effect.catchAll(() => Effect.succeed(HttpLayerRouter.route("GET", path, missing(file))))
      )
    )
    const pageSettings = assetOf(
      encoder.encode(JSON.stringify({ token_required: settings.authToken !== null })),
      "application/json"
    )
    const paths = new Map(
      [...DASHBOARD_FILES.map((asset) => asset.path), DASHBOARD_SETTINGS_PATH].map((path) => [
        path,
        new Set(["GET", "HEAD"])
      ])
    )
    return HttpLayerRouter.addAll([
      ...routes,
      HttpLayerRouter.route("GET", DASHBOARD_SETTINGS_PATH, serve(pageSettings)),
      ...notAllowed(paths)
    ])
  })
).pipe(Layer.provide(Guard.layer), Layer.provide(HeadRoutes), Layer.provide(NodeFileSystem.layer))
