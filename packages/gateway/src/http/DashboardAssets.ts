/** The dashboard's files, shipped beside `src/` and `dist/` in `dashboard/`, by the path each is served at. */
export const DASHBOARD_FILES: ReadonlyArray<{
  readonly path: `/${string}`
  readonly file: string
  readonly type: string
}> = [
  { path: "/", file: "index.html", type: "text/html; charset=utf-8" },
  { path: "/dashboard/dashboard.css", file: "dashboard.css", type: "text/css; charset=utf-8" },
  { path: "/dashboard/app.js", file: "app.js", type: "text/javascript; charset=utf-8" },
  { path: "/dashboard/api.js", file: "api.js", type: "text/javascript; charset=utf-8" },
  { path: "/dashboard/sse.js", file: "sse.js", type: "text/javascript; charset=utf-8" },
  { path: "/dashboard/state.js", file: "state.js", type: "text/javascript; charset=utf-8" },
  { path: "/dashboard/view.js", file: "view.js", type: "text/javascript; charset=utf-8" }
]

/** What the page reads before it has a token: whether it needs one. */
export const DASHBOARD_SETTINGS_PATH = "/dashboard/settings.json"

/**
 * The paths a browser loads without a token: the page, its files and its settings. They carry no data of att's; the
 * page asks for the token and sends it with every API call.
 */
export const DASHBOARD_OPEN_PATHS: ReadonlySet<string> = new Set([
  ...DASHBOARD_FILES.map((asset) => asset.path),
  DASHBOARD_SETTINGS_PATH
])

/**
 * The page's policy: its own scripts, styles and API only, nothing inline, no frames, no forms posted anywhere, no
 * `<base>`. Data text can never run as script.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
