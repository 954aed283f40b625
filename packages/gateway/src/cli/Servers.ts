import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Either, ParseResult, Schema } from "effect"
import type { AttClient } from "../api/Client.js"
import { ServerNotFoundError } from "../api/Errors.js"
import { RegisterRequest, ServerResponse, ServersResponse, type ToolDescriptor } from "../api/Schemas.js"
import { attClient, connectionOptions, request } from "./Connection.js"
import { operationFailed, traced, usageError } from "./Failure.js"
import { printJson, printTable, progress } from "./Output.js"

const decodeRegistration = Schema.decodeUnknownEither(RegisterRequest)

/** A decode error as one line: the first issue's message, with the field it is about. */
const firstIssue = (error: ParseResult.ParseError) => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issue === undefined ? error.message : `${issue.path.join(".") || "value"}: ${issue.message}`
}

/** A 404 for a server's path as the operator reads it. */
const named =
  (name: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.mapError(effect, (error) =>
      error instanceof ServerNotFoundError ? operationFailed(`no server is registered as ${name}`) : error
    )

const encodeServers = Schema.encodeSync(ServersResponse)
const encodeServer = Schema.encodeSync(ServerResponse)

/** A URL as a table shows it: without userinfo (a secret). */
const withoutCredentials = (url: string) => {
  if (!URL.canParse(url)) return url
  const parsed = new URL(url)
  if (parsed.username === "" && parsed.password === "") return url
  parsed.username = ""
  parsed.password = ""
  return parsed.href
}

/** How many of the catalog's tools each server offers. */
export const toolCounts = (tools: ReadonlyArray<typeof ToolDescriptor.Type>) => {
  const counts = new Map<string, number>()
  for (const tool of tools) for (const server of tool.servers) counts.set(server, (counts.get(server) ?? 0) + 1)
  return counts
}

/** The servers as a table: one row each. */
export const serverTable = (servers: ReadonlyArray<ServerResponse>, counts: ReadonlyMap<string, number>) =>
  printTable(
    ["NAME", "STATUS", "TRANSPORT", "PROTOCOL", "TOOLS", "URL", "LAST ERROR"],
    servers.map((server) => [
      server.name,
      server.status,
      server.transport,
      server.protocol_version,
      counts.get(server.name) ?? 0,
      withoutCredentials(server.url),
      server.last_error
    ])
  )

/** The servers and how many tools each offers. */
export const serversWithTools = (att: AttClient) =>
  Effect.all([att.mcp.listServers(), att.mcp.listTools()], { concurrency: 2 })

const list = traced(
  Command.make("list", connectionOptions, (options) =>
    Effect.gen(function* () {
      const att = yield* attClient(options)
      const [servers, tools] = yield* request(options, serversWithTools(att))
      if (options.json) return yield* printJson(encodeServers(servers))
      yield* serverTable(servers.items, toolCounts(tools))
    })
  ).pipe(Command.withDescription("list the registered servers")),
  "att servers list"
)

/** `--header k=v`: one HTTP header for the upstream (a secret: never printed). */
const headerOf = (text: string) => {
  const at = text.indexOf("=")
  return at <= 0 ? undefined : ([text.slice(0, at).trim(), text.slice(at + 1)] as const)
}

const add = traced(
  Command.make(
    "add",
    {
      ...connectionOptions,
      name: Args.text({ name: "NAME" }),
      endpoint: Args.text({ name: "URL" }).pipe(Args.withDescription("the upstream's MCP endpoint (http or https)")),
      transport: Options.choice("transport", ["streamable-http", "sse"]).pipe(
        Options.withDefault("streamable-http" as const),
        Options.withDescription("the upstream's HTTP transport")
      ),
      header: Options.text("header").pipe(
        Options.repeated,
        Options.withDescription("an HTTP header for the upstream, NAME=VALUE (repeatable; never printed)")
      )
    },
    (options) =>
      Effect.gen(function* () {
        const headers: Record<string, string> = {}
        for (const text of options.header) {
          const header = headerOf(text)
          if (header === undefined) return yield* usageError(`--header must be NAME=VALUE, got a value without "="`)
          headers[header[0]] = header[1]
        }
        const payload = yield* Either.mapLeft(
          decodeRegistration({
            name: options.name,
            url: options.endpoint,
            transport: options.transport,
            ...(options.header.length > 0 ? { headers } : {})
          }),
          (error) => usageError(firstIssue(error))
        )
        const att = yield* attClient(options)
        const server = yield* request(options, att.mcp.registerServer({ payload }))
        if (options.json) return yield* printJson(encodeServer(server))
        yield* serverTable([server], new Map())
      })
  ).pipe(Command.withDescription("register an HTTP upstream server")),
  "att servers add"
)

const rm = traced(
  Command.make("rm", { ...connectionOptions, name: Args.text({ name: "NAME" }) }, (options) =>
    Effect.gen(function* () {
      const att = yield* attClient(options)
      yield* request(options, att.mcp.unregisterServer({ path: { name: options.name } }).pipe(named(options.name)))
      if (options.json) return yield* printJson({ removed: options.name })
      yield* Console.log(`removed ${options.name}`)
    })
  ).pipe(Command.withDescription("unregister a server")),
  "att servers rm"
)

const refresh = traced(
  Command.make("refresh", { ...connectionOptions, names: Args.text({ name: "NAME" }).pipe(Args.repeated) }, (options) =>
    Effect.gen(function* () {
      const att = yield* attClient(options)
      const names =
        options.names.length > 0
          ? options.names
          : (yield* request(options, att.mcp.listServers())).items.map((server) => server.name)
      const refreshed: Array<ServerResponse> = []
      for (const [index, name] of names.entries()) {
        yield* progress(`refreshing ${name} (${index + 1}/${names.length})`)
        refreshed.push(yield* request(options, att.mcp.refreshSession({ path: { name } }).pipe(named(name))))
      }
      const tools = yield* request(options, att.mcp.listTools())
      if (options.json) yield* printJson({ items: refreshed.map((server) => encodeServer(server)) })
      else yield* serverTable(refreshed, toolCounts(tools))
      const failed = refreshed.filter((server) => !server.initialized).map((server) => server.name)
      if (failed.length > 0) return yield* operationFailed(`the handshake failed again for ${failed.join(", ")}`)
    })
  ).pipe(Command.withDescription("re-handshake servers (all without NAME): a new session and fresh capability lists")),
  "att servers refresh"
)

export const serversCommand = Command.make("servers").pipe(
  Command.withDescription("the registered upstream servers"),
  Command.withSubcommands([list, add, rm, refresh])
)
