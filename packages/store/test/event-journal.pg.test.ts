import { storeLayer } from "@att/store"
import { afterAll, beforeAll } from "vitest"
import { type TestPostgres, startPostgres } from "../../../test/support/postgres.js"
import { eventJournalContract, journalSettings } from "./eventJournalContract.js"

let pg: TestPostgres
let url = ""
beforeAll(async () => {
  pg = await startPostgres()
  url = pg.database("journal")
}, 60_000)
afterAll(() => pg?.stop())

eventJournalContract("Postgres", () =>
  storeLayer({ ephemeral: false, dataDir: "unused", databaseUrl: url }, journalSettings)
)
