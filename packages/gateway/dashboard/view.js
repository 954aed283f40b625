/**
 * Rendering. Every text that comes from att or an upstream (server names, URLs, errors, tool names, reasons) is set
 * with `textContent` or as an attribute value: it is never parsed as HTML.
 */
import { latencyOf, matches } from "./state.js"

/** An element with a class and text, and children appended. */
export function el(tag, { className, text, title } = {}, children = []) {
  const node = document.createElement(tag)
  if (className !== undefined) node.className = className
  if (text !== undefined) node.textContent = text
  if (title !== undefined) node.title = title
  for (const child of children) node.append(child)
  return node
}

const STATUSES = new Set(["healthy", "degraded", "unreachable"])
const statusClass = (status) => `status status-${STATUSES.has(status) ? status : "unknown"}`

/** How long until `iso` (or since), in words; `now` in ms. */
export function untilText(iso, now) {
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  if (seconds <= 0) return "due"
  return seconds < 120 ? `in ${seconds} s` : `in ${Math.round(seconds / 60)} min`
}

const count = (counts, key) => (counts === null || counts === undefined ? "–" : String(counts[key]))

const ms = (value) => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`)

const ACTIONS = [
  ["refresh", "Refresh", "Start a new upstream session and handshake"],
  ["invalidate", "Invalidate", "Close the upstream session; the next call opens a new one"],
  ["unregister", "Unregister", "Remove the server from att"]
]

function serverRow(state, server, now) {
  const row = el("tr")
  row.dataset.server = server.name
  const latency = latencyOf(state, server.name)
  const retry =
    server.next_retry_at === null ? "–" : `${untilText(server.next_retry_at, now)} (failures: ${server.retry_count})`
  const cells = [
    el("td", {}, [
      el("div", { className: "name", text: server.name }),
      el("div", { className: "url", text: server.url })
    ]),
    el("td", {}, [el("span", { className: statusClass(server.status), text: server.status })]),
    el("td", { className: "retry", text: retry, title: server.next_retry_at ?? "" }),
    el("td", { className: "protocol", text: server.protocol_version ?? "–" }),
    el("td", { className: "count tools", text: count(server.capability_counts, "tools") }),
    el("td", { className: "count", text: count(server.capability_counts, "resources") }),
    el("td", { className: "count", text: count(server.capability_counts, "resource_templates") }),
    el("td", { className: "count", text: count(server.capability_counts, "prompts") }),
    el("td", {
      className: "latency",
      text: latency === null ? "–" : `${ms(latency.last)} / ${ms(latency.p50)}`,
      title: latency === null ? "" : `median of the last ${latency.count} calls`
    }),
    el("td", { className: "error", text: server.last_error ?? "" })
  ]
  const actions = el("td", { className: "actions" })
  for (const [action, label, title] of ACTIONS) {
    const button = el("button", { text: label, title })
    button.type = "button"
    button.dataset.action = action
    button.dataset.server = server.name
    actions.append(button)
  }
  row.append(...cells, actions)
  return row
}

export function renderServers(state, tbody, now) {
  const names = [...state.servers.keys()].sort()
  tbody.replaceChildren(...names.map((name) => serverRow(state, state.servers.get(name), now)))
  if (names.length === 0) {
    const cell = el("td", { text: "No servers registered." })
    cell.colSpan = 11
    tbody.append(el("tr", {}, [cell]))
  }
}

/** The server filter's choices: every server known, keeping the current choice. */
export function renderServerFilter(state, select) {
  const chosen = select.value
  const names = new Set([...state.servers.keys(), ...(chosen === "" ? [] : [chosen])])
  const options = [el("option", { text: "all servers" })]
  options[0].value = ""
  for (const name of [...names].sort()) {
    const option = el("option", { text: name })
    option.value = name
    options.push(option)
  }
  select.replaceChildren(...options)
  select.value = chosen
}

function summary(type, data) {
  switch (type) {
    case "connection":
      return `${data.from_status} → ${data.to_status}: ${data.reason}`
    case "invocation":
      return `${data.method} ${data.phase} (${data.request_id})${data.error ? `: ${data.error}` : ""}`
    case "capability": {
      const parts = [
        ["added", data.added],
        ["removed", data.removed],
        ["changed", data.changed]
      ]
        .filter(([, names]) => names?.length > 0)
        .map(([what, names]) => `${what} ${names.join(", ")}`)
      for (const item of data.rejected ?? []) parts.push(`rejected ${item.name} (${item.reason})`)
      return `${data.kind} ${data.list}: ${parts.join("; ")}`
    }
    default:
      return data?.detail ?? JSON.stringify(data)
  }
}

function eventItem(entry) {
  const { type, data } = entry
  const time = typeof data?.timestamp === "string" ? new Date(data.timestamp).toLocaleTimeString() : ""
  const item = el("li", { className: `event event-${type === "overflow" ? "overflow" : type}` }, [
    el("time", { text: time }),
    el("span", { className: "type", text: type }),
    el("span", { className: "server", text: data?.server ?? "" }),
    el("span", { className: "summary", text: summary(type, data) })
  ])
  item.dataset.key = String(entry.key)
  return item
}

const droppedNote = (state) =>
  state.droppedEvents === 0
    ? ""
    : `${state.droppedEvents} older events are not kept here (the last ${state.events.length} are).`

/** The whole list, newest first, under the filters. */
export function renderEvents(state, list, filters, note) {
  const shown = state.events.filter((entry) => matches(entry, filters)).reverse()
  list.replaceChildren(...shown.map(eventItem))
  note.textContent = droppedNote(state)
}

/** One new event at the top, if it passes the filters; the one it pushed out of what is kept leaves the list. */
export function prependEvent(state, list, filters, { entry, dropped }, note) {
  if (matches(entry, filters)) list.prepend(eventItem(entry))
  if (dropped !== undefined && list.lastElementChild?.dataset.key === String(dropped.key))
    list.lastElementChild.remove()
  note.textContent = droppedNote(state)
}
