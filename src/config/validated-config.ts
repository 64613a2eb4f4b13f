// The validated configuration, kept while neither the configuration's files nor storestack's
// own code changed: a command that only reads the configuration then skips loading and running
// zod (about 0.15 s of every start; `storestack release --dry-run` must start within 0.3 s).
// Only when storestack runs from its bundle (an .mjs file, rewritten whenever a source changes,
// so its mtime stamps the schema); from TypeScript sources (tests, tsx) nothing is cached.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputMtimes, inputsUnchanged, writeAtomically } from '../../bin/input-cache.js';
import { compiledConfigFiles, makeCacheDir, trustedCacheFile } from './config-cache.ts';
import type { Platform } from './schema.ts';

interface ValidatedRecord {
  readonly stamp: string;
  /** Every file the configuration was read from, and its mtime. */
  readonly inputs: Record<string, number>;
  readonly platform: Platform;
}

/** The code's identity: the bundle file this module runs from and its mtime; undefined from sources. */
function codeStamp(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.mjs')) return undefined;
  return `${here}:${statSync(here).mtimeMs}`;
}

/** Loads and validates the configuration at `file` (see load.ts), through the cache when it can. */
export async function loadValidatedPlatform(file: string): Promise<Platform> {
  const path = resolve(file);
  const stamp = codeStamp();
  const { validated } = compiledConfigFiles(path);
  if (stamp && trustedCacheFile(validated)) {
    try {
      const record = JSON.parse(readFileSync(validated, 'utf8')) as ValidatedRecord;
      if (record.stamp === stamp && inputsUnchanged(record.inputs)) return record.platform;
    } catch {
      // No record, or an input is gone: validate.
    }
  }
  const { configInputs, loadPlatform } = await import('./load.ts');
  const platform = await loadPlatform(file);
  const inputs = stamp ? configInputs(path) : undefined;
  if (stamp && inputs) {
    const record: ValidatedRecord = {
      stamp,
      inputs: inputMtimes(inputs),
      platform,
    };
    try {
      makeCacheDir(resolve(validated, '..'));
      writeAtomically(validated, JSON.stringify(record), 0o600);
    } catch {
      // A cache that cannot be written only costs the next start its validation.
    }
  }
  return platform;
}
