import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ServerStore, SnapshotStore } from "@att/core"
import { storeLayer } from "@att/store"
import { afterAll } from "vitest"
import { serverStoreContract } from "./serverStoreContract.js"
import { snapshotStoreContract } from "./snapshotStoreContract.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
let current = ""
const libsqlIn = (dir: string) => storeLayer({ ephemeral: false, dataDir: dir, databaseUrl: null })
const newDir = () => {
  current = mkdtempSync(join(tmpdir(), "att-store-"))
  dirs.push(current)
  return join(current, "data")
}

serverStoreContract("memory", () => ServerStore.memory)
serverStoreContract(
  "libSQL",
  () => libsqlIn(newDir()),
  () => libsqlIn(join(current, "data"))
)

snapshotStoreContract("memory", () => SnapshotStore.memory)
snapshotStoreContract(
  "libSQL",
  () => libsqlIn(newDir()),
  () => libsqlIn(join(current, "data"))
)
