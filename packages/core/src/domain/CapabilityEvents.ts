import { Schema } from "effect"

/** The lists att keeps of each upstream. */
export const ListKind = Schema.Literal("tools", "resources", "resource_templates", "prompts")
export type ListKind = typeof ListKind.Type

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
 * Defined in core because the event journal persists it beside connection and invocation events.
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
