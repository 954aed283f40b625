import { timingSafeEqual } from "node:crypto"
import type { GatewaySettings } from "../GatewayOptions.js"
import { DASHBOARD_OPEN_PATHS } from "./DashboardAssets.js"

/** Request headers as the server sees them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** Why a request is refused before it reaches a route, as the JSON error answered for it. */
export interface Refusal {
  readonly status: 401 | 403 | 413 | 415 | 421
  readonly detail: string
  readonly headers?: Readonly<Record<string, string>>
}

const header = (headers: RequestHeaders, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" ? value : value?.[0]
}

const LOOPBACK_NAMES = new Set(["localhost", "[::1]", "::1"])
const IPV4_LOOPBACK = /^127(\.\d{1,3}){3}$/

/** The host name of a Host header, lower-case, without the port and a trailing dot (`[::1]:8080` → `[::1]`). */
export const hostName = (host: string): string => {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "")
  return name.toLowerCase().replace(/\.$/, "")
}

const UNSPECIFIED = new Set(["0.0.0.0", "::", "[::]"])

/** The Host a request names: `X-Forwarded-Host` only behind a trusted proxy. */
const requestHost = (headers: RequestHeaders, settings: GatewaySettings): string | undefined =>
  (settings.trustProxy ? header(headers, "x-forwarded-host")?.split(",")[0]?.trim() : undefined) ??
  header(headers, "host")

/**
 * DNS-rebinding protection: the Host must be a loopback name, the address att is bound to, or an allowed host.
 * A page on `evil.example` that rebinds its name to 127.0.0.1 still sends `Host: evil.example`.
 */
export const hostAllowed = (host: string | undefined, settings: GatewaySettings): boolean => {
  if (host === undefined || host === "") return false
  const name = hostName(host)
  if (LOOPBACK_NAMES.has(name) || IPV4_LOOPBACK.test(name)) return true
  const bound = settings.boundHost === null ? null : hostName(settings.boundHost)
  if (bound !== null && !UNSPECIFIED.has(bound) && name === bound) return true
  return settings.allowedHosts.includes(name)
}

/** The origin a same-origin page of this service would send. */
const ownOrigin = (headers: RequestHeaders, settings: GatewaySettings, host: string): string => {
  const proto = settings.trustProxy ? header(headers, "x-forwarded-proto")?.split(",")[0]?.trim() : undefined
  return `${proto === "https" ? "https" : "http"}://${host}`.toLowerCase()
}

/** An `Origin` that may drive att: none (not a browser), this service's own, or one listed in `allowed_origins`. */
export const originAllowed = (headers: RequestHeaders, settings: GatewaySettings): boolean => {
  const origin = header(headers, "origin")
  if (origin === undefined) return true
  const host = requestHost(headers, settings)
  const normalized = origin.toLowerCase().replace(/\/$/, "")
  return (
    (host !== undefined && normalized === ownOrigin(headers, settings, host)) ||
    settings.allowedOrigins.includes(normalized)
  )
}

/** The CORS headers answered to an allowed foreign origin (none for same-origin or non-browser requests). */
export const corsHeaders = (headers: RequestHeaders, settings: GatewaySettings): Record<string, string> => {
  const origin = header(headers, "origin")?.toLowerCase().replace(/\/$/, "")
  if (origin === undefined || !settings.allowedOrigins.includes(origin)) return {}
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": "mcp-session-id, mcp-protocol-version, www-authenticate, retry-after",
    vary: "Origin"
  }
}

/** The answer to a CORS preflight from an allowed origin. */
export const preflightHeaders = (headers: RequestHeaders, settings: GatewaySettings): Record<string, string> => ({
  ...corsHeaders(headers, settings),
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id",
  "access-control-max-age": "600"
})

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** `Authorization: Bearer <token>`: the scheme matched exactly and case-insensitively, then the token. */
const BEARER = /^bearer +(\S+)$/i

/** The bearer token of a request, if it sends one in the right form. */
export const bearerToken = (authorization: string | undefined): string | null =>
  authorization === undefined ? null : (BEARER.exec(authorization)?.[1] ?? null)

export const tokenAccepted = (authorization: string | undefined, expected: string): boolean => {
  const token = bearerToken(authorization)
  return token !== null && sameSecret(token, expected)
}

export const UNAUTHORIZED: Refusal = {
  status: 401,
  detail: "Missing or invalid bearer token",
  headers: { "www-authenticate": "Bearer" }
}

/**
 * The routes anyone may call: liveness and readiness, so a probe needs no secret; the dashboard's page, which asks for
 * the token.
 */
const OPEN_PATHS = new Set(["/api/v1/health", "/api/v1/ready", ...DASHBOARD_OPEN_PATHS])

/** Whether the request has a body at all (a declared non-zero length, or a chunked one). */
export const hasBody = (headers: RequestHeaders): boolean => {
  const length = header(headers, "content-length")
  return (length !== undefined && length.trim() !== "0") || header(headers, "transfer-encoding") !== undefined
}

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.split(";")[0]?.trim().toLowerCase() === "application/json"

const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD", "DELETE", "OPTIONS"])

/**
 * Everything decided from a request's head, in order: Host (421), Origin (403), the bearer token when one is set
 * (401; liveness is open), the content type of a body (415: att takes JSON only, and no body where a route takes
 * none) and the declared size (413). Null when the request may go on to have its body read.
 */
export const admission = (
  method: string,
  path: string,
  headers: RequestHeaders,
  settings: GatewaySettings
): Refusal | null => {
  const host = requestHost(headers, settings)
  if (!hostAllowed(host, settings)) {
    return { status: 421, detail: `Host not allowed: ${host ?? "(none)"}; add it to allowed_hosts to serve it` }
  }
  if (!originAllowed(headers, settings)) {
    return {
      status: 403,
      detail: `Origin not allowed: ${header(headers, "origin")}; add it to allowed_origins to serve it`
    }
  }
  if (
    settings.authToken !== null &&
    !OPEN_PATHS.has(path) &&
    !tokenAccepted(header(headers, "authorization"), settings.authToken)
  ) {
    return UNAUTHORIZED
  }
  if (hasBody(headers)) {
    if (METHODS_WITHOUT_BODY.has(method)) return { status: 415, detail: `${method} takes no request body` }
    const contentType = header(headers, "content-type")
    if (!isJson(contentType)) {
      return { status: 415, detail: `Unsupported content type ${contentType ?? "(none)"}: send application/json` }
    }
  }
  const declared = Number(header(headers, "content-length") ?? "0")
  if (Number.isFinite(declared) && declared > settings.maxBodyBytes) return tooLarge(settings)
  return null
}

export const tooLarge = (settings: GatewaySettings): Refusal => ({
  status: 413,
  detail: `Request body exceeds max_body_bytes (${settings.maxBodyBytes} bytes)`,
  headers: { connection: "close" }
})
