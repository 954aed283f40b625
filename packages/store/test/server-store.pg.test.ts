import { storeLayer } from "@att/store"
import { afterAll, beforeAll } from "vitest"
import { type TestPostgres, startPostgres } from "../../../test/support/postgres.js"
import { serverStoreContract } from "./serverStoreContract.js"
import { snapshotStoreContract } from "./snapshotStoreContract.js"

let pg: TestPostgres
let databases = 0
let current = ""
beforeAll(async () => {
  pg = await startPostgres()
}, 60_000)
afterAll(() => pg?.stop())

const at = (url: string) => storeLayer({ ephemeral: false, dataDir: "unused", databaseUrl: url })

serverStoreContract(
  "Postgres",
  () => {
    databases += 1
    current = pg.database(`contract${databases}`)
    return at(current)
  },
  () => at(current)
)

snapshotStoreContract(
  "Postgres",
  () => {
    databases += 1
    current = pg.database(`contract${databases}`)
    return at(current)
  },
  () => at(current)
)
