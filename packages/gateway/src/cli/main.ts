#!/usr/bin/env node
import "./V8Tuning.js"
import { createRequire } from "node:module"
import { Command, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import { callCommand } from "./Call.js"
import { eventsCommand } from "./Events.js"
import { CliFailure, ExitCode } from "./Failure.js"
import { colourOnlyOnTerminals } from "./Output.js"
import { exportCommand, importCommand } from "./Registry.js"
import { serveCommand } from "./Serve.js"
import { serversCommand } from "./Servers.js"
import { statusCommand } from "./Status.js"

/**
 * The `att` command: `serve` runs the gateway; `servers`, `call`, `events` and `status` talk to a running one over
 * its HTTP API. Exit codes are `ExitCode`'s (README "Operator CLI").
 */
const { version } = createRequire(import.meta.url)("../../package.json") as { version: string }

const att = Command.make("att").pipe(
  Command.withDescription("an MCP client manager and gateway"),
  Command.withSubcommands([
    serveCommand,
    serversCommand,
    callCommand,
    eventsCommand,
    statusCommand,
    exportCommand,
    importCommand
  ])
)
const cli = Command.run(att, { name: "att", version })

/** An unexpected failure in a few words: its message, else its tag and its cause's message (a port in use, say). */
const describe = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error)
  const { _tag, message, cause } = error as { _tag?: unknown; message?: unknown; cause?: unknown }
  if (typeof message === "string" && message !== "") return message
  const because = cause instanceof Error ? cause.message : undefined
  return [typeof _tag === "string" ? _tag : "error", because].filter((part) => part !== undefined).join(": ")
}

/** One line on stderr for a failure, and the exit code it ends with; usage errors were printed by the parser. */
const report = (error: unknown): Effect.Effect<ExitCode> => {
  if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.usage)
  if (error instanceof CliFailure) return Console.error(`att: ${error.message}`).pipe(Effect.as(error.exitCode))
  return Console.error(`att: ${describe(error)}`).pipe(Effect.as(ExitCode.failed))
}

// `att` alone serves, as it did before it had other commands.
const argv = process.argv.length <= 2 ? [...process.argv, "serve"] : process.argv

const program = Effect.suspend(() => cli(argv)).pipe(
  Effect.as<ExitCode>(ExitCode.ok),
  Effect.catchAll(report),
  Effect.catchAllDefect((defect) => report(defect)),
  Effect.provide(NodeContext.layer)
)
const withoutColourWhenPiped = Effect.flatMap(Effect.console, (console) =>
  Effect.withConsole(program, colourOnlyOnTerminals(console))
)

NodeRuntime.runMain(withoutColourWhenPiped, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  // SIGINT / SIGTERM interrupt the program: a clean stop, exit 0.
  teardown: (exit, onExit) =>
    onExit(
      Exit.isSuccess(exit) ? Number(exit.value) : Cause.isInterruptedOnly(exit.cause) ? ExitCode.ok : ExitCode.failed
    )
})
