import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Either, Option, Schema } from "effect"
import { InvocationResponse } from "../api/Schemas.js"
import { attClient, connectionOptions, request } from "./Connection.js"
import { type CliFailure, operationFailed, traced, usageError } from "./Failure.js"
import { printJson, progress } from "./Output.js"

const encodeResponse = Schema.encodeSync(InvocationResponse)
const parseJson = Schema.decodeUnknownEither(Schema.parseJson())

/** `k=v`: the value as JSON when it parses as JSON, else as the string it is (`n=3` is 3, `s=hi` is "hi"). */
export const parseArg = (text: string): Either.Either<readonly [string, unknown], CliFailure> => {
  const at = text.indexOf("=")
  if (at <= 0) return Either.left(usageError(`--arg must be KEY=VALUE, got ${JSON.stringify(text)}`))
  const value = text.slice(at + 1)
  return Either.right([text.slice(0, at), Either.getOrElse(parseJson(value), () => value)] as const)
}

/** `--arguments` and the `--arg`s as one arguments object (an `--arg` wins over the same key in `--arguments`). */
export const toolArguments = (
  whole: Option.Option<string>,
  pairs: ReadonlyArray<string>
): Either.Either<Record<string, unknown>, CliFailure> =>
  Either.gen(function* () {
    const base = Option.isSome(whole)
      ? yield* Either.mapLeft(parseJson(whole.value), () => usageError("--arguments must be a JSON object"))
      : {}
    if (typeof base !== "object" || base === null || Array.isArray(base))
      return yield* Either.left(usageError("--arguments must be a JSON object"))
    const result: Record<string, unknown> = { ...base }
    for (const pair of pairs) {
      const [key, value] = yield* parseArg(pair)
      result[key] = value
    }
    return result
  })

/** What a person reads of a tool's result: its text parts as they are, anything else as JSON. */
const readable = (result: unknown): string => {
  const content = (result as { readonly content?: unknown } | null)?.content
  if (!Array.isArray(content)) return JSON.stringify(result, null, 2)
  return content
    .map((part: { readonly type?: unknown; readonly text?: unknown }) =>
      part.type === "text" && typeof part.text === "string" ? part.text : JSON.stringify(part)
    )
    .join("\n")
}

export const callCommand = traced(
  Command.make(
    "call",
    {
      ...connectionOptions,
      tool: Args.text({ name: "TOOL" }),
      arg: Options.text("arg").pipe(
        Options.repeated,
        Options.withDescription("an argument KEY=VALUE, VALUE as JSON when it parses, else a string (repeatable)")
      ),
      arguments: Options.text("arguments").pipe(
        Options.optional,
        Options.withDescription("the whole arguments object as JSON; --arg values are set on it")
      ),
      server: Options.text("server").pipe(
        Options.repeated,
        Options.withDescription("a server to try first, in order (repeatable)")
      )
    },
    (options) =>
      Effect.gen(function* () {
        const args = yield* toolArguments(options.arguments, options.arg)
        const att = yield* attClient(options)
        yield* progress(`calling ${options.tool}`)
        const payload = {
          tool_name: options.tool,
          arguments: args as never,
          ...(options.server.length > 0 ? { preferred_servers: options.server } : {})
        }
        const answer = yield* request(options, att.mcp.invokeTool({ payload }))
        if (options.json) yield* printJson(encodeResponse(answer))
        else yield* Console.log(readable(answer.result))
        const isError = (answer.result as { readonly isError?: unknown } | null)?.isError === true
        if (isError) return yield* operationFailed(`${options.tool} answered an error (server ${answer.server})`)
      })
  ).pipe(Command.withDescription("call a tool through att (exit 1 when the tool answers an error)")),
  "att call"
)
