import type { ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "@libsql/client"
import { afterAll, describe, expect, it } from "vitest"
import { exitOf, runToEnd, spawnTs, waitForOutput } from "./support/processes.js"

const started: Array<ChildProcess> = []
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

const MAIN = "packages/gateway/src/cli/main.ts"
const dead = "http://127.0.0.1:9/mcp"

const setup = () => {
  const dir = mkdtempSync(join(tmpdir(), "att-state-"))
  const config = join(dir, "att.config.json")
  writeFileSync(config, JSON.stringify({ mcpServers: { fromconfig: { url: dead } }, health_interval_seconds: 3600 }))
  return { dir, config, data: join(dir, "data") }
}

const serve = async (config: string, data: string) => {
  const att = spawnTs(MAIN, ["serve", "--config", config, "--port", "0", "--data-dir", data])
  started.push(att)
  const [, port] = await waitForOutput(att, /Listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000)
  return { att, base: `http://127.0.0.1:${port}` }
}

const register = (base: string, name: string, headers?: Record<string, string>, extra: Record<string, unknown> = {}) =>
  fetch(`${base}/api/v1/mcp/servers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, url: dead, transport: "streamable-http", ...(headers ? { headers } : {}), ...extra })
  })

const sessionModeOf = async (base: string, name: string) =>
  ((await (await fetch(`${base}/api/v1/mcp/servers/${name}`)).json()) as { session_mode: string }).session_mode

const names = async (base: string) => {
  const body = (await (await fetch(`${base}/api/v1/mcp/servers`)).json()) as { items: Array<{ name: string }> }
  return body.items.map((item) => item.name)
}

/** `att serve` expected to refuse to start: its exit code and stderr. */
const refusal = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) => {
  const run = runToEnd(
    process.execPath,
    ["--conditions=att-source", "--import", "tsx", MAIN, "serve", "--port", "0", ...args],
    {
      ms: 60_000,
      env: { ...process.env, ...env }
    }
  )
  started.push(run.child)
  return run.done
}

describe("durable state through a real att serve (libSQL in the data dir)", () => {
  it("keeps API registrations across restarts, refuses config names with 409, files 0600 in a 0700 dir", async () => {
    const { config, data } = setup()
    const first = await serve(config, data)
    const kept = await register(
      first.base,
      "kept",
      { authorization: "Bearer s3cr3t-value" },
      { session_mode: "per_client" }
    )
    expect(kept.status).toBe(201)
    expect(((await kept.json()) as { session_mode: string }).session_mode).toBe("per_client")
    const wrongMode = await register(first.base, "wrong", undefined, { session_mode: "sometimes" })
    expect(wrongMode.status).toBe(400)
    expect(await wrongMode.text()).toContain("session_mode")
    expect((await register(first.base, "dropped")).status).toBe(201)
    expect(await sessionModeOf(first.base, "dropped")).toBe("auto")
    expect((await fetch(`${first.base}/api/v1/mcp/servers/dropped`, { method: "DELETE" })).status).toBe(204)
    const conflict = await register(first.base, "fromconfig")
    expect(conflict.status).toBe(409)
    expect(((await conflict.json()) as { _tag: string })._tag).toBe("ConfiguredServerConflict")
    expect((await fetch(`${first.base}/api/v1/mcp/servers/fromconfig`, { method: "DELETE" })).status).toBe(409)
    const ready = await fetch(`${first.base}/api/v1/ready`)
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ok", database: { state: "ok" } }])
    // The config's server at a dead port fails its first check: a connection event of this run.
    let firstRun: Array<{ timestamp: string; reason: string }> = []
    for (let i = 0; i < 100 && firstRun.length === 0; i++) {
      firstRun = ((await (await fetch(`${first.base}/api/v1/mcp/events`)).json()) as { items: typeof firstRun }).items
      if (firstRun.length === 0) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(firstRun.length).toBeGreaterThan(0)
    first.att.kill("SIGTERM")
    await exitOf(first.att)

    expect(statSync(data).mode & 0o777).toBe(0o700)
    expect(statSync(join(data, "att.db")).mode & 0o777).toBe(0o600)
    // The config's server is the replica's own: never written to the database; the secret is kept as given.
    const db = createClient({ url: `file:${join(data, "att.db")}` })
    const rows = (await db.execute("SELECT name, upstream, session_mode FROM att_servers ORDER BY name")).rows
    db.close()
    expect(rows.map((row) => [row.name, row.session_mode])).toEqual([["kept", "per_client"]])
    expect(String(rows[0]?.upstream)).toContain("s3cr3t-value")

    const second = await serve(config, data)
    expect(await names(second.base)).toEqual(["fromconfig", "kept"])
    // The session mode given through the API came back from the database.
    expect(await sessionModeOf(second.base, "kept")).toBe("per_client")
    expect(await sessionModeOf(second.base, "fromconfig")).toBe("auto")
    // The history of the first run is read on from the database with a cursor from before this run.
    const history = (await (await fetch(`${second.base}/api/v1/mcp/events?cursor=0&limit=1000`)).json()) as {
      items: Array<{ timestamp: string }>
    }
    expect(history.items.slice(0, firstRun.length)).toEqual(firstRun)
    const listed = await (await fetch(`${second.base}/api/v1/mcp/servers/kept`)).text()
    expect(listed).not.toContain("s3cr3t-value")
    second.att.kill("SIGTERM")
    await exitOf(second.att)
  })

  it("every acknowledged registration survives kill -9: 20 rounds of 10 concurrent registrations", async () => {
    const { config, data } = setup()
    const acknowledged: Array<string> = []
    for (let round = 0; round < 20; round++) {
      const { att, base } = await serve(config, data)
      // Everything acknowledged before is there after the previous round's kill -9.
      expect((await names(base)).filter((name) => name !== "fromconfig").sort()).toEqual([...acknowledged].sort())
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => `r${round}-s${i}`).map(async (name) => ({
          name,
          status: (await register(base, name)).status
        }))
      )
      att.kill("SIGKILL")
      for (const answer of answers) {
        expect(answer.status).toBe(201)
        acknowledged.push(answer.name)
      }
      await exitOf(att)
    }
    const { att, base } = await serve(config, data)
    expect((await names(base)).filter((name) => name !== "fromconfig").sort()).toEqual([...acknowledged].sort())
    expect(acknowledged).toHaveLength(200)
    att.kill("SIGKILL")
  }, 600_000)

  it("refuses to start on an unusable data dir, a corrupt file, a newer schema or a refusing Postgres, changing nothing", async () => {
    const { dir, config, data } = setup()
    // A file where the data directory should be.
    const notADir = join(dir, "file")
    writeFileSync(notADir, "x")
    const unwritable = await refusal(["--config", config, "--data-dir", notADir])
    expect(unwritable.code).not.toBe(0)
    expect(unwritable.stderr).toMatch(/^att: data directory .*file is not usable: not a directory$/m)
    expect(readFileSync(notADir, "utf8")).toBe("x")

    // A database file that is not one.
    const corruptDir = join(dir, "corrupt")
    const first = await serve(config, corruptDir)
    first.att.kill("SIGTERM")
    await exitOf(first.att)
    const garbage = "not a database ".repeat(500)
    writeFileSync(join(corruptDir, "att.db"), garbage)
    const corrupt = await refusal(["--config", config, "--data-dir", corruptDir])
    expect(corrupt.code).not.toBe(0)
    expect(corrupt.stderr).toMatch(/^att: cannot read the database .*att\.db: .*not a database.*$/m)
    expect(readFileSync(join(corruptDir, "att.db"), "utf8")).toBe(garbage)

    // A schema written by a newer att.
    const second = await serve(config, data)
    expect((await register(second.base, "kept")).status).toBe(201)
    second.att.kill("SIGTERM")
    await exitOf(second.att)
    const db = createClient({ url: `file:${join(data, "att.db")}` })
    await db.execute("INSERT INTO att_migrations (migration_id, name) VALUES (99, 'future')")
    db.close()
    const newer = await refusal(["--config", config, "--data-dir", data])
    expect(newer.code).not.toBe(0)
    expect(newer.stderr).toMatch(
      /^att: the database .* has schema version 99, newer than this att's \d+: run a newer att \(nothing was changed\)$/m
    )
    const after = createClient({ url: `file:${join(data, "att.db")}` })
    expect((await after.execute("SELECT name FROM att_servers")).rows.map((row) => row.name)).toEqual(["kept"])
    after.close()

    // Postgres refusing connections (nothing listens on port 9), with a password that must not be shown.
    const refused = await refusal(["--config", config], {
      ATT_DATABASE_URL: "postgres://att:pg-pass-123@127.0.0.1:9/att"
    })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(
      /^att: cannot connect to postgres:\/\/\*\*\*@127\.0\.0\.1:9\/att: .*ECONNREFUSED.*$/m
    )
    expect(refused.stderr).not.toContain("pg-pass-123")
  }, 180_000)
})
