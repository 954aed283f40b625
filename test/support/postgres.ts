import { execFileSync } from "node:child_process"
import { chownSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * A throwaway Postgres 15 cluster for tests: `initdb` in a temp dir owned by `postgres` (Postgres refuses to run as
 * root), started with `pg_ctl` on a free port with its socket in that dir. `stop()` stops it and removes the dir.
 */
export interface TestPostgres {
  readonly url: string
  readonly port: number
  readonly stop: () => void
  /** A new empty database on the cluster, as a URL. */
  readonly database: (name: string) => string
  /** Stop and start the server (same data, same port): connections are cut. */
  readonly pause: () => void
  readonly resume: () => void
}

const BIN = "/usr/lib/postgresql/15/bin"

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const asPostgres = (command: string, args: ReadonlyArray<string>) =>
  execFileSync("runuser", ["-u", "postgres", "--", join(BIN, command), ...args], { stdio: "pipe" })

export const startPostgres = async (): Promise<TestPostgres> => {
  const dir = mkdtempSync(join(tmpdir(), "att-pg-"))
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim())
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim())
  chownSync(dir, uid, gid)
  const data = join(dir, "data")
  asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
  const port = await freePort()
  const start = () =>
    asPostgres("pg_ctl", [
      "-D",
      data,
      "-o",
      `-p ${port} -k ${dir} -h 127.0.0.1 -F`,
      "-l",
      join(dir, "log"),
      "-w",
      "start"
    ])
  const stop = () => asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
  start()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  return {
    url,
    port,
    database: (name) => {
      asPostgres("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name])
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    pause: stop,
    resume: start,
    stop: () => {
      try {
        stop()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
