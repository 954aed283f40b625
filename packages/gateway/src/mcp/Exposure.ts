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
  createHash("sha256")
    .update(canonicalJson(definition.inputSchema ?? null))
    .digest("hex")

/** A tool att does not offer because its exposed name is another's already. */
export interface HiddenTool {
  readonly server: string
  readonly upstreamName: string
  /** The name it would have had. */
  readonly name: string
  /** The tool that has the name. */
  readonly takenBy: { readonly servers: ReadonlyArray<string>; readonly upstreamName: string }
}

/** Why a hidden tool is not offered. */
export const hiddenReason = (tool: HiddenTool): string =>
  `its exposed name "${tool.name}" is taken by ${tool.takenBy.servers.join(", ")}'s "${tool.takenBy.upstreamName}"`

export interface Exposure {
  readonly tools: ReadonlyArray<ExposedTool>
  readonly hidden: ReadonlyArray<HiddenTool>
}

/** Does the name need its server's prefix whatever the mode (it could read as another server's prefixed name)? */
const carriesSeparator = (name: string): boolean => name.includes(PREFIX_SEPARATOR)

/**
 * The tools att offers. Servers offering a name with the same input schema form one failover group under that
 * name; with `conditional`, a name offered with different schemas becomes `SERVER__name` per server; `always`
 * prefixes every tool; `never` keeps the first server's schema under the bare name and prefixes nothing.
 *
 * Names cannot collide. With `conditional` and `always`, an upstream name that contains `__` is always exposed as
 * `SERVER__name` under its own server, so a bare exposed name never contains `__` and cannot equal, or pass for,
 * another server's prefixed name (and the catalog has one entry per bare name). Reading a prefixed name up to its
 * first `__` gives back its server as long as server names neither contain `__` nor end in `_`; otherwise two
 * prefixed names can be equal (`a_` + `b` and `a` + `_b` both read `a___b`), and then the first in catalog order
 * keeps the name and the other is left out, listed in `hidden`. With `never` every name is bare. Every exposed name
 * thus stands for exactly one (servers, upstream name).
 */
export const exposure = (catalog: ReadonlyArray<CatalogTool>, mode: PrefixMode): Exposure => {
  const candidates = catalog.flatMap((tool): ReadonlyArray<ExposedTool> => {
    const byServer = tool.servers.map((server) => ({
      server,
      definition: tool.definitions[server] ?? { name: tool.name }
    }))
    const prefixed = () =>
      byServer.map(({ server, definition }) => ({
        name: `${server}${PREFIX_SEPARATOR}${tool.name}`,
        upstreamName: tool.name,
        servers: [server],
        definition
      }))
    const first = byServer[0]
    if (first === undefined) return []
    if (mode === "never")
      return [{ name: tool.name, upstreamName: tool.name, servers: tool.servers, definition: first.definition }]
    if (mode === "always" || carriesSeparator(tool.name)) return prefixed()
    const interchangeable = new Set(byServer.map(({ definition }) => schemaHash(definition))).size === 1
    if (!interchangeable) return prefixed()
    return [{ name: tool.name, upstreamName: tool.name, servers: tool.servers, definition: first.definition }]
  })
  const byName = new Map<string, ExposedTool>()
  const hidden: Array<HiddenTool> = []
  for (const tool of candidates) {
    const taken = byName.get(tool.name)
    if (taken === undefined) byName.set(tool.name, tool)
    else
      for (const server of tool.servers)
        hidden.push({
          server,
          upstreamName: tool.upstreamName,
          name: tool.name,
          takenBy: { servers: taken.servers, upstreamName: taken.upstreamName }
        })
  }
  return { tools: [...byName.values()], hidden }
}

/** The tools of `exposure`, without those left out. */
export const exposeTools = (catalog: ReadonlyArray<CatalogTool>, mode: PrefixMode): ReadonlyArray<ExposedTool> =>
  exposure(catalog, mode).tools
