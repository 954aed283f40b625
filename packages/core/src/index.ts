/**
 * @att/core: the MCP client manager as Effect layers. This entry is the public surface: the `Manager` and its
 * `ManagerConfig`, the `Registry`, `Diagnostics`, the `Transport` interface (with what a transport sends and
 * announces), the health `Probe`, and the domain schemas and errors. The helpers att's own packages share live at
 * `@att/core/internal`, with no stability promise.
 */
export * from "./domain/Errors.js"
export * from "./domain/CapabilityEvents.js"
export * from "./domain/Events.js"
export type { JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from "./domain/JsonRpc.js"
export * from "./domain/ServerRecord.js"
export * from "./domain/Status.js"
export {
  HttpUpstream,
  SessionMode,
  StdioUpstream,
  Upstream,
  type UpstreamTarget,
  displayUrl,
  httpUpstream,
  slotOf
} from "./domain/Upstream.js"
export { type ConnectionEventQuery, Diagnostics, type InvocationEventQuery } from "./Diagnostics.js"
export { type FleetOptions, type InitializeOptions, type InvokeOptions, Manager, type SessionQuery } from "./Manager.js"
export { MANAGER_DEFAULTS, ManagerConfig, type ManagerOptions, type ManagerSettings } from "./ManagerConfig.js"
export { Probe, type ProbeResult, type ProbeShape } from "./Probe.js"
export { SessionBudget, type SessionBudgetShape } from "./SessionBudget.js"
export { type RegisterOptions, Registry, type RegistryEntry } from "./Registry.js"
export {
  EventJournal,
  type EventJournalShape,
  type JournalEntry,
  type JournalStream,
  journalSchemas
} from "./EventJournal.js"
export { Fleet, type FleetShape } from "./Fleet.js"
export { ServerStore, type ServerStoreShape, StoredServer, StoreUnavailable } from "./ServerStore.js"
export { SnapshotStore, type SnapshotStoreShape, StoredSnapshot } from "./SnapshotStore.js"
export * from "./Transport.js"
export * from "./domain/Json.js"
