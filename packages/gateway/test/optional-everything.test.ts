import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { everythingServer } from "../src/config/LoadConfig.js"

describe("server-everything is an optional dependency (issue 15 §2)", () => {
  it("resolves to a node command running the installed server's bin over stdio", () => {
    const command = Either.getOrThrow(everythingServer())
    expect(command.command).toBe(process.execPath)
    expect(command.args).toHaveLength(2)
    expect(existsSync(command.args[0] as string)).toBe(true)
    expect(command.args[1]).toBe("stdio")
  })

  it("where it is not installed, the error names the package and the way out (--config or install it)", () => {
    const dir = mkdtempSync(join(tmpdir(), "att-no-everything-"))
    try {
      const result = everythingServer(pathToFileURL(join(dir, "main.js")).href)
      expect(Either.isLeft(result)).toBe(true)
      const message = Either.match(result, { onLeft: (error) => error.message, onRight: () => "" })
      expect(message).toContain("@modelcontextprotocol/server-everything")
      expect(message).toContain("not installed")
      expect(message).toContain("--config FILE")
      expect(message).toContain("npm install @modelcontextprotocol/server-everything")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
