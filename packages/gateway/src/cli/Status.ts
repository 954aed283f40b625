import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { attClient, connectionOptions, request, shownUrl } from "./Connection.js"
import { traced } from "./Failure.js"
import { printJson } from "./Output.js"
import { serverTable, serversWithTools, toolCounts } from "./Servers.js"

/** The database link as `/api/v1/ready` reports it: `ok`, or reconnecting with why, how often and since when. */
type DatabaseState =
  | { readonly state: "ok" }
  | { readonly state: "reconnecting"; readonly reason: string; readonly attempts: number; readonly since: string }

/** The database's part of the one-line summary. */
export const databaseLine = (database: DatabaseState): string =>
  database.state === "ok"
    ? "database ok"
    : `database reconnecting since ${database.since} (${database.attempts} failed checks: ${database.reason})`

/** Servers per status, every status named even at 0 (a summary a script can read without defaults). */
const STATUSES = ["healthy", "degraded", "unreachable"] as const

export const statusCommand = traced(
  Command.make("status", connectionOptions, (options) =>
    Effect.gen(function* () {
      const att = yield* attClient(options)
      const health = yield* request(options, att.health.health())
      // Not ready is an answer here (the database link is down and att reconnects), not a failure of the command.
      const database: DatabaseState = yield* request(
        options,
        att.health.ready().pipe(
          Effect.map((ready) => ready.database),
          Effect.catchTag("NotReady", (notReady) => Effect.succeed(notReady.database))
        )
      )
      const [servers, tools] = yield* request(options, serversWithTools(att))
      const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((status) => [status, 0]))
      for (const server of servers.items) byStatus[server.status] = (byStatus[server.status] ?? 0) + 1
      const counts = toolCounts(tools)
      const summary = {
        url: shownUrl(options.url),
        health: health.status,
        database,
        servers: { total: servers.items.length, ...byStatus },
        tools: tools.length
      }
      if (options.json) return yield* printJson(summary)
      const statuses = Object.entries(byStatus)
        .filter(([, count]) => count > 0)
        .map(([status, count]) => `${count} ${status}`)
      yield* Console.log(
        `att at ${summary.url}: ${health.status}; ${databaseLine(database)}; ${servers.items.length} servers` +
          `${statuses.length > 0 ? ` (${statuses.join(", ")})` : ""}; ${tools.length} tools`
      )
      if (servers.items.length > 0) yield* Console.log("")
      if (servers.items.length > 0) yield* serverTable(servers.items, counts)
    })
  ).pipe(Command.withDescription("is att up: its health, its database link and a summary of its servers")),
  "att status"
)
