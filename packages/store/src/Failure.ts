import { StoreUnavailable } from "@att/core"
import { redact } from "@att/core/internal"

/** The message of an error and of its causes, joined: a driver's reason is often in the cause. */
const messages = (error: unknown, depth = 0): ReadonlyArray<string> => {
  if (depth > 3 || typeof error !== "object" || error === null) return typeof error === "string" ? [error] : []
  const own = "message" in error && typeof error.message === "string" && error.message !== "" ? [error.message] : []
  return [...own, ...messages("cause" in error ? error.cause : undefined, depth + 1)]
}

/** A database failure as `StoreUnavailable`: what was attempted and the driver's reason, without `secrets`. */
export const unavailable =
  (what: string, secrets: ReadonlyArray<string> = []) =>
  (error: unknown): StoreUnavailable =>
    new StoreUnavailable({ reason: redact(`${what}: ${messages(error).join(": ") || String(error)}`, secrets) })
