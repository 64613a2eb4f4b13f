// Ends the test run with one plain line, `N passed, N failed, N skipped`, that any
// CI log reader understands without knowing Vitest's own summary format.
import type { Reporter, TestModule } from 'vitest/node';

export default class PlainSummaryReporter implements Reporter {
  private line = '';

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') failedTests += 1;
        else counts.skipped += 1;
      }
      // A file that failed outside its tests (it did not load, or a beforeAll threw and its
      // tests were skipped) must not read as a pass: it counts as one failure.
      counts.failed += failedTests || (module.state() === 'failed' ? 1 : 0);
    }
    this.line = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  }

  // The default reporter prints its summary in onFinished; printing here, after it, makes this the last line.
  onFinished(): void {
    process.stdout.write(`\n${this.line}\n`);
  }
}
