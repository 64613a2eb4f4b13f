import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/plain-summary-reporter.ts'],
    // Synthesis with every gate starts aws-cdk-lib's validation engine (~4 s) once per test file.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
