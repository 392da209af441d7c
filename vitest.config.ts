import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Every test must pass alone and in any order: files and tests run shuffled, with a new seed each
    // run (printed at the end; repeat one with --sequence.seed=N).
    sequence: { shuffle: true },
    // Expected failures log warnings; keep the run readable. Tests that check logs set their own level.
    env: { MOCO_LOG_LEVEL: "error" },
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      // The view runs in the browser, where v8 coverage of this process cannot see it.
      exclude: ["src/app/view/**"],
      reporter: ["text-summary"],
      // Held by CI: measured 89.4 % of statements (Node 24, the whole suite) when this floor was set.
      thresholds: { statements: 87 },
    },
  },
});
