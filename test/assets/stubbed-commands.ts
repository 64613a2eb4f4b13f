// What the sandboxes that run rendered scripts against stubbed system commands share: finding
// the real tools, and the line every stub starts with.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first directory on PATH holding an executable `name`. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** The real `name`, which the test cannot run without. */
export function required(name: string): string {
  const path = findOnPath(name);
  if (!path) throw new Error(`test setup: ${name} is not on PATH`);
  return path;
}

/** The shell every stub runs in. */
export const BASH = required('bash');

/** Every stub's first line: appends "<name> <arguments>" to $STUB_LOG. */
export const LOG_CALL = `printf '%s\\n' "\${0##*/} $*" >>"$STUB_LOG"`;

/** Writes a stub's script: BASH, the log line, then `body`. */
export function stubScript(body: string): string {
  return `#!${BASH}\n${LOG_CALL}\n${body}\n`;
}
