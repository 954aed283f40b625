import type { Upstream } from "./domain/Upstream.js"

/** What stands in for a secret wherever att shows or records text. */
export const REDACTED = "***"

/**
 * Configured values shorter than this are not taken for secrets inside error texts: an env value such as `1` or
 * `on` is no secret, and replacing it would garble every number and word that contains it.
 */
export const MIN_SECRET_LENGTH = 4

/** Query parameters whose value is a credential (`api_key`, `access_token`, `sig`, ...), by name. */
const SECRET_PARAMETER = /key|token|secret|passw|pwd|auth|signature|credential|^sig$/i

/** The userinfo of any URL inside a text (`scheme://user:pass@`), whichever server it belongs to. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * A URL's userinfo as HTTP Basic credentials: base64 of `user:password`, percent-decoded (a URL carries them
 * encoded); undefined when it has none.
 */
export const basicCredentials = (url: URL): string | undefined => {
  if (url.username === "" && url.password === "") return undefined
  const bytes = new TextEncoder().encode(`${decoded(url.username)}:${decoded(url.password)}`)
  return btoa(String.fromCharCode(...bytes))
}

/**
 * A URL's credentials: its username and password (also as the Basic credentials they are sent as), and the values of
 * its secret-looking query parameters.
 */
export const urlSecrets = (url: string): ReadonlyArray<string> => {
  if (!URL.canParse(url)) return []
  const parsed = new URL(url)
  const found: Array<string> = [parsed.username, decoded(parsed.username), parsed.password, decoded(parsed.password)]
  const basic = basicCredentials(parsed)
  if (basic !== undefined) found.push(basic)
  for (const [name, value] of parsed.searchParams) {
    if (SECRET_PARAMETER.test(name)) found.push(value, encodeURIComponent(value))
  }
  return found
}

/** A secret value, and its credentials when it is written `<scheme> <credentials>` (`Bearer s3cret`). */
export const valueSecrets = (value: string): ReadonlyArray<string> => {
  const credentials = /^\S+\s+(\S+)\s*$/.exec(value)?.[1]
  return credentials === undefined ? [value] : [value, credentials]
}

/** Every header value is a secret. */
export const headerSecrets = (headers: Readonly<Record<string, string>>): ReadonlyArray<string> =>
  Object.values(headers).flatMap(valueSecrets)

/** The distinct secrets among `values` worth looking for in a text, longest first (a longer one may contain a shorter one). */
export const secretList = (values: Iterable<string>): ReadonlyArray<string> =>
  [...new Set(values)].filter((value) => value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)

/**
 * Every configured secret of an upstream: URL credentials, header values, env values. Computed once per
 * registration; arguments and the command are not included (they are not shown either, see `displayUrl`).
 */
export const secretsOf = (upstream: Upstream): ReadonlyArray<string> =>
  upstream.transport === "stdio"
    ? secretList(Object.values(upstream.env ?? {}))
    : secretList([...urlSecrets(upstream.url), ...headerSecrets(upstream.headers ?? {})])

/** `text` with each of `secrets` (see `secretList`) and the userinfo of any URL in it replaced by `***`. */
export const redact = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text.replace(USERINFO, `$1${REDACTED}@`)
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED)
  return out
}

/**
 * A URL as att shows it: the userinfo becomes `***` (`http://***@host/`) and each secret-looking query parameter's
 * value `***` (`?api_key=***`). Text that is not a URL is returned as it is.
 */
export const redactUrl = (url: string): string => {
  if (!URL.canParse(url)) return url
  const parsed = new URL(url)
  const credentials = parsed.username !== "" || parsed.password !== ""
  let query = parsed.search
  if ([...parsed.searchParams.keys()].some((name) => SECRET_PARAMETER.test(name))) {
    const params = new URLSearchParams()
    for (const [name, value] of parsed.searchParams) params.append(name, SECRET_PARAMETER.test(name) ? REDACTED : value)
    query = `?${params.toString()}`
  }
  if (!credentials && query === parsed.search) return url
  return `${parsed.protocol}//${credentials ? `${REDACTED}@` : ""}${parsed.host}${parsed.pathname}${query}${parsed.hash}`
}
