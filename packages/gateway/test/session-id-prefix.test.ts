import { describe, expect, it } from "vitest"
import { sessionIdPrefix } from "../src/mcp/SessionLifecycle.js"

describe("an /mcp session id names its replica", () => {
  it("keeps a plain replica id as it is, up to the last dot", () => {
    expect(sessionIdPrefix("att-a")).toBe("att-a.")
    expect(sessionIdPrefix("10.0.0.11:8080")).toBe("10.0.0.11:8080.")
  })

  it("escapes what a session id may not hold (MCP: visible ASCII only)", () => {
    const prefix = sessionIdPrefix("host name/ü")
    expect(prefix).toBe("host%20name%2F%C3%BC.")
    expect(/^[\x21-\x7e]+$/.test(prefix)).toBe(true)
  })
})
