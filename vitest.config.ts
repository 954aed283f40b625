import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

/**
 * Tests run on the packages' sources: each package's `exports` name `./src/*.ts` under the `att-source` condition
 * (before the built `dist/` files a user gets), so `npm test` needs no build. Vite's `module` condition is left
 * out: it picks `@opentelemetry/*`'s ESM builds, whose extensionless imports Node cannot load (Node itself, as in
 * `att serve`, takes their `default` builds).
 */
const sourceConditions = ["att-source", ...defaultServerConditions.filter((condition) => condition !== "module")]

/**
 * Two groups. The tests that spawn att and upstream processes and put them under timed load (chaos, shutdown,
 * the CLI end to end) run after everything else, one file at a time: on a 2-core machine, sharing the CPU with
 * the fuzzer makes 500 ms call timeouts fire on healthy upstreams, which measures the test runner, not att.
 */
const processTests = [
  "test/chaos.test.ts",
  "test/shutdown.test.ts",
  "test/e2e-cli.test.ts",
  "test/cli-commands.test.ts",
  "test/cli-events.test.ts",
  "test/conformance.test.ts",
  "test/conformance-client.test.ts",
  "test/inspector.test.ts",
  "test/dashboard.test.ts",
  "test/state.test.ts",
  "test/cli-export-import.test.ts",
  "test/capability-state.test.ts"
]

export default defineConfig({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "in-process",
          include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
          // The Postgres tests have their own run (`npm run test:pg`, vitest.pg.config.ts).
          exclude: [...processTests, "**/*.pg.test.ts"],
          sequence: { groupOrder: 0 }
        }
      },
      {
        extends: true,
        test: {
          name: "processes",
          include: processTests,
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 }
        }
      }
    ]
  }
})
