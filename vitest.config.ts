import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Expected failures log warnings; keep the run readable. Tests that check logs set their own level.
    env: { MOCO_LOG_LEVEL: "error" },
  },
});
