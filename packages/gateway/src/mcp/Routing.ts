import type { ServerRecord } from "@att/core"
import { eligibleCandidates, orderCandidates, shouldRetry } from "@att/core/internal"
import type { DateTime } from "effect"
import type { CatalogTool } from "../catalog/Catalog.js"
import { type ExposedTool, schemaHash } from "./Exposure.js"

/** Why a server is not among a call's candidates. */
export type SkipReason =
  | "not offered"
  | "schema differs"
  | "offered under another name"
  | "retry window closed"
  | "unreachable"

export interface RoutePlan {
  readonly tool_name: string
  readonly upstream_name: string
  /** May a failure after the request was sent move the call to the next server? */
  readonly failover_after_send: boolean
  /** The servers that would be tried, in order. */
  readonly candidates: ReadonlyArray<{ readonly server: string; readonly status: ServerRecord["status"] }>
  readonly skipped: ReadonlyArray<{ readonly server: string; readonly reason: SkipReason }>
}

/** Annotated as safe to repeat (`readOnlyHint` or `idempotentHint`), or named in the config. */
export const repeatable = (tool: ExposedTool, idempotentTools: ReadonlyArray<string>): boolean => {
  const annotations = tool.definition.annotations as { readOnlyHint?: unknown; idempotentHint?: unknown } | undefined
  return (
    annotations?.readOnlyHint === true ||
    annotations?.idempotentHint === true ||
    idempotentTools.includes(tool.name) ||
    idempotentTools.includes(tool.upstreamName)
  )
}

/**
 * The route of a call to an exposed tool, exactly as the manager will walk it: the group's servers in preferred
 * order, healthy first, then those whose retry window is open; every other registered server with its reason.
 */
export const planRoute = (
  tool: ExposedTool,
  catalog: ReadonlyArray<CatalogTool>,
  records: ReadonlyArray<ServerRecord>,
  preferred: ReadonlyArray<string>,
  idempotentTools: ReadonlyArray<string>,
  now: DateTime.Utc
): RoutePlan => {
  const group = new Set(tool.servers)
  const candidates = eligibleCandidates(
    orderCandidates(
      records.filter((record) => group.has(record.name)),
      preferred
    ),
    now
  )
  const chosen = new Set(candidates.map((record) => record.name))
  const offered = catalog.find((entry) => entry.name === tool.upstreamName)
  const hash = schemaHash(tool.definition)
  const skipped = orderCandidates(records, preferred)
    .filter((record) => !chosen.has(record.name))
    .map((record) => {
      const definition = offered?.definitions[record.name]
      const reason: SkipReason =
        definition === undefined
          ? "not offered"
          : !group.has(record.name)
            ? schemaHash(definition) !== hash
              ? "schema differs"
              : "offered under another name"
            : record.status === "unreachable" && !shouldRetry(record, now)
              ? "unreachable"
              : "retry window closed"
      return { server: record.name, reason }
    })
  return {
    tool_name: tool.name,
    upstream_name: tool.upstreamName,
    failover_after_send: repeatable(tool, idempotentTools),
    candidates: candidates.map((record) => ({ server: record.name, status: record.status })),
    skipped
  }
}
