import { basicCredentials } from "@att/core/internal"

/**
 * An upstream URL's credentials as HTTP Basic authentication: `http://user:pass@host/mcp` is reached at
 * `http://host/mcp` with `Authorization: Basic base64(user:pass)` (Node's `fetch` refuses a URL that carries
 * credentials).
 */
export const splitUserinfo = (url: string): { readonly url: string; readonly authorization: string | undefined } => {
  const parsed = new URL(url)
  const basic = basicCredentials(parsed)
  if (basic === undefined) return { url, authorization: undefined }
  parsed.username = ""
  parsed.password = ""
  return { url: parsed.href, authorization: `Basic ${basic}` }
}
