import type { Clock } from "effect"
import { DateTime } from "effect"

let lastMillis = Number.NaN
let last: DateTime.Utc = DateTime.unsafeMake(0)

/**
 * `millis` as a DateTime. One call stamps several things within the same millisecond (its events, the registry
 * transition, the session's activity), and a DateTime is an immutable value, so the last one made is reused
 * while the millisecond is the same instead of making a Date and a DateTime each time.
 */
export const utcAt = (millis: number): DateTime.Utc => {
  if (millis !== lastMillis) {
    last = DateTime.unsafeMake(millis)
    lastMillis = millis
  }
  return last
}

/** The clock's time as a DateTime, read synchronously (for code already running inside an effect). */
export const currentUtc = (clock: Clock.Clock): DateTime.Utc => utcAt(clock.unsafeCurrentTimeMillis())
