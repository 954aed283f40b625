/**
 * att's dashboard: the servers as the API answers them, kept current by the live event stream (read with `fetch`,
 * resumed with `Last-Event-ID`), the events under filters, and the session actions. Nothing polls: a server's record
 * is fetched again when an event names it or an action changed it.
 */
import * as api from "./api.js"
import { createSseParser, readEvents } from "./sse.js"
import * as model from "./state.js"
import * as view from "./view.js"

const $ = (id) => document.getElementById(id)
const state = model.createState()
const filters = { type: "", server: "" }
/** Aborts the stream being followed (a new token, a reload). */
let following = null

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function setConnection(text, live) {
  $("connection").textContent = text
  $("connection").className = live ? "pill live" : "pill"
}

function renderServers() {
  view.renderServers(state, $("servers").tBodies[0], Date.now())
  view.renderServerFilter(state, $("filter-server"))
}

function say(text, isError = false) {
  $("action-result").textContent = text
  $("action-result").className = isError ? "error" : ""
}

function askToken(message) {
  following?.abort()
  following = null
  api.token.clear()
  $("main").hidden = true
  $("token-panel").hidden = false
  $("token-error").textContent = message
  setConnection("needs a token", false)
  $("token-input").focus()
}

/** Fetch one server again (coalesced per server); a server att no longer has leaves the table. */
const inFlight = new Map()
function refreshServer(name) {
  if (inFlight.has(name)) {
    inFlight.set(name, true)
    return
  }
  inFlight.set(name, false)
  api.servers
    .get(name)
    .then(
      (server) => model.putServer(state, server),
      (error) => {
        if (error instanceof api.ApiError && error.status === 404) model.removeServer(state, name)
        else if (error instanceof api.AuthRequired) askToken("The token was refused.")
      }
    )
    .finally(() => {
      const again = inFlight.get(name)
      inFlight.delete(name)
      renderServers()
      if (again) refreshServer(name)
    })
}

/** A server's lists are fetched just after its handshake: its counts are read again shortly after an event. */
function refreshServerNowAndSoon(name) {
  refreshServer(name)
  setTimeout(() => refreshServer(name), 1500)
}

function onEvent(type, data) {
  const kept = model.recordEvent(state, type, data)
  view.prependEvent(state, $("events"), filters, kept, $("events-note"))
  if (type === "connection") {
    model.applyConnection(state, data)
    renderServers()
    refreshServerNowAndSoon(data.server)
  } else if (type === "invocation") {
    model.recordInvocation(state, data)
    if (data.phase === "invoke_success" || data.phase === "initialize_success") renderServers()
    if (data.phase === "invoke_failure" || data.phase === "initialize_failure" || !state.servers.has(data.server))
      refreshServer(data.server)
    else if (data.phase === "initialize_success") refreshServerNowAndSoon(data.server)
  } else if (type === "capability") {
    refreshServer(data.server)
  }
}

/**
 * Where the stream stands, then the servers: no event after the position is lost, and the stream replays from it.
 * The first time, the latency figures start from the recent calls, read before the position so none counts twice.
 */
async function snapshot(seedLatency) {
  const recent = seedLatency ? await api.recentInvocations() : []
  if (seedLatency) model.clearLatency(state)
  const position = await api.streamPosition()
  const list = await api.servers.list()
  model.setServers(state, list.items)
  const byTime = [...recent].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp))
  for (const event of byTime) model.recordInvocation(state, event)
  renderServers()
  return position
}

/** Follow the event stream until aborted, reconnecting with `Last-Event-ID` (backing off up to 8 s). */
async function follow(controller, from) {
  let resumeId = from
  let delay = 500
  let resync = false
  while (!controller.signal.aborted) {
    try {
      if (resync) resumeId = await snapshot(false)
      resync = false
      const headers = resumeId === undefined ? {} : { "last-event-id": resumeId }
      const response = await api.request("api/v1/mcp/events/stream", { headers, signal: controller.signal })
      if (response.status === 400) resync = true
      if (!response.ok) throw new Error(`the event stream answered ${response.status}`)
      setConnection("live", true)
      delay = 500
      const parser = createSseParser()
      for await (const event of readEvents(response.body, parser)) {
        if (event.id !== undefined) resumeId = event.id
        let data
        try {
          data = JSON.parse(event.data)
        } catch {
          continue
        }
        onEvent(event.event, data)
        // The reader fell behind what att keeps: start again from a fresh snapshot.
        if (event.event === "overflow") resync = true
      }
    } catch (error) {
      if (controller.signal.aborted) return
      if (error instanceof api.AuthRequired) return askToken("The token was refused.")
    }
    setConnection("reconnecting…", false)
    await sleep(delay)
    delay = Math.min(delay * 2, 8000)
  }
}

async function start() {
  following?.abort()
  following = null
  try {
    if ((await api.tokenRequired()) && api.token.get() === null) return askToken("")
    const position = await snapshot(true)
    $("token-panel").hidden = true
    $("main").hidden = false
    $("forget-token").hidden = api.token.get() === null
    following = new AbortController()
    follow(following, position)
  } catch (error) {
    if (error instanceof api.AuthRequired) return askToken("That token was refused.")
    setConnection("att did not answer", false)
    say(`Could not load the servers: ${error.message}`, true)
    $("main").hidden = false
  }
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault()
  const value = $("token-input").value.trim()
  $("token-input").value = ""
  if (value === "") return
  api.token.set(value)
  start()
})

$("forget-token").addEventListener("click", () => askToken(""))

const ACTIONS = {
  refresh: (name) => api.servers.refresh(name).then((server) => model.putServer(state, server)),
  invalidate: (name) => api.servers.invalidate(name).then((server) => model.putServer(state, server)),
  unregister: (name) => api.servers.unregister(name).then(() => model.removeServer(state, name))
}

$("servers").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]")
  if (button === null) return
  const { action, server } = button.dataset
  button.disabled = true
  say(`${action}: ${server}…`)
  ACTIONS[action](server)
    .then(
      () => say(`${action}: ${server}: done`),
      (error) => {
        if (error instanceof api.AuthRequired) return askToken("The token was refused.")
        say(`${action}: ${server}: ${error.detail ?? error.message}`, true)
      }
    )
    .finally(() => {
      button.disabled = false
      renderServers()
    })
})

$("register-form").addEventListener("submit", async (event) => {
  event.preventDefault()
  const form = event.target
  const body = { name: form.elements.name.value.trim(), url: form.elements.url.value.trim() }
  body.transport = form.elements.transport.value
  say(`register: ${body.name}…`)
  try {
    model.putServer(state, await api.servers.register(body))
    renderServers()
    form.reset()
    // Connect at once: its protocol version and lists show without waiting for the next health check.
    model.putServer(state, await api.servers.connect(body.name))
    say(`register: ${body.name}: done`)
    refreshServerNowAndSoon(body.name)
  } catch (error) {
    if (error instanceof api.AuthRequired) return askToken("The token was refused.")
    say(`register: ${body.name}: ${error.detail ?? error.message}`, true)
  }
  renderServers()
})

for (const [id, key] of [
  ["filter-type", "type"],
  ["filter-server", "server"]
]) {
  $(id).addEventListener("change", (event) => {
    filters[key] = event.target.value
    view.renderEvents(state, $("events"), filters, $("events-note"))
  })
}

// The retry windows count down on screen; nothing is fetched for it.
setInterval(() => {
  for (const cell of document.querySelectorAll("td.retry[title]")) {
    const row = cell.closest("tr")
    const server = state.servers.get(row?.dataset.server)
    if (server?.next_retry_at)
      cell.textContent = `${view.untilText(server.next_retry_at, Date.now())} (failures: ${server.retry_count})`
  }
}, 1000)

start()
