/**
 * The bench's "build without telemetry": att as it was just before `packages/core/src/Metrics.ts` was added (the
 * parent of the commit that added it, found in git history), extracted with `git archive` into a temp directory,
 * its `node_modules` linked to this checkout's (but `@att/*`, linked to its own packages), and built with `tsc -b`.
 * Built once per commit and kept in the temp directory. `BENCH_BASELINE=<ref>` picks another commit.
 */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ROOT } from "./bench-support.js"

const git = (...args: ReadonlyArray<string>) => execFileSync("git", args, { cwd: ROOT }).toString().trim()

/** Link every entry of `from` into `to`, but `@att` (the baseline's own packages). */
const linkModules = (from: string, to: string, packages: string) => {
  mkdirSync(to, { recursive: true })
  for (const entry of readdirSync(from)) {
    if (entry === "@att") {
      mkdirSync(join(to, "@att"), { recursive: true })
      for (const name of readdirSync(join(from, "@att"))) symlinkSync(join(packages, name), join(to, "@att", name))
    } else symlinkSync(join(from, entry), join(to, entry))
  }
}

export const baselineCli = (): { readonly cli: string; readonly commit: string } => {
  const ref =
    process.env.BENCH_BASELINE ??
    `${git("log", "--diff-filter=A", "--format=%H", "--", "packages/core/src/Metrics.ts").split("\n").at(-1)}^`
  const commit = git("rev-parse", "--short", ref)
  // One build per commit and per checkout: its node_modules are links into the checkout that made it.
  const checkout = createHash("sha256").update(ROOT).digest("hex").slice(0, 8)
  const dir = join(tmpdir(), `att-bench-baseline-${commit}-${checkout}`)
  const cli = join(dir, "packages", "gateway", "dist", "cli", "main.js")
  if (existsSync(cli)) return { cli, commit }
  mkdirSync(dir, { recursive: true })
  execFileSync("sh", ["-c", `git archive ${commit} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT })
  linkModules(join(ROOT, "node_modules"), join(dir, "node_modules"), join(dir, "packages"))
  for (const pkg of readdirSync(join(ROOT, "packages"))) {
    const own = join(ROOT, "packages", pkg, "node_modules")
    if (existsSync(own) && existsSync(join(dir, "packages", pkg))) {
      linkModules(own, join(dir, "packages", pkg, "node_modules"), join(dir, "packages"))
    }
  }
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b", "tsconfig.build.json"],
    {
      cwd: dir,
      stdio: "inherit"
    }
  )
  return { cli, commit }
}
