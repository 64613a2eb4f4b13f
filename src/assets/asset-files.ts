// Files that ship beside an asset renderer (a script body, a PHP renderer) and go into user
// data or a bundle as they are.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The path of the file `projectPath` (relative to the project root, e.g.
 * `src/assets/nfs-server/setup-nfs-server.sh`). Under tsx and Vitest it sits beside the
 * renderer's module (`moduleDir`, its `import.meta.dirname`). The CLI runs an esbuild bundle
 * from node_modules/.cache/storestack-cli, where `import.meta` points at the bundle: the
 * project's copy is then found by walking up from there to the project root.
 */
export function assetFilePath(moduleDir: string, projectPath: string): string {
  const beside = join(moduleDir, basename(projectPath));
  if (existsSync(beside)) return beside;
  for (let dir = moduleDir; ; dir = dirname(dir)) {
    const candidate = join(dir, projectPath);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`${basename(projectPath)} not found beside ${moduleDir} nor at ${projectPath} above it`);
}

/** The text of the file `projectPath`, found as `assetFilePath` finds it. */
export function readAssetFile(moduleDir: string, projectPath: string): string {
  return readFileSync(assetFilePath(moduleDir, projectPath), 'utf8');
}
