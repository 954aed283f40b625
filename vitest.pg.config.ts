import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

/**
 * The Postgres tests (`*.pg.test.ts`, `npm run test:pg`): each file starts a throwaway Postgres 15 cluster
 * (`test/support/postgres.ts`), which needs Debian's postgresql and root (to run it as the postgres user). One file at
 * a time: every cluster costs a CPU-bound initdb.
 */
export default defineConfig({
  // As in vitest.config.ts: the sources first, and not vite's `module` condition (OpenTelemetry's ESM builds).
  ssr: {
    resolve: {
      conditions: ["att-source", ...defaultServerConditions.filter((condition) => condition !== "module")]
    }
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ["packages/*/test/**/*.pg.test.ts", "test/**/*.pg.test.ts"],
    poolOptions: { forks: { singleFork: true } }
  }
})
