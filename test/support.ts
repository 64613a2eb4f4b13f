// Shared test fixtures: the sample configuration, parsed, and ways to vary it.
import { resolve } from 'node:path';
import { platform as sample } from '../config/platform.ts';
import { parsePlatform } from '../src/config/load.ts';
import type { Platform, PlatformInput } from '../src/config/schema.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** The sample configuration, parsed (defaults applied). */
export function samplePlatform(): Platform {
  return parsePlatform(structuredClone(sample), 'config/platform.ts');
}

/** The sample with a change applied to a copy of its input. */
export function platformWith(change: (input: PlatformInput) => void): Platform {
  const input = structuredClone(sample) as PlatformInput;
  change(input);
  return parsePlatform(input, 'test');
}
