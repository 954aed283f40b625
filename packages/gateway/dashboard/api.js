/**
 * The dashboard's calls to att's API. Every call carries `Authorization: Bearer` when a token is kept (in
 * `sessionStorage`, so it ends with the tab); no cookies are sent (`credentials: "omit"`).
 */

const TOKEN_KEY = "att.dashboard.token"

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY)
}

/** The API answered 401: the token is missing or wrong. */
export class AuthRequired extends Error {
  constructor() {
    super("att needs a valid bearer token")
  }
}

/** The API refused a call; `detail` is its own text. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`)
    this.status = status
    this.detail = detail
  }
}

/** Paths are relative to the page, so a dashboard behind a proxy under a prefix still reaches its own API. */
const url = (path) => new URL(path, document.baseURI)

/** A request to the API as a `Response`; 401 throws `AuthRequired`. */
export async function request(path, { method = "GET", body, headers = {}, signal } = {}) {
  const sent = new Headers(headers)
  const kept = token.get()
  if (kept !== null) sent.set("authorization", `Bearer ${kept}`)
  if (body !== undefined) sent.set("content-type", "application/json")
  const response = await fetch(url(path), {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    credentials: "omit",
    cache: "no-store"
  })
  if (response.status === 401) throw new AuthRequired()
  return response
}

const detailOf = (answer, status) => {
  const detail = answer?.detail
  if (typeof detail === "string") return detail
  if (typeof detail?.message === "string") return detail.message
  if (typeof answer?.message === "string") return answer.message
  return `HTTP ${status}`
}

/** A JSON call: the decoded answer (null for 204), or `ApiError` with the API's detail. */
export async function call(path, options) {
  const response = await request(path, options)
  const answer = response.status === 204 ? null : await response.json().catch(() => null)
  if (!response.ok) throw new ApiError(response.status, detailOf(answer, response.status))
  return answer
}

/** Whether this att asks for a token (read without one). */
export async function tokenRequired() {
  const response = await fetch(url("dashboard/settings.json"), { credentials: "omit", cache: "no-store" })
  return (await response.json()).token_required === true
}

const server = (name) => `api/v1/mcp/servers/${encodeURIComponent(name)}`

export const servers = {
  list: () => call("api/v1/mcp/servers"),
  get: (name) => call(server(name)),
  register: (body) => call("api/v1/mcp/servers", { method: "POST", body }),
  connect: (name) => call(`${server(name)}/connect`, { method: "POST" }),
  refresh: (name) => call(`${server(name)}/adapter/refresh`, { method: "POST" }),
  invalidate: (name) => call(`${server(name)}/adapter/invalidate`, { method: "POST" }),
  unregister: (name) => call(server(name), { method: "DELETE" })
}

/** The newest position of each event buffer, as the stream's id (`connection.invocation.capability`). */
export async function streamPosition() {
  const [connection, invocation, capability] = await Promise.all(
    ["events", "invocation-events", "capability-events"].map((route) => call(`api/v1/mcp/${route}?limit=1`))
  )
  return `${connection.cursor}.${invocation.cursor}.${capability.cursor}`
}

/** Recent invocation events (oldest first), to start the latency figures with. */
export const recentInvocations = () => call("api/v1/mcp/invocation-events?limit=200").then((page) => page.items)
