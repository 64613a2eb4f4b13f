// What storestack's caches share (the CLI bundle, the operations package, the compiled and the
// validated configuration): each records the files it was made from with their mtimes, is used
// only while every one is unchanged, and is written whole or not at all, so a concurrent reader
// (another command, a test worker) never reads half of one.
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The mtime of each file, by its name (relative to `root` when one is given).
 * @param {readonly string[]} files
 * @param {string} [root]
 * @returns {Record<string, number>}
 */
export function inputMtimes(files, root = '') {
  return Object.fromEntries(files.map((file) => [file, statSync(join(root, file)).mtimeMs]));
}

/**
 * True when every recorded file still has its recorded mtime (false when one is gone).
 * @param {Record<string, number>} inputs
 * @param {string} [root]
 */
export function inputsUnchanged(inputs, root = '') {
  try {
    return Object.entries(inputs).every(([file, mtimeMs]) => statSync(join(root, file)).mtimeMs === mtimeMs);
  } catch {
    return false;
  }
}

/**
 * Writes `contents` to `file` through a temporary file renamed into place.
 * @param {string} file
 * @param {string | Uint8Array} contents
 * @param {number} [mode] the new file's mode (default: the umask's)
 */
export function writeAtomically(file, contents, mode) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents, mode === undefined ? undefined : { mode });
  renameSync(temporary, file);
}
