import { Command } from "@effect/cli"
import { Data, Effect } from "effect"

/**
 * The exit codes of `att` (README "Operator CLI"): 0 done; 1 the operation failed (an HTTP error answer, a tool
 * that answered an error, a server left unhealthy by a refresh); 2 a usage error (unknown command or flag, a bad
 * value, a config `att serve` refuses); 3 the service could not be reached.
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** A command's failure: one line for stderr (never a secret) and the exit code it ends with. */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly message: string
  readonly exitCode: ExitCode
}> {}

export const usageError = (message: string) => new CliFailure({ message, exitCode: ExitCode.usage })
export const operationFailed = (message: string) => new CliFailure({ message, exitCode: ExitCode.failed })

/** A command whose run is a span named after it (`att servers list`). */
export const traced = <Name extends string, R, E, A>(self: Command.Command<Name, R, E, A>, span: string) =>
  Command.transformHandler(self, (effect) => Effect.withSpan(effect, span))
