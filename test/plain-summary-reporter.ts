// Ends the test run with one plain line, `N passed, N failed, N skipped`, that any
// CI log reader understands without knowing Vitest's own summary format.
import type { Reporter, TestModule } from 'vitest/node';

export default class PlainSummaryReporter implements Reporter {
  private line = '';

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      // A file that failed to load has no tests but must not read as a pass.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed += 1;
    }
    this.line = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  }

  // The default reporter prints its summary in onFinished; printing here, after it, makes this the last line.
  onFinished(): void {
    process.stdout.write(`\n${this.line}\n`);
  }
}
