import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { storeLayer } from "@att/store"
import { afterAll } from "vitest"
import { eventJournalContract, journalSettings } from "./eventJournalContract.js"

const dir = mkdtempSync(join(tmpdir(), "att-journal-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

eventJournalContract("libSQL", () =>
  storeLayer({ ephemeral: false, dataDir: join(dir, "data"), databaseUrl: null }, journalSettings)
)
