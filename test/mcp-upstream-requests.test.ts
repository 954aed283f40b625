import { startHttpUpstream } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  McpError,
  type ServerRequest
} from "@modelcontextprotocol/sdk/types.js"
import { join } from "node:path"
import { Effect } from "effect"
import { z } from "zod"
import { eventually, listedWhen, startAtt, text } from "./support/mcpAtt.js"
import { isAlive } from "./support/processes.js"
import { rawRequest } from "./support/rawHttp.js"

/**
 * Requests an upstream sends while serving a call (sampling, elicitation, roots) reach the `/mcp` client whose call
 * they came with, and that client's answer, or error, goes back to the upstream as the client gave it. The upstream
 * is a real SDK server over Streamable HTTP, its session shared by every client of att.
 */

const FIXTURE = join(import.meta.dirname, "fixtures", "upstream-server.ts")
const stdioUpstream = (name: string, extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: ["--conditions=att-source", "--import", "tsx", FIXTURE, name, "stdio"],
  ...extra
})

/** Tools that ask the calling client and report what came back (the answer as JSON, or the error). */
const asking = (server: McpServer) => {
  const ask = <S extends z.ZodTypeAny>(name: string, request: (question: string) => ServerRequest, schema: S) =>
    server.registerTool(name, { inputSchema: { question: z.string().optional() } }, async (args, extra) => {
      try {
        const answer = await extra.sendRequest(request(args.question ?? ""), schema)
        return { content: [{ type: "text" as const, text: JSON.stringify(answer) }] }
      } catch (error) {
        const { code, message, data } = error as McpError
        return { content: [{ type: "text" as const, text: JSON.stringify({ code, message, data }) }] }
      }
    })
  ask(
    "ask_user",
    (question) => ({
      method: "elicitation/create",
      params: {
        mode: "form",
        message: question,
        requestedSchema: { type: "object", properties: { answer: { type: "string" } } }
      }
    }),
    ElicitResultSchema
  )
  ask(
    "ask_model",
    () => ({
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 10 }
    }),
    CreateMessageResultSchema
  )
  ask("ask_roots", () => ({ method: "roots/list" }), ListRootsResultSchema)
}

const barrier = (parties: number) => {
  let arrived = 0
  let open: () => void = () => undefined
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return () => {
    arrived += 1
    if (arrived === parties) open()
    return opened
  }
}

/** A client of att that offers elicitation, sampling and roots, answering each with its own name. */
const answeringClient = (url: string, name: string, wait: () => Promise<void>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client(
        { name, version: "0.0.0" },
        { capabilities: { elicitation: { form: {} }, sampling: {}, roots: {} } }
      )
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        await wait()
        return { action: "accept", content: { answer: `${name}: ${request.params.message}` } }
      })
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        model: `model-of-${name}`,
        role: "assistant",
        content: { type: "text", text: `from ${name}` },
        _meta: { by: name }
      }))
      client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file:///${name}` }] }))
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

const plainClient = (url: string, capabilities: Record<string, unknown> = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "plain", version: "0.0.0" }, { capabilities })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

const call = (client: Client, name: string, question = "") =>
  Effect.promise(() => client.callTool({ name, arguments: { question } })).pipe(
    Effect.map((result) => JSON.parse(text(result) ?? "null") as Record<string, unknown>)
  )

describe("an upstream's requests to its client, through /mcp", () => {
  it.scopedLive("two clients asked at once each answer their own elicitation, on one shared upstream session", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha", extend: asking })
      const url = yield* startAtt({ alpha: { url: upstream.url } })
      const bothAsked = barrier(2)
      const ann = yield* answeringClient(url, "ann", bothAsked)
      const bob = yield* answeringClient(url, "bob", bothAsked)
      yield* listedWhen(ann, (listed) => listed.tools.some((tool) => tool.name === "ask_user"))
      // Each client's handler waits until both were asked: both requests are in flight on the session at once.
      const [forAnn, forBob] = yield* Effect.all([call(ann, "ask_user", "who?"), call(bob, "ask_user", "who?")], {
        concurrency: 2
      })
      expect(forAnn).toEqual({ action: "accept", content: { answer: "ann: who?" } })
      expect(forBob).toEqual({ action: "accept", content: { answer: "bob: who?" } })
      expect(upstream.sessionIds()).toHaveLength(1)
    })
  )

  it.scopedLive("sampling and roots go to the caller; its result passes through with its _meta", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha", extend: asking })
      const url = yield* startAtt({ alpha: { url: upstream.url } })
      const ann = yield* answeringClient(url, "ann", () => Promise.resolve())
      yield* listedWhen(ann, (listed) => listed.tools.some((tool) => tool.name === "ask_model"))
      expect(yield* call(ann, "ask_model")).toEqual({
        model: "model-of-ann",
        role: "assistant",
        content: { type: "text", text: "from ann" },
        _meta: { by: "ann" }
      })
      expect(yield* call(ann, "ask_roots")).toEqual({ roots: [{ uri: "file:///ann" }] })
    })
  )

  it.scopedLive("a client's error goes back unchanged; a client that did not declare the capability is not asked", () =>
    Effect.gen(function* () {
      const upstream = yield* startHttpUpstream({ name: "alpha", extend: asking })
      const url = yield* startAtt({ alpha: { url: upstream.url } })
      const refusing = yield* plainClient(url, { elicitation: { form: {} } })
      refusing.setRequestHandler(ElicitRequestSchema, () => {
        throw new McpError(-32042, "not now", { retry: "later" })
      })
      yield* listedWhen(refusing, (listed) => listed.tools.some((tool) => tool.name === "ask_user"))
      const refused = yield* call(refusing, "ask_user", "who?")
      expect(refused).toMatchObject({ code: -32042, data: { retry: "later" } })
      expect(String(refused.message)).toMatch(/: not now$/)

      const plain = yield* plainClient(url)
      const notAsked = yield* call(plain, "ask_model")
      expect(notAsked.code).toBe(-32601)
      expect(String(notAsked.message)).toContain("did not declare the sampling capability")
      const roots = yield* call(refusing, "ask_roots")
      expect(String(roots.message)).toContain("did not declare the roots capability")
    })
  )

  it.scopedLive(
    "over stdio, a client that can answer gets a child of its own, ended with its session; others share",
    () =>
      Effect.gen(function* () {
        const url = yield* startAtt({ alpha: stdioUpstream("alpha") })
        const ann = yield* answeringClient(url, "ann", () => Promise.resolve())
        const bob = yield* answeringClient(url, "bob", () => Promise.resolve())
        const first = yield* plainClient(url)
        const second = yield* plainClient(url)
        yield* listedWhen(first, (listed) => listed.tools.some((tool) => tool.name === "ask"))
        const forAnn = yield* call(ann, "ask", "who?")
        const forBob = yield* call(bob, "ask", "who?")
        expect(forAnn.answer).toEqual({ action: "accept", content: { answer: "ann: who?" } })
        expect(forBob.answer).toEqual({ action: "accept", content: { answer: "bob: who?" } })
        // The clients that cannot answer share the one child, to which att declared no elicitation: it cannot ask.
        const [shared, again] = [yield* call(first, "ask", "who?"), yield* call(second, "ask", "who?")]
        expect(shared.error).toBeDefined()
        expect(again.pid).toBe(shared.pid)
        expect(new Set([forAnn.pid, forBob.pid, shared.pid]).size).toBe(3)
        // Ann's session ends (DELETE): her child goes with it; Bob's and the shared one stay.
        yield* Effect.promise(() => (ann.transport as StreamableHTTPClientTransport).terminateSession())
        yield* eventually(() => !isAlive(forAnn.pid as number), "ann's child to exit")
        expect(isAlive(forBob.pid as number) && isAlive(shared.pid as number)).toBe(true)
      })
  )

  it.scopedLive(
    "session_mode: shared keeps every client on one child; per_client gives each its own HTTP session",
    () =>
      Effect.gen(function* () {
        const upstream = yield* startHttpUpstream({ name: "beta", extend: asking })
        const url = yield* startAtt({
          alpha: stdioUpstream("alpha", { session_mode: "shared" }),
          beta: { url: upstream.url, session_mode: "per_client" }
        })
        const ann = yield* answeringClient(url, "ann", () => Promise.resolve())
        const plain = yield* plainClient(url)
        yield* listedWhen(ann, (listed) =>
          ["ask", "ask_user"].every((name) => listed.tools.some((t) => t.name === name))
        )
        const [forAnn, forPlain] = [yield* call(ann, "ask", "who?"), yield* call(plain, "ask", "who?")]
        expect(forAnn.pid).toBe(forPlain.pid)
        expect(forAnn.error).toBeDefined()
        expect(yield* call(ann, "ask_user", "who?")).toEqual({ action: "accept", content: { answer: "ann: who?" } })
        // Ann's own session beside the one the catalog and the other clients share.
        expect(upstream.sessionIds().length).toBe(2)
      })
  )

  it.scopedLive(
    "a client's own child takes a place of max_mcp_sessions: with none left, a new session is refused and a call that needs one fails alone",
    () =>
      Effect.gen(function* () {
        const url = yield* startAtt({ alpha: stdioUpstream("alpha") }, { max_mcp_sessions: 3 })
        const ann = yield* answeringClient(url, "ann", () => Promise.resolve())
        const bob = yield* answeringClient(url, "bob", () => Promise.resolve())
        yield* listedWhen(ann, (listed) => listed.tools.some((tool) => tool.name === "ask"))
        // Ann's own child takes the third place: Ann, Bob and the child.
        const forAnn = yield* call(ann, "ask", "who?")
        expect(forAnn.answer).toEqual({ action: "accept", content: { answer: "ann: who?" } })
        const refused = yield* Effect.flip(
          Effect.tryPromise(() =>
            new Client({ name: "late", version: "0.0.0" }).connect(new StreamableHTTPClientTransport(new URL(url)))
          )
        )
        expect(String(refused.error)).toMatch(/max_mcp_sessions 3/)
        // Bob's call needs a child of his own and there is no place left: it fails alone, naming the limit.
        const forBob = yield* Effect.flip(Effect.tryPromise(() => bob.callTool({ name: "ask", arguments: {} })))
        expect(String(forBob.error)).toMatch(/max_mcp_sessions 3/)
        // Ann goes: her session and her child give their places back.
        yield* Effect.promise(() => (ann.transport as StreamableHTTPClientTransport).terminateSession())
        yield* eventually(() => !isAlive(forAnn.pid as number), "ann's child to exit")
        const forBobAgain = yield* call(bob, "ask", "who?")
        expect(forBobAgain.answer).toEqual({ action: "accept", content: { answer: "bob: who?" } })
      })
  )

  it.scopedLive(
    "session_mode given through the API's registration: per_client gives an answering client its own session",
    () =>
      Effect.gen(function* () {
        const upstream = yield* startHttpUpstream({ name: "beta", extend: asking })
        const url = yield* startAtt({}, { allow_private_networks: true })
        const registered = yield* rawRequest(`${new URL(url).origin}/api/v1/mcp/servers`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "beta", url: upstream.url, session_mode: "per_client" })
        })
        expect(registered.status).toBe(201)
        expect(JSON.parse(registered.text).session_mode).toBe("per_client")
        const connected = yield* rawRequest(`${new URL(url).origin}/api/v1/mcp/servers/beta/connect`, {})
        expect(connected.status).toBe(200)
        const ann = yield* answeringClient(url, "ann", () => Promise.resolve())
        const plain = yield* plainClient(url)
        yield* listedWhen(plain, (listed) => listed.tools.some((t) => t.name === "ask_user"))
        expect(yield* call(ann, "ask_user", "who?")).toEqual({ action: "accept", content: { answer: "ann: who?" } })
        // A Streamable HTTP upstream is shared under `auto`: Ann's own session is the mode's doing.
        expect(upstream.sessionIds().length).toBe(2)
      })
  )
})
