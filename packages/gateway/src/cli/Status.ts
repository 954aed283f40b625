import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { attClient, connectionOptions, request, shownUrl } from "./Connection.js"
import { traced } from "./Failure.js"
import { printJson } from "./Output.js"
import { serverTable, serversWithTools, toolCounts } from "./Servers.js"

/** Servers per status, every status named even at 0 (a summary a script can read without defaults). */
const STATUSES = ["healthy", "degraded", "unreachable"] as const

export const statusCommand = traced(
  Command.make("status", connectionOptions, (options) =>
    Effect.gen(function* () {
      const att = yield* attClient(options)
      const health = yield* request(options, att.health.health())
      const [servers, tools] = yield* request(options, serversWithTools(att))
      const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((status) => [status, 0]))
      for (const server of servers.items) byStatus[server.status] = (byStatus[server.status] ?? 0) + 1
      const counts = toolCounts(tools)
      const summary = {
        url: shownUrl(options.url),
        health: health.status,
        servers: { total: servers.items.length, ...byStatus },
        tools: tools.length
      }
      if (options.json) return yield* printJson(summary)
      const statuses = Object.entries(byStatus)
        .filter(([, count]) => count > 0)
        .map(([status, count]) => `${count} ${status}`)
      yield* Console.log(
        `att at ${summary.url}: ${health.status}; ${servers.items.length} servers` +
          `${statuses.length > 0 ? ` (${statuses.join(", ")})` : ""}; ${tools.length} tools`
      )
      if (servers.items.length > 0) yield* Console.log("")
      if (servers.items.length > 0) yield* serverTable(servers.items, counts)
    })
  ).pipe(Command.withDescription("is att up: its health and a summary of its servers")),
  "att status"
)
