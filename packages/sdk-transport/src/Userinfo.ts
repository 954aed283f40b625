/**
 * An upstream URL's credentials as HTTP Basic authentication: `http://user:pass@host/mcp` is reached at
 * `http://host/mcp` with `Authorization: Basic base64(user:pass)` (Node's `fetch` refuses a URL that carries
 * credentials). The parts are percent-decoded first, as a URL carries them encoded.
 */
export const splitUserinfo = (url: string): { readonly url: string; readonly authorization: string | undefined } => {
  const parsed = new URL(url)
  if (parsed.username === "" && parsed.password === "") return { url, authorization: undefined }
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`
  parsed.username = ""
  parsed.password = ""
  return { url: parsed.href, authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` }
}
