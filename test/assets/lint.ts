// What the lint suites share: rendered scripts written to a scratch directory, then checked by the
// real tools, bash -n and shellcheck at every severity.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findOnPath } from './stubbed-commands.ts';

/** Fails the test, saying how to install it, when shellcheck is not on PATH. */
export function requireShellcheck(): void {
  if (!findOnPath('shellcheck')) {
    throw new Error(
      'shellcheck is not installed, and this test needs it: install it (apt-get install shellcheck, ' +
        'or your system package manager) and run the tests again',
    );
  }
}

/** Expects `bash -n` to parse the file without a word. */
export function expectBashParses(file: string): void {
  const result = spawnSync('bash', ['-n', file], { encoding: 'utf8' });

  expect(result.error).toBeUndefined();
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

/** Expects shellcheck to find nothing in the file, at every severity. */
export function expectShellcheckClean(file: string): void {
  requireShellcheck();

  const result = spawnSync('shellcheck', ['--severity=style', '--shell=bash', file], { encoding: 'utf8' });

  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}

/**
 * A scratch directory for the enclosing describe block (made before all its tests, removed after),
 * and the function that writes a script into it: its name made safe for a file name, plus `suffix`.
 */
export function scratchScripts(prefix: string, suffix = ''): (name: string, content: string) => string {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  return (name, content) => {
    const file = join(dir, `${name.replaceAll(/[^A-Za-z0-9.-]/g, '_')}${suffix}`);
    writeFileSync(file, content);
    return file;
  };
}

/** A bash -n test and a shellcheck test for each rendered script, named by its `name`. */
export function itLintsScripts(
  scripts: readonly (readonly [name: string, content: string])[],
  written: (name: string, content: string) => string,
): void {
  it.each(scripts)('parses with bash -n: %s', (name, content) => {
    expectBashParses(written(name, content));
  });

  it.each(scripts)('passes shellcheck at every severity: %s', (name, content) => {
    expectShellcheckClean(written(name, content));
  });
}

/** A shellcheck test for each static script body in `dir`, before rendering. */
export function itShellchecksBodies(dir: string, bodies: readonly string[]): void {
  it.each(bodies)('passes shellcheck on its own, before rendering: %s', (body) => {
    expectShellcheckClean(join(dir, body));
  });
}
