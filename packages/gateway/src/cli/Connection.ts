import { Options } from "@effect/cli"
import { Config, Effect, Option, Redacted } from "effect"
import { makeClient } from "../api/Client.js"
import { CliFailure, ExitCode, operationFailed, usageError } from "./Failure.js"

export const DEFAULT_URL = "http://127.0.0.1:8080"

/** The options every client command takes: where att is, its token, and the output form. */
export const connectionOptions = {
  url: Options.text("url").pipe(
    Options.withFallbackConfig(Config.string("ATT_URL").pipe(Config.withDefault(DEFAULT_URL))),
    Options.withDescription(`att's origin (env ATT_URL; default ${DEFAULT_URL})`)
  ),
  token: Options.redacted("token").pipe(
    Options.withFallbackConfig(Config.redacted("ATT_TOKEN")),
    Options.optional,
    Options.withDescription("the bearer token att was started with (env ATT_TOKEN)")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("print JSON for machines instead of a table"))
}

export interface Connection {
  readonly url: string
  readonly token: Option.Option<Redacted.Redacted<string>>
}

/** The origin without credentials, for messages (a URL's userinfo is a secret). */
export const shownUrl = (url: string): string => {
  if (!URL.canParse(url)) return "(invalid URL)"
  const parsed = new URL(url)
  parsed.username = ""
  parsed.password = ""
  return parsed.origin
}

/** `--url` as an origin: an absolute http(s) URL, or a usage error. */
export const originOf = (url: string): Effect.Effect<string, CliFailure> => {
  const parsed = URL.canParse(url) ? new URL(url) : null
  return parsed === null || (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    ? Effect.fail(usageError(`--url must be an absolute http(s) URL, got ${JSON.stringify(shownUrl(url))}`))
    : Effect.succeed(url.replace(/\/+$/, ""))
}

/** The token, unless it is empty (an empty ATT_TOKEN means none, as for `att serve`). */
export const tokenOf = (connection: Connection): string | undefined =>
  Option.match(connection.token, {
    onNone: () => undefined,
    onSome: (token) => (Redacted.value(token) === "" ? undefined : Redacted.value(token))
  })

/** The typed API client for `--url` with `--token`. */
export const attClient = (connection: Connection) =>
  Effect.flatMap(originOf(connection.url), (origin) => makeClient(origin, { token: tokenOf(connection) }))

const detailText = (detail: unknown): string => {
  if (typeof detail === "string") return detail
  if (typeof detail === "object" && detail !== null && "message" in detail) return String(detail.message)
  return JSON.stringify(detail)
}

/** What each error answer of the API means to an operator. */
const ANSWERS: Record<string, string> = {
  ServerNotFoundError: "no such server",
  Unauthorized: "att refused the token (pass --token or ATT_TOKEN)",
  BadRequest: "att refused the request",
  HttpApiDecodeError: "att refused the request",
  SessionControlsConflict: "the transport has no session controls",
  InvocationFailed: "no server served the call",
  ServersBusy: "every server that could serve the call is busy; retry later",
  UpstreamBadRequest: "the upstream refused the request",
  UpstreamNotFound: "the upstream has no such resource",
  OriginRefused: "att refused the request's origin",
  PayloadTooLarge: "the request is too large for att",
  UnsupportedMediaType: "att refused the request's media type",
  MisdirectedRequest: "att does not serve this host name"
}

/**
 * Any failure of a typed-client request as a `CliFailure`: the service unreachable (exit 3), an error answer or an
 * answer att should not give (exit 1). Messages name the origin without credentials and never carry the token.
 */
export const explain =
  (url: string) =>
  (error: unknown): CliFailure => {
    if (error instanceof CliFailure) return error
    const tagged = error as {
      readonly _tag?: unknown
      readonly reason?: unknown
      readonly detail?: unknown
      readonly message?: unknown
    }
    const where = shownUrl(url)
    if (tagged._tag === "RequestError") {
      return tagged.reason === "Transport"
        ? new CliFailure({ message: `cannot reach att at ${where}`, exitCode: ExitCode.unreachable })
        : usageError(`cannot send the request to ${where}`)
    }
    if (tagged._tag === "ResponseError") {
      const status = (error as { readonly response: { readonly status: number } }).response.status
      return operationFailed(`att at ${where} answered HTTP ${status}, which this client cannot read`)
    }
    if (typeof tagged._tag === "string" && tagged._tag in ANSWERS) {
      const said = tagged.detail ?? tagged.message
      const detail = said === undefined || said === "" ? "" : `: ${detailText(said)}`
      return operationFailed(`${ANSWERS[tagged._tag]}${detail}`)
    }
    if (tagged._tag === "ParseError")
      return operationFailed(`att at ${where} answered something this client cannot read`)
    return operationFailed(`the request to ${where} failed: ${tagged._tag ?? "unknown error"}`)
  }

/** Run a typed-client request, its failures explained. */
export const request = <A, E, R>(connection: Connection, effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, explain(connection.url))
