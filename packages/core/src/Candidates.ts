import type { DateTime } from "effect"
import type { ServerRecord } from "./domain/ServerRecord.js"
import { shouldRetry } from "./StatusMachine.js"

const byName = (a: ServerRecord, b: ServerRecord) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * The order candidates are tried in: the preferred servers in the given order (unknown names skipped), then the rest
 * by name. A server named twice in `preferred` is tried once.
 */
export const orderCandidates = (
  records: ReadonlyArray<ServerRecord>,
  preferred: ReadonlyArray<string> | null | undefined
): ReadonlyArray<ServerRecord> => {
  const sorted = [...records].sort(byName)
  if (preferred === null || preferred === undefined || preferred.length === 0) return sorted
  const byKey = new Map(sorted.map((record) => [record.name, record]))
  const seen = new Set<string>()
  const head: Array<ServerRecord> = []
  for (const name of preferred) {
    const record = byKey.get(name)
    if (record !== undefined && !seen.has(name)) {
      seen.add(name)
      head.push(record)
    }
  }
  return [...head, ...sorted.filter((record) => !seen.has(record.name))]
}

/** Who may be tried: healthy servers, then degraded and unreachable ones whose retry window is open; order kept. */
export const eligibleCandidates = (
  ordered: ReadonlyArray<ServerRecord>,
  now: DateTime.Utc
): ReadonlyArray<ServerRecord> => [
  ...ordered.filter((record) => record.status === "healthy"),
  ...ordered.filter((record) => record.status === "degraded" && shouldRetry(record, now)),
  ...ordered.filter((record) => record.status === "unreachable" && shouldRetry(record, now))
]

/** `chooseServer`: the first healthy server, else the first degraded one; retry windows are ignored. */
export const chooseServer = (
  records: ReadonlyArray<ServerRecord>,
  preferred?: ReadonlyArray<string> | null
): ServerRecord | undefined => {
  const ordered = orderCandidates(records, preferred)
  return ordered.find((record) => record.status === "healthy") ?? ordered.find((record) => record.status === "degraded")
}
