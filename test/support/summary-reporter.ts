import type { Reporter, TestModule, Vitest } from "vitest/node";

/** Ends every run with the shuffle seed and the plain `N passed, N failed` line CI reads. */
export default class SummaryReporter implements Reporter {
  private seed: number | undefined;

  onInit(vitest: Vitest): void {
    this.seed = vitest.config.sequence.seed;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A file that failed outside its tests (an import, a beforeAll) counts once, even when its tests
      // show as skipped: a run is never green because its setup broke.
      const own = [...mod.children.allTests()].filter((t) => t.result().state === "failed").length;
      if (mod.state() === "failed" && own === 0) failed++;
    }
    failed += errors.length;
    if (this.seed !== undefined) process.stdout.write(`\nshuffled with --sequence.seed=${this.seed}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  }
}
