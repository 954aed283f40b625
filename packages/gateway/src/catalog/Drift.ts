import { CapabilityEvent, CapabilityEventKind, ListKind, RejectedItem } from "@att/core"
import type { DateTime } from "effect"

// The event schemas live in core (the event journal persists them); re-exported for the gateway's modules.
export { CapabilityEvent, CapabilityEventKind, ListKind, RejectedItem }

export type Item = Record<string, unknown>

/** What identifies an item of each list. */
export const keyOf = (kind: ListKind, item: Item): string | null => {
  const key = kind === "resources" ? item.uri : kind === "resource_templates" ? item.uriTemplate : item.name
  return typeof key === "string" ? key : null
}

/** JSON with object keys sorted, so two equal definitions compare equal whatever their key order. */
export const canonicalJson = (value: unknown): string => {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : typeof v === "object" && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((key) => [key, canonical((v as Record<string, unknown>)[key])])
          )
        : v
  return JSON.stringify(canonical(value))
}

/** A `rejected` event: items of one list of a server that att does not offer. */
export const rejectedEvent = (
  server: string,
  list: ListKind,
  rejected: ReadonlyArray<RejectedItem>,
  timestamp: DateTime.Utc
): CapabilityEvent => ({ kind: "rejected", server, list, added: [], removed: [], changed: [], rejected, timestamp })

export interface Drift {
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  readonly changed: ReadonlyArray<string>
}

/** The difference between two snapshots of one list; empty arrays when nothing changed. */
export const driftOf = (kind: ListKind, before: ReadonlyArray<Item>, after: ReadonlyArray<Item>): Drift => {
  const index = (items: ReadonlyArray<Item>) => {
    const byKey = new Map<string, string>()
    for (const item of items) {
      const key = keyOf(kind, item)
      if (key !== null) byKey.set(key, canonicalJson(item))
    }
    return byKey
  }
  const old = index(before)
  const now = index(after)
  return {
    added: [...now.keys()].filter((key) => !old.has(key)).sort(),
    removed: [...old.keys()].filter((key) => !now.has(key)).sort(),
    changed: [...now.entries()]
      .filter(([key, json]) => old.has(key) && old.get(key) !== json)
      .map(([key]) => key)
      .sort()
  }
}

export const isEmptyDrift = (drift: Drift): boolean =>
  drift.added.length === 0 && drift.removed.length === 0 && drift.changed.length === 0
