import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decodeConfig, loadConfig } from "@att/gateway"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"

const SECRET = /s[e3]cret/

const messageOf = <A>(result: Either.Either<A, { readonly message: string }>): string =>
  Either.match(result, { onLeft: (error) => error.message, onRight: () => "decoded" })

describe("config errors show no secret (issue 14 §4)", () => {
  it("an invalid config names the field without quoting URL credentials, header, env values or the token", () => {
    const servers = {
      web: {
        url: "https://user:secret@h.example/mcp?token=qsecret",
        headers: { authorization: "Bearer s3cret" },
        extra: 1
      },
      child: { command: "node", env: { API_KEY: "topsecret", PORT: 3000 } }
    }
    const cases = [
      { value: { mcpServers: servers }, field: "extra" },
      { value: { mcpServers: { web: { url: "http://h/", headers: "Bearer s3cret" } } }, field: "headers" },
      { value: { mcpServers: {}, auth_token: ["s3cret"] }, field: "auth_token" }
    ]
    for (const { value, field } of cases) {
      const message = messageOf(decodeConfig(value, "att.config.json"))
      expect(message).toContain(field)
      expect(message).toContain("***")
      expect(message).not.toMatch(SECRET)
    }
  })

  it("a config file that is not JSON is refused without the excerpt V8 quotes around the error", () => {
    const dir = mkdtempSync(join(tmpdir(), "att-config-"))
    try {
      const path = join(dir, "att.config.json")
      writeFileSync(path, '{"mcpServers": {"a": {"url": "http://x/", "headers": {"authorization": Bearer s3cret}}}}')
      const message = messageOf(loadConfig(path, dir))
      expect(message).toContain("is not valid JSON: Unexpected token 'B'")
      // V8 quotes about ten characters either side of the error: even part of the secret is too much.
      expect(message).not.toContain("s3c")
    } finally {
      rmSync(dir, { recursive: true })
    }
  })
})
