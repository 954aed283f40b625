/**
 * What the dashboard knows: the servers as the API last answered them, the recent events (bounded, the rest counted)
 * and each server's recent call latencies, measured from its invocation events (`invoke_start` to
 * `invoke_success` / `invoke_failure` of the same request at the same server).
 */

/** Events kept for the list; older ones are dropped and counted. */
export const MAX_EVENTS = 500
/** Latency samples kept per server. */
export const MAX_SAMPLES = 50
/** Calls started and not yet finished that are tracked; past it the oldest is forgotten and counted. */
export const MAX_PENDING = 1000

export function createState() {
  return {
    servers: new Map(),
    events: [],
    droppedEvents: 0,
    nextEventKey: 0,
    samples: new Map(),
    pending: new Map(),
    droppedPending: 0
  }
}

export function setServers(state, items) {
  state.servers = new Map(items.map((server) => [server.name, server]))
}

export function putServer(state, server) {
  state.servers.set(server.name, server)
}

export function removeServer(state, name) {
  state.servers.delete(name)
  state.samples.delete(name)
}

/** A connection event's new status, shown at once (the full record follows from the API). */
export function applyConnection(state, event) {
  const known = state.servers.get(event.server)
  if (known !== undefined) state.servers.set(event.server, { ...known, status: event.to_status })
}

/** Keep an event for the list; answers the kept entry and the one it pushed out, if any. */
export function recordEvent(state, type, data) {
  const entry = { key: state.nextEventKey++, type, data }
  state.events.push(entry)
  let dropped
  if (state.events.length > MAX_EVENTS) {
    dropped = state.events.shift()
    state.droppedEvents += 1
  }
  return { entry, dropped }
}

const pendingKey = (event) => `${event.server}\u0000${event.request_id}`

/** Fold an invocation event into the latency figures. */
export function recordInvocation(state, event) {
  if (event.phase === "invoke_start") {
    state.pending.set(pendingKey(event), Date.parse(event.timestamp))
    if (state.pending.size > MAX_PENDING) {
      state.pending.delete(state.pending.keys().next().value)
      state.droppedPending += 1
    }
    return
  }
  if (event.phase !== "invoke_success" && event.phase !== "invoke_failure") return
  const started = state.pending.get(pendingKey(event))
  if (started === undefined) return
  state.pending.delete(pendingKey(event))
  const samples = state.samples.get(event.server) ?? []
  samples.push(Math.max(0, Date.parse(event.timestamp) - started))
  if (samples.length > MAX_SAMPLES) samples.shift()
  state.samples.set(event.server, samples)
}

export function clearLatency(state) {
  state.samples.clear()
  state.pending.clear()
}

/** The last call's latency and the median of the kept ones, in ms; null without any. */
export function latencyOf(state, server) {
  const samples = state.samples.get(server)
  if (samples === undefined || samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  return { last: samples[samples.length - 1], p50: sorted[Math.floor((sorted.length - 1) / 2)], count: samples.length }
}

/** Whether an event passes the list's filters (type, server). */
export function matches(entry, filters) {
  if (filters.type !== "" && entry.type !== filters.type) return false
  return filters.server === "" || entry.data?.server === filters.server
}
