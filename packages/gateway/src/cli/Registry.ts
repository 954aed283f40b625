import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { DATABASE_FILE, isPostgresUrl, storeLayer } from "@att/store"
import { Args, Command } from "@effect/cli"
import { Config, Console, Effect } from "effect"
import { exportRegistry, importRegistry } from "../config/ExportImport.js"
import { operationFailed, usageError } from "./Failure.js"
import { dataDirOption } from "./Serve.js"

/**
 * `att export` and `att import`: the servers registered through the API, read from and written to att's database
 * directly (the data directory, or Postgres with `ATT_DATABASE_URL`), as a config file. Run them beside a stopped att
 * on an embedded database; a Postgres fleet picks an import up as it picks up any registration.
 */
const stateOf = (dataDir: string, mustExist: boolean) =>
  Effect.gen(function* () {
    const url = yield* Config.string("ATT_DATABASE_URL").pipe(Config.withDefault(""))
    if (url !== "" && !isPostgresUrl(url)) return yield* usageError("ATT_DATABASE_URL must be a postgres:// URL")
    if (url === "" && mustExist && !existsSync(join(dataDir, DATABASE_FILE)))
      return yield* operationFailed(`no att database in ${dataDir} (--data-dir, ATT_DATA_DIR)`)
    return storeLayer({ ephemeral: false, dataDir, databaseUrl: url === "" ? null : url })
  })

export const exportCommand = Command.make("export", { dataDir: dataDirOption }, ({ dataDir }) =>
  Effect.gen(function* () {
    const store = yield* stateOf(dataDir, true)
    const exported = yield* Effect.provide(exportRegistry, store)
    yield* Console.log(JSON.stringify(exported.config, null, 2))
    if (exported.variables.length > 0)
      yield* Console.error(`att: the secrets are references: set ${exported.variables.join(", ")} where it is used`)
  }).pipe(Effect.catchTag("StoreUnavailable", (error) => Effect.fail(operationFailed(error.reason))))
).pipe(Command.withDescription("print the servers registered through the API as a config file (secrets as references)"))

export const importCommand = Command.make(
  "import",
  { dataDir: dataDirOption, file: Args.file({ name: "FILE", exists: "yes" }) },
  ({ dataDir, file }) =>
    Effect.gen(function* () {
      const store = yield* stateOf(dataDir, false)
      const text = yield* Effect.try({
        try: () => readFileSync(file, "utf8"),
        catch: () => usageError(`cannot read ${file}`)
      })
      const names = yield* Effect.provide(importRegistry(text, file, process.env), store)
      yield* Console.log(`imported ${names.length} server${names.length === 1 ? "" : "s"}: ${names.join(", ")}`)
    }).pipe(
      Effect.catchTags({
        StoreUnavailable: (error) => Effect.fail(operationFailed(error.reason)),
        ConfigError: (error) => Effect.fail(usageError(error.message))
      })
    )
).pipe(
  Command.withDescription("register the servers of a config file in att's database (secrets from the environment)")
)
