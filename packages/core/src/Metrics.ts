import { Metric, MetricBoundaries, MetricLabel } from "effect"

/**
 * att's metrics, as Effect `Metric`s in Effect's global registry (the gateway bridges them into OpenTelemetry and
 * serves them as Prometheus text). Names and units follow Prometheus: seconds and bytes, counters end in `_total`.
 * Recording is synchronous (`unsafeUpdate`) with label arrays made once per distinct value set and kept: Effect
 * caches a metric's hook per label array by identity, so a repeated call allocates nothing and hashes nothing.
 */
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

export const callsTotal = counter("att_calls_total", "Invocations, by the server that served (or none) and outcome")
export const callDurationSeconds = Metric.histogram(
  "att_call_duration_seconds",
  MetricBoundaries.fromIterable([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "Invocation time: scope=attempt per server tried, scope=call end to end"
)
export const failoversTotal = counter("att_failovers_total", "Invocations moved on to the next server after a failure")
export const retriesTotal = counter("att_retries_total", "Attempts at a server whose previous check had failed")
export const upstreamStatus = Metric.gauge("att_upstream_status", {
  description: "1 for each server's current status, 0 for the others"
})
export const handshakesTotal = counter("att_handshakes_total", "Initialize handshakes, by server and outcome")
export const mcpSessions = Metric.gauge("att_mcp_sessions", { description: "Open sessions of att's own /mcp endpoint" })
export const bulkheadRejectionsTotal = counter(
  "att_bulkhead_rejections_total",
  "Attempts passed over because the server had max_concurrent_calls_per_server calls in flight"
)
export const eventsDroppedTotal = counter(
  "att_events_dropped_total",
  "Events dropped to stay within a bound: the oldest of a full event buffer, or of an /mcp session's queues"
)
export const resultBytes = Metric.histogram(
  "att_result_bytes",
  MetricBoundaries.exponential({ start: 256, factor: 4, count: 10 }),
  "Size of each upstream response to a request of att's, in bytes"
)

/** The label arrays of one metric, made once per distinct value tuple (nested by value, no key strings built). */
export class LabelCache {
  private readonly root = new Map<string, unknown>()

  constructor(readonly keys: ReadonlyArray<string>) {}

  get(...values: ReadonlyArray<string>): ReadonlyArray<MetricLabel.MetricLabel> {
    let level: Map<string, unknown> = this.root
    const last = values.length - 1
    for (let i = 0; i < last; i++) {
      const value = values[i] as string
      let next = level.get(value) as Map<string, unknown> | undefined
      if (next === undefined) {
        next = new Map()
        level.set(value, next)
      }
      level = next
    }
    const leaf = values[last] as string
    let labels = level.get(leaf) as ReadonlyArray<MetricLabel.MetricLabel> | undefined
    if (labels === undefined) {
      labels = this.keys.map((key, i) => MetricLabel.make(key, values[i] as string))
      level.set(leaf, labels)
    }
    return labels
  }
}

/** The `tool` label: at most `max` distinct tool names, every later one is `other` (tool names come from callers). */
export class ToolLabels {
  private readonly seen = new Set<string>()

  constructor(readonly max: number) {}

  of(tool: string): string {
    // The empty label of the methods that name no tool (lists, reads) never counts against the cap.
    if (tool === "" || this.seen.has(tool)) return tool
    if (this.seen.size >= this.max) return "other"
    this.seen.add(tool)
    return tool
  }
}

export const METRICS_MAX_TOOLS_DEFAULT = 200

const droppedLabels = new LabelCache(["buffer"])

/** Count `n` events dropped from `buffer` (connection, invocation, capability, stream). */
export const recordEventsDropped = (buffer: string, n = 1): void =>
  eventsDroppedTotal.unsafeUpdate(n, droppedLabels.get(buffer))

/** Set the `/mcp` sessions gauge. */
export const recordMcpSessions = (open: number): void => mcpSessions.unsafeUpdate(open, [])

const statusLabels = new LabelCache(["server", "status"])
const STATUSES = ["healthy", "degraded", "unreachable"] as const
const statusSeen = new Set<string>()

/**
 * The status gauge from the registered servers as they are now (read when metrics are scraped, so it is exact and
 * costs nothing between scrapes): 1 for each server's status, 0 for its other statuses; a server no longer
 * registered shows 0 everywhere.
 */
export const recordUpstreamStatuses = (servers: ReadonlyArray<{ readonly name: string; readonly status: string }>) => {
  const current = new Map(servers.map((server) => [server.name, server.status]))
  for (const name of current.keys()) statusSeen.add(name)
  for (const name of statusSeen) {
    const status = current.get(name)
    for (const each of STATUSES) upstreamStatus.unsafeUpdate(each === status ? 1 : 0, statusLabels.get(name, each))
  }
}

const resultLabels = new LabelCache(["server"])

/** Record the size of one upstream response of `server`. */
export const recordResultBytes = (server: string, bytes: number): void =>
  resultBytes.unsafeUpdate(bytes, resultLabels.get(server))
