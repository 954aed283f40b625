import { mkdtempSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect, Either, Layer } from "effect"
import { type Browser, type Page, type Request, chromium } from "playwright-core"
import { decodeConfig, gatewayRoutes, makeNodeServer, serviceCore } from "@att/gateway"
import { SdkTransport } from "@att/sdk-transport"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"

const TOKEN = "dashboard-test-token"
const HEALTH_INTERVAL_MS = 1_000
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** Screenshots go to `ATT_SCREENSHOT_DIR` when set (the README's image is made that way), else a temp dir. */
const screenshotDir = process.env.ATT_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), "att-dashboard-"))

/** A tool name that would run script if the page ever parsed upstream text as HTML. */
const HOSTILE_NAME = `<img src=x onerror="document.title='pwned'">`

/** The page's own global, for `page.evaluate` (the tests are type-checked without the DOM's types). */
declare const sessionStorage: { getItem(key: string): string | null }

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

const browser = Effect.acquireRelease(
  promise(() =>
    chromium.launch({
      executablePath: process.env.ATT_CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
    })
  ),
  (opened: Browser) => promise(() => opened.close())
)

/** att in-process on a real socket, as `att serve` wires it; the Node server too, so the test can cut connections. */
const startAtt = (mcpServers: Record<string, unknown>, extra: Record<string, unknown>) =>
  Effect.gen(function* () {
    const config = Either.getOrThrow(decodeConfig({ mcpServers, ...extra }, "test"))
    const server = makeNodeServer(config)
    const context = yield* Layer.build(
      gatewayRoutes(config).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => server, { host: "127.0.0.1", port: 0 })),
        Layer.provideMerge(serviceCore(config, config.auth_token, SdkTransport.layer({ callTimeoutMs: 2_000 })))
      )
    )
    const address = yield* HttpServer.addressWith((a) => Effect.succeed(a)).pipe(Effect.provide(context))
    return { base: `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`, server }
  })

const api = (base: string, path: string, init: RequestInit = {}) =>
  promise(() => fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } }))

/** A POST on a connection of its own (the pooled ones of `fetch` were just cut), answering its JSON. */
const onNewConnection = (base: string, path: string, body: string) =>
  Effect.async<unknown>((resume) => {
    const sent = httpRequest(
      `${base}${path}`,
      {
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }
      },
      (response) => {
        let text = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => {
          text += chunk
        })
        response.on("end", () => resume(Effect.sync(() => JSON.parse(text))))
      }
    )
    sent.on("error", (error) => resume(Effect.die(error)))
    sent.end(body)
  })

/** The status cell of a server's row, as the page shows it. */
const statusOf = (page: Page, server: string) => page.locator(`tr[data-server="${server}"] .status`)

const shoot = (page: Page, name: string) =>
  promise(() => page.screenshot({ path: join(screenshotDir, name), fullPage: true }))

describe("the dashboard in headless Chromium", () => {
  it.scopedLive(
    "asks for the token, shows the servers, follows the stream, registers through the page",
    () =>
      Effect.gen(function* () {
        // alpha's sessions, so the test can add a tool to its list later (a drift event names it).
        const alphaSessions: Array<McpServer> = []
        const alpha = yield* startHttpUpstream({ name: "alpha", extend: (server) => alphaSessions.push(server) })
        const beta = yield* startHttpUpstream({ name: "beta" })
        const gamma = yield* startHttpUpstream({ name: "gamma" })
        const { base, server } = yield* startAtt(
          { alpha: { url: alpha.url }, beta: { url: beta.url } },
          { auth_token: TOKEN, health_interval_seconds: HEALTH_INTERVAL_MS / 1000, health_jitter: 0 }
        )

        // The page and its files load without a token, with their policy; the API does not.
        const index = yield* promise(() => fetch(`${base}/`))
        expect(index.status).toBe(200)
        expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8")
        expect(index.headers.get("content-security-policy")).toBe(CSP)
        expect(index.headers.get("x-content-type-options")).toBe("nosniff")
        expect(index.headers.get("referrer-policy")).toBe("no-referrer")
        expect(index.headers.get("cache-control")).toBe("no-cache")
        expect(index.headers.get("set-cookie")).toBeNull()
        const etag = index.headers.get("etag") ?? ""
        expect((yield* promise(() => fetch(`${base}/`, { headers: { "if-none-match": etag } }))).status).toBe(304)
        const script = yield* promise(() => fetch(`${base}/dashboard/app.js`))
        expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8")
        const settings = yield* promise(() => fetch(`${base}/dashboard/settings.json`).then((r) => r.json()))
        expect(settings).toEqual({ token_required: true })
        expect((yield* promise(() => fetch(`${base}/api/v1/mcp/servers`))).status).toBe(401)
        expect((yield* promise(() => fetch(`${base}/`, { method: "POST" }))).status).toBe(405)
        // A page on another origin still cannot drive the API, token or not.
        const foreign = yield* api(base, "/api/v1/mcp/servers/alpha/adapter/refresh", {
          method: "POST",
          headers: { origin: "http://evil.example" }
        })
        expect(foreign.status).toBe(403)

        const opened = yield* browser
        const context = yield* promise(() => opened.newContext({ viewport: { width: 1440, height: 900 } }))
        const page = yield* promise(() => context.newPage())
        const requests: Array<Request> = []
        page.on("request", (request) => requests.push(request))
        const errors: Array<string> = []
        page.on("pageerror", (error) => errors.push(error.message))
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text())
        })

        const loaded = yield* promise(() => page.goto(`${base}/`))
        expect(loaded?.headers()["content-security-policy"]).toBe(CSP)
        yield* promise(() => page.locator("#token-form").waitFor({ state: "visible" }))
        yield* shoot(page, "1-token.png")

        // A wrong token is refused and asked for again; the right one shows the servers.
        yield* promise(() => page.fill("#token-input", "wrong-token"))
        yield* promise(() => page.click("#token-form button[type=submit]"))
        yield* promise(() => page.locator("#token-error").getByText("refused").waitFor())
        yield* promise(() => page.fill("#token-input", TOKEN))
        yield* promise(() => page.click("#token-form button[type=submit]"))
        yield* promise(() => statusOf(page, "alpha").getByText("healthy").waitFor())
        yield* promise(() => statusOf(page, "beta").getByText("healthy").waitFor())
        expect(yield* promise(() => page.evaluate(() => sessionStorage.getItem("att.dashboard.token")))).toBe(TOKEN)
        expect(yield* promise(() => context.cookies())).toEqual([])
        yield* promise(() => page.locator("#connection").getByText("live").waitFor())

        // Capability counts and the protocol version come from the API; latency from the invocation events.
        yield* promise(() => page.locator('tr[data-server="alpha"] td.tools').getByText("4").waitFor())
        const protocol = yield* promise(() => page.locator('tr[data-server="alpha"] td.protocol').textContent())
        expect(protocol).toMatch(/^\d{4}-\d{2}-\d{2}$/)
        for (let n = 0; n < 3; n++) {
          const answer = yield* api(base, "/api/v1/mcp/invoke/tool", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ tool_name: "echo", arguments: { message: `hi ${n}` }, preferred_servers: ["alpha"] })
          })
          expect(answer.status).toBe(200)
        }
        yield* promise(() =>
          page
            .locator('tr[data-server="alpha"] td.latency')
            .filter({ hasText: /ms \/ .*ms$/ })
            .waitFor()
        )
        yield* promise(() => page.locator("#events .event-invocation").first().waitFor())
        yield* shoot(page, "2-servers.png")

        // The stream cut: the page reconnects with Last-Event-ID and gets what happened meanwhile, once.
        const streams = () => requests.filter((request) => request.url().endsWith("/api/v1/mcp/events/stream"))
        const streamsBefore = streams().length
        server.closeAllConnections()
        const { request_id } = (yield* onNewConnection(
          base,
          "/api/v1/mcp/invoke/tool",
          JSON.stringify({ tool_name: "echo", arguments: { message: "meanwhile" }, preferred_servers: ["alpha"] })
        )) as { request_id: string }
        yield* promise(() => page.locator("#events .summary", { hasText: `invoke_success (${request_id})` }).waitFor())
        expect(
          yield* promise(() => page.locator("#events .summary", { hasText: `invoke_start (${request_id})` }).count())
        ).toBe(1)
        expect(streams().length).toBe(streamsBefore + 1)
        const resumed = yield* promise(() => (streams().at(-1) as Request).allHeaders())
        expect(resumed["last-event-id"]).toMatch(/^\d+\.\d+\.\d+$/)

        // An upstream killed: its status leaves healthy within the health interval plus 2 s, and within 2 s of
        // its event.
        const killedAt = Date.now()
        yield* beta.close
        yield* promise(() =>
          statusOf(page, "beta")
            .filter({ hasText: /^(degraded|unreachable)$/ })
            .waitFor({ timeout: HEALTH_INTERVAL_MS + 10_000 })
        )
        const shownAt = Date.now()
        const eventsAnswer = yield* api(base, "/api/v1/mcp/events?server=beta")
        const events = (yield* promise(() => eventsAnswer.json())) as {
          items: Array<{ to_status: string; timestamp: string }>
        }
        const left = events.items.find((event) => event.to_status !== "healthy")
        expect(left).toBeDefined()
        const eventAt = Date.parse(left?.timestamp ?? "")
        yield* Effect.log(`beta killed → shown: ${shownAt - killedAt} ms; its event → shown: ${shownAt - eventAt} ms`)
        expect(shownAt - eventAt).toBeLessThan(2_000)
        expect(shownAt - killedAt).toBeLessThan(HEALTH_INTERVAL_MS + 2_000)
        yield* promise(() => page.locator('tr[data-server="beta"] td.error').waitFor())
        yield* shoot(page, "3-upstream-down.png")

        // A server registered through the page's form appears in the API.
        yield* promise(() => page.fill("#register-form input[name=name]", "gamma"))
        yield* promise(() => page.fill("#register-form input[name=url]", gamma.url))
        yield* promise(() => page.click("#register-form button[type=submit]"))
        yield* promise(() => page.locator("#action-result").getByText("register: gamma: done").waitFor())
        const registered = yield* api(base, "/api/v1/mcp/servers/gamma")
        expect(registered.status).toBe(200)
        const record = (yield* promise(() => registered.json())) as { url: string; protocol_version: string | null }
        expect(record.url).toBe(gamma.url)
        expect(record.protocol_version).not.toBeNull()
        yield* promise(() => page.locator('tr[data-server="gamma"] td.tools').getByText("4").waitFor())

        // Filters: one type, one server.
        yield* promise(() => page.selectOption("#filter-type", "connection"))
        const types = yield* promise(() => page.locator("#events .type").allTextContents())
        expect(types.length).toBeGreaterThan(0)
        expect(new Set(types)).toEqual(new Set(["connection"]))
        yield* promise(() => page.selectOption("#filter-type", ""))
        yield* promise(() => page.selectOption("#filter-server", "alpha"))
        const servers = yield* promise(() => page.locator("#events .server").allTextContents())
        expect(servers.length).toBeGreaterThan(0)
        expect(new Set(servers)).toEqual(new Set(["alpha"]))
        yield* promise(() => page.selectOption("#filter-server", ""))
        yield* shoot(page, "4-registered.png")

        // Upstream text is shown as text: a tool named with markup appears in its drift event, and no element is made.
        for (const session of alphaSessions)
          session.registerTool(HOSTILE_NAME, { description: "markup" }, () => ({ content: [] }))
        yield* promise(() => page.locator("#events .summary", { hasText: `added ${HOSTILE_NAME}` }).waitFor())
        expect(yield* promise(() => page.locator("#events img, #servers img").count())).toBe(0)
        expect(yield* promise(() => page.title())).toBe("att dashboard")

        // The session actions, through the existing routes.
        yield* promise(() => page.click('tr[data-server="alpha"] button[data-action="refresh"]'))
        yield* promise(() => page.locator("#action-result").getByText("refresh: alpha: done").waitFor())
        yield* promise(() => page.click('tr[data-server="alpha"] button[data-action="invalidate"]'))
        yield* promise(() => page.locator("#action-result").getByText("invalidate: alpha: done").waitFor())
        yield* promise(() => page.click('tr[data-server="gamma"] button[data-action="unregister"]'))
        yield* promise(() => page.locator("#action-result").getByText("unregister: gamma: done").waitFor())
        expect((yield* api(base, "/api/v1/mcp/servers/gamma")).status).toBe(404)
        expect(yield* promise(() => page.locator('tr[data-server="gamma"]').count())).toBe(0)
        expect(alpha.counters.initialize).toBeGreaterThanOrEqual(2)

        // Every API call the page made carried the token: only the refused try and none after it lacked it.
        const apiCalls = requests.filter((request) => new URL(request.url()).pathname.startsWith("/api/"))
        expect(apiCalls.length).toBeGreaterThan(5)
        const sent = yield* promise(() => Promise.all(apiCalls.map((request) => request.allHeaders())))
        const authorizations = sent.map((headers) => headers.authorization)
        const firstGood = authorizations.indexOf(`Bearer ${TOKEN}`)
        expect(firstGood).toBeGreaterThan(0)
        expect(authorizations.slice(0, firstGood).every((value) => value === "Bearer wrong-token")).toBe(true)
        expect(authorizations.slice(firstGood).every((value) => value === `Bearer ${TOKEN}`)).toBe(true)
        // The rest is the page itself: its files and whether it needs a token, nothing else.
        const others = requests.filter((request) => !new URL(request.url()).pathname.startsWith("/api/"))
        expect(new Set(others.map((request) => new URL(request.url()).pathname))).toEqual(
          new Set([
            "/",
            "/dashboard/settings.json",
            ...["dashboard.css", "app.js", "api.js", "sse.js", "state.js", "view.js"].map(
              (file) => `/dashboard/${file}`
            )
          ])
        )
        // The console's only complaints: the refused token's 401 and the stream the test cut.
        const expected = /status of 401|ERR_INCOMPLETE_CHUNKED_ENCODING/
        expect(errors.filter((text) => !expected.test(text))).toEqual([])
        yield* promise(() => context.close())
      }),
    90_000
  )
})
