import { createHash } from "node:crypto"
import type { CatalogTool } from "../catalog/Catalog.js"
import { canonicalJson } from "../catalog/Drift.js"

/** How upstream tool names are shown to att's own MCP clients. */
export type PrefixMode = "conditional" | "always" | "never"

export const PREFIX_SEPARATOR = "__"

/** A tool as att exposes it: the upstream name it stands for and the servers that may serve it, in order. */
export interface ExposedTool {
  readonly name: string
  readonly upstreamName: string
  readonly servers: ReadonlyArray<string>
  readonly definition: Record<string, unknown>
}

/** A stable hash of a tool's input schema (key order does not matter). */
export const schemaHash = (definition: Record<string, unknown>): string =>
  createHash("sha256").update(canonicalJson(definition.inputSchema ?? null)).digest("hex")

/**
 * The tools att offers: servers offering a name with the same input schema form one failover group under that
 * name; with `conditional`, a name offered with different schemas becomes `SERVER__name` per server; `always`
 * prefixes every tool; `never` keeps the first server's schema under the bare name.
 */
export const exposeTools = (catalog: ReadonlyArray<CatalogTool>, mode: PrefixMode): ReadonlyArray<ExposedTool> =>
  catalog.flatMap((tool): ReadonlyArray<ExposedTool> => {
    const byServer = tool.servers.map((server) => ({ server, definition: tool.definitions[server] ?? { name: tool.name } }))
    const prefixed = () =>
      byServer.map(({ server, definition }) => ({
        name: `${server}${PREFIX_SEPARATOR}${tool.name}`,
        upstreamName: tool.name,
        servers: [server],
        definition
      }))
    const first = byServer[0]
    if (first === undefined) return []
    if (mode === "always") return prefixed()
    const interchangeable = new Set(byServer.map(({ definition }) => schemaHash(definition))).size === 1
    if (mode === "conditional" && !interchangeable) return prefixed()
    const group = mode === "never" ? tool.servers : byServer.map(({ server }) => server)
    return [{ name: tool.name, upstreamName: tool.name, servers: group, definition: first.definition }]
  })
