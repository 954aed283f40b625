import { type DateTime, Schema } from "effect"

/** The lists att keeps of each upstream. */
export const ListKind = Schema.Literal("tools", "resources", "resource_templates", "prompts")
export type ListKind = typeof ListKind.Type

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

/** What a capability event reports: a change of a list (`drift`), or items att would not offer (`rejected`). */
export const CapabilityEventKind = Schema.Literal("drift", "rejected")
export type CapabilityEventKind = typeof CapabilityEventKind.Type

/** An item of an upstream list that att does not offer to its clients, and why. */
export const RejectedItem = Schema.Struct({
  /** The item's name (URI for resources, URI template for templates); disallowed characters written `<U+XXXX>`. */
  name: Schema.String,
  reason: Schema.String
})
export type RejectedItem = typeof RejectedItem.Type

/**
 * An event of one upstream list. `drift`: names (or URIs) added, removed and redefined between two snapshots
 * (`rejected` empty). `rejected`: items of the list att does not offer, newly so (the other arrays empty).
 */
export const CapabilityEvent = Schema.Struct({
  kind: CapabilityEventKind,
  server: Schema.String,
  list: ListKind,
  added: Schema.Array(Schema.String),
  removed: Schema.Array(Schema.String),
  changed: Schema.Array(Schema.String),
  rejected: Schema.Array(RejectedItem),
  timestamp: Schema.DateTimeUtc
})
export type CapabilityEvent = typeof CapabilityEvent.Type

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
