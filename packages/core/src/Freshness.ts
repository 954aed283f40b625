import { DateTime, type Duration, Option } from "effect"
import type { SessionDiagnostics } from "./domain/Events.js"
import type { Freshness } from "./domain/Status.js"

/** How recently a cached session was used (`unknown`, `active_recent`, `stale`), inclusive at the boundary. */
export const classifyFreshness = (
  diagnostics: SessionDiagnostics,
  now: DateTime.Utc,
  staleAfter: Option.Option<Duration.Duration>
): Freshness => {
  if (!diagnostics.active || diagnostics.last_activity_at === null) return "unknown"
  if (Option.isNone(staleAfter)) return "active_recent"
  const threshold = DateTime.subtractDuration(now, staleAfter.value)
  return DateTime.greaterThanOrEqualTo(diagnostics.last_activity_at, threshold) ? "active_recent" : "stale"
}
