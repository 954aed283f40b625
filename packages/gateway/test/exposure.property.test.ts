import type { PrefixMode } from "@att/gateway"
import type { CatalogTool } from "../src/catalog/Catalog.js"
import { PREFIX_SEPARATOR, exposure } from "../src/mcp/Exposure.js"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"

// Names from a small alphabet with `_`, so separators, leading and trailing underscores meet often; tool names are
// often made like prefixed ones (`a__x`), and server names often among a few, so that such names do meet.
const name = fc.stringOf(fc.constantFrom("a", "b", "x", "_"), { minLength: 1, maxLength: 4 })
const serverName = fc.oneof(fc.constantFrom("a", "b", "a_", "a__b"), name)
const toolName = fc.oneof(
  fc.constantFrom("x", "_x", "b__x", "a__x", "__x", "_b__x"),
  name,
  fc.tuple(serverName, name).map(([server, tool]) => `${server}${PREFIX_SEPARATOR}${tool}`)
)
const upstream = fc.record({
  server: serverName,
  tools: fc.uniqueArray(fc.record({ name: toolName, schema: fc.constantFrom(0, 1) }), {
    selector: (tool) => tool.name,
    maxLength: 5
  })
})
const upstreams = fc.uniqueArray(upstream, { selector: (u) => u.server, minLength: 1, maxLength: 4 })
const mode = fc.constantFrom<PrefixMode>("conditional", "always", "never")

type Upstreams = ReadonlyArray<{ server: string; tools: ReadonlyArray<{ name: string; schema: number }> }>

/** The catalog's tools as the Catalog merges them: one entry per name, its servers in order. */
const catalogOf = (servers: Upstreams): ReadonlyArray<CatalogTool> => {
  const merged = new Map<
    string,
    { name: string; description: null; servers: Array<string>; definitions: Record<string, Record<string, unknown>> }
  >()
  for (const { server, tools } of [...servers].sort((a, b) => (a.server < b.server ? -1 : 1)))
    for (const tool of tools) {
      const definition = { name: tool.name, inputSchema: { type: "object", properties: { [`p${tool.schema}`]: {} } } }
      const entry = merged.get(tool.name) ?? { name: tool.name, description: null, servers: [], definitions: {} }
      entry.servers.push(server)
      entry.definitions[server] = definition
      merged.set(tool.name, entry)
    }
  return [...merged.values()]
}

/** Prefixing is injective when no server name contains the separator or ends in `_`. */
const plainServerNames = (servers: Upstreams) =>
  servers.every(({ server }) => !server.includes(PREFIX_SEPARATOR) && !server.endsWith("_"))

describe("exposed tool names (issue 14)", () => {
  it.prop(
    "exposed names are unique and each stands for exactly one (servers, upstream name) that offers it",
    [upstreams, mode],
    ([servers, prefixMode]) => {
      const catalog = catalogOf(servers)
      const { tools, hidden } = exposure(catalog, prefixMode)
      const names = tools.map((tool) => tool.name)
      expect(new Set(names).size).toBe(names.length)
      // Every (server, upstream name) pair is served under one exposed name at most: no two names share a server's tool.
      const served = new Map<string, string>()
      for (const tool of tools) {
        const entry = catalog.find((item) => item.name === tool.upstreamName)
        expect(tool.servers.length).toBeGreaterThan(0)
        for (const server of tool.servers) {
          expect(entry?.servers).toContain(server)
          const pair = `${server}\u0000${tool.upstreamName}`
          expect(served.has(pair)).toBe(false)
          served.set(pair, tool.name)
        }
      }
      // And every offered pair is served, or reported as left out.
      for (const entry of catalog)
        for (const server of entry.servers) {
          const isServed = served.has(`${server}\u0000${entry.name}`)
          const isHidden = hidden.some((tool) => tool.server === server && tool.upstreamName === entry.name)
          expect(isServed !== isHidden).toBe(true)
        }
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "with prefixing, a bare name never contains the separator, and with plain server names nothing is left out and every name reads back",
    [upstreams, fc.constantFrom<PrefixMode>("conditional", "always")],
    ([servers, prefixMode]) => {
      const { tools, hidden } = exposure(catalogOf(servers), prefixMode)
      for (const tool of tools) {
        if (tool.name === tool.upstreamName) expect(tool.name.includes(PREFIX_SEPARATOR)).toBe(false)
        else expect(tool.name).toBe(`${tool.servers[0]}${PREFIX_SEPARATOR}${tool.upstreamName}`)
      }
      if (plainServerNames(servers)) {
        expect(hidden).toEqual([])
        for (const tool of tools) {
          const at = tool.name.indexOf(PREFIX_SEPARATOR)
          if (at === -1) expect(tool.upstreamName).toBe(tool.name)
          else
            expect([tool.servers, tool.upstreamName]).toEqual([
              [tool.name.slice(0, at)],
              tool.name.slice(at + PREFIX_SEPARATOR.length)
            ])
        }
      }
    }
  )

  it("a bare upstream name that reads as another server's prefixed name is exposed under its own server's prefix", () => {
    const servers = [
      {
        server: "srvA",
        tools: [
          { name: "echo", schema: 0 },
          { name: "srvB__echo", schema: 0 }
        ]
      },
      { server: "srvB", tools: [{ name: "echo", schema: 1 }] }
    ]
    const { tools, hidden } = exposure(catalogOf(servers), "conditional")
    expect(tools.map((tool) => [tool.name, tool.servers, tool.upstreamName])).toEqual([
      ["srvA__echo", ["srvA"], "echo"],
      ["srvB__echo", ["srvB"], "echo"],
      ["srvA__srvB__echo", ["srvA"], "srvB__echo"]
    ])
    expect(hidden).toEqual([])
  })

  it("server names that make two prefixed names equal: the first keeps the name, the other is left out and reported", () => {
    const servers = [
      { server: "a", tools: [{ name: "_b", schema: 0 }] },
      { server: "a_", tools: [{ name: "b", schema: 0 }] }
    ]
    const { tools, hidden } = exposure(catalogOf(servers), "always")
    expect(tools.map((tool) => [tool.name, tool.servers])).toEqual([["a___b", ["a"]]])
    expect(hidden).toEqual([
      { server: "a_", upstreamName: "b", name: "a___b", takenBy: { servers: ["a"], upstreamName: "_b" } }
    ])
  })
})
