// The rendered NFS server user data checked by the real tools: bash -n and shellcheck.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNfsServerUserData } from '../../../src/assets/nfs-server/render.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { findOnPath } from '../stubbed-commands.ts';
import { sampleProps } from './fixtures.ts';

const SCRIPT_SOURCE = join(PROJECT_ROOT, 'src/assets/nfs-server/setup-nfs-server.sh');

describe('the rendered user data, checked by the real tools', () => {
  let dir: string;
  let rendered: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-nfs-lint-'));
    rendered = join(dir, 'user-data.sh');
    writeFileSync(rendered, renderNfsServerUserData(sampleProps()));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses with bash -n', () => {
    const result = spawnSync('bash', ['-n', rendered], { encoding: 'utf8' });

    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each([
    ['the rendered user data', () => rendered],
    ['setup-nfs-server.sh on its own', () => SCRIPT_SOURCE],
  ])('passes shellcheck at every severity: %s', (_name, file) => {
    if (!findOnPath('shellcheck')) {
      throw new Error(
        'shellcheck is not installed, and this test needs it: install it (apt-get install shellcheck, ' +
          'or your system package manager) and run the tests again',
      );
    }

    const result = spawnSync('shellcheck', ['--severity=style', '--shell=bash', file()], { encoding: 'utf8' });

    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
