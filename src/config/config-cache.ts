// Where the configuration's derived files are kept (free of zod: the validated-configuration cache
// reads them without loading the schema): the nearest node_modules/.cache/storestack-config above
// the configuration, else the temporary directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The configuration shipped with storestack (the hosting document's values), relative to the project root. */
export const SAMPLE_CONFIG = 'config/platform.ts';

/** The temporary directory's cache is the user's own: another user's files there are never read. */
const user = process.getuid?.() ?? 'user';

export function configCacheDir(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'storestack-config');
    if (dirname(dir) === dir) return join(tmpdir(), `storestack-config-${user}`);
  }
}

/** Creates the cache directory, readable and writable by its user only. */
export function makeCacheDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Whether a cached file may be used: it belongs to this user and nobody else may write it (the
 * compiled configuration is code that runs; the validated one decides what a release touches).
 */
export function trustedCacheFile(path: string): boolean {
  try {
    const stats = statSync(path);
    const uid = process.getuid?.();
    return (uid === undefined || stats.uid === uid) && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The files kept for the configuration at `file` (an absolute path). */
export function compiledConfigFiles(file: string) {
  const cacheDir = configCacheDir(file);
  const key = createHash('sha256').update(file).digest('hex').slice(0, 16);
  return {
    cacheDir,
    /** The TypeScript compilation's inputs and their mtimes. */
    record: join(cacheDir, `${key}.json`),
    /** The compiled module. */
    output: join(cacheDir, `${key}.mjs`),
    /** The validated configuration (see validated-config.ts). */
    validated: join(cacheDir, `${key}.validated.json`),
  };
}
