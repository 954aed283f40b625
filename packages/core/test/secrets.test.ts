import { describe, expect, it } from "@effect/vitest"
import { displayUrl } from "@att/core"
import { redact, redactUrl, secretsOf } from "../src/Secrets.js"

describe("redaction of configured secrets (issue 14 §4)", () => {
  it("a URL is shown without its userinfo and with secret-looking query values as ***", () => {
    expect(redactUrl("http://user:pass@h.example:8080/mcp")).toBe("http://***@h.example:8080/mcp")
    expect(redactUrl("https://token@h.example/")).toBe("https://***@h.example/")
    expect(redactUrl("http://h/mcp?api_key=k1&x=1&access_token=t&sig=s#f")).toBe(
      "http://h/mcp?api_key=***&x=1&access_token=***&sig=***#f"
    )
    // Nothing to hide: the URL as it was written.
    expect(redactUrl("http://h.example/mcp?page=2")).toBe("http://h.example/mcp?page=2")
    expect(redactUrl("not a url")).toBe("not a url")
    expect(displayUrl({ transport: "stdio", command: "npx", args: ["--key", "abcd"], env: { K: "abcd" } })).toBe(
      "stdio:npx"
    )
  })

  it("an upstream's secrets are its URL credentials, header values (and bearer tokens) and env values of 4+ characters", () => {
    const http = secretsOf({
      transport: "streamable-http",
      url: "http://us%40er:p%3Ass@h/?token=abc%20def",
      headers: { authorization: "Bearer s3cret", "x-api-key": "k-123456" }
    })
    expect([...http].sort()).toEqual(
      [
        "Bearer s3cret",
        "abc def",
        "abc%20def",
        "k-123456",
        "p%3Ass",
        "p:ss",
        "s3cret",
        "us%40er",
        "us@er",
        // The Basic credentials the URL's userinfo is sent as.
        Buffer.from("us@er:p:ss").toString("base64")
      ].sort()
    )
    const stdio = secretsOf({
      transport: "stdio",
      command: "server",
      args: ["--token", "argument"],
      env: { API_KEY: "topsecret", DEBUG: "1" }
    })
    expect(stdio).toEqual(["topsecret"])
  })

  it("a text loses every secret (the longest first) and any URL's userinfo; other text stays", () => {
    const secrets = secretsOf({ transport: "sse", url: "http://h/", headers: { authorization: "Bearer s3cret" } })
    expect(redact("sent Bearer s3cret; token s3cret refused", secrets)).toBe("sent ***; token *** refused")
    expect(redact("fetch http://a:b@other.example/x failed: ECONNREFUSED 127.0.0.1:1", [])).toBe(
      "fetch http://***@other.example/x failed: ECONNREFUSED 127.0.0.1:1"
    )
    expect(redact("http status 401", secretsOf({ transport: "stdio", command: "x", env: { N: "1", M: "401" } }))).toBe(
      "http status 401"
    )
  })
})
