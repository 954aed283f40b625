import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runAtt, startAtt } from "./support/attCli.js"
import { cleanedUpAfterAll, waitForOutput } from "./support/processes.js"

/**
 * `att import` and `att export` against att's embedded database: what one imports a later `att serve` on the same data
 * directory serves; the export gives the secrets as `${VAR}` references, never their values.
 */
const { started, dirs } = cleanedUpAfterAll()

/** A config file's reference to an environment variable, `${NAME}`. */
const reference = (name: string) => `\${${name}}`

describe("att export / att import", () => {
  it("imports a config file's servers, serves them after a start, and exports them without their secrets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "att-export-import-"))
    dirs.push(dir)
    const data = join(dir, "data")
    const file = join(dir, "servers.json")
    writeFileSync(
      file,
      JSON.stringify({
        mcpServers: {
          search: { url: "https://search.example/mcp", headers: { authorization: reference("SEARCH_TOKEN") } }
        }
      })
    )

    const missing = await runAtt(started, ["export", "--data-dir", data])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`no att database in ${data}`)

    const unset = await runAtt(started, ["import", file, "--data-dir", data])
    expect(unset.code).toBe(2)
    expect(unset.stderr).toContain("SEARCH_TOKEN")

    const imported = await runAtt(started, ["import", file, "--data-dir", data], { SEARCH_TOKEN: "Bearer s3cret" })
    expect(imported.stdout).toContain("imported 1 server: search")
    expect(imported.code).toBe(0)

    const exported = await runAtt(started, ["export", "--data-dir", data])
    expect(exported.code).toBe(0)
    const config = JSON.parse(exported.stdout) as { mcpServers: Record<string, { headers: Record<string, string> }> }
    expect(config.mcpServers.search?.headers.authorization).toBe(reference("ATT_SEARCH_AUTHORIZATION"))
    expect(exported.stdout + exported.stderr).not.toContain("s3cret")
    expect(exported.stderr).toContain("ATT_SEARCH_AUTHORIZATION")

    writeFileSync(join(dir, "none.json"), JSON.stringify({ mcpServers: {} }))
    const att = startAtt(started, ["serve", "--port", "0", "--data-dir", data, "--config", join(dir, "none.json")], {})
    const port = (await waitForOutput(att.child, /Listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]
    const servers = (await (await fetch(`http://127.0.0.1:${port}/api/v1/mcp/servers`)).json()) as {
      items: Array<{ name: string }>
    }
    expect(servers.items.map((server) => server.name)).toEqual(["search"])
  }, 120_000)
})
