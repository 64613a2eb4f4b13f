// Shared helpers of the configuration tests: the sample input to break, and what the parser says of it.
import { platform } from '../../config/platform.ts';
import { ConfigError, parsePlatform } from '../../src/config/load.ts';
import type { PlatformInput } from '../../src/config/schema.ts';

/** A deep copy of the sample that a test may break freely. */
export function sample(): PlatformInput {
  return structuredClone(platform);
}

/** The problems parsePlatform reports for `input`; fails when it accepts it. */
export function problemsOf(input: unknown): readonly string[] {
  try {
    parsePlatform(input, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected, but it parsed');
}
