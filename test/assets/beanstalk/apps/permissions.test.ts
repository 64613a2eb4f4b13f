// The predeploy hook 20-permissions.sh run for real against a sandbox release (chown stubbed:
// logged, not run; chmod and find real), with the connector's upload directory linked to a
// share outside the release.
import { lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PERMISSIONS_HOOK_PATH } from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { appHook, Sandbox } from './fixtures.ts';

const mode = (path: string) => (lstatSync(path).mode & 0o7777).toString(8);

describe('20-permissions.sh', () => {
  let sandbox: Sandbox;
  let release: string;
  let share: string;

  beforeEach(() => {
    sandbox = new Sandbox();
    release = sandbox.release;
    share = join(sandbox.root, 'mnt/storestack/connector-ftp');
    sandbox.write(join(release, 'src/Kernel.php'), '<?php\n', 0o600);
    sandbox.write(join(release, 'public/index.php'), '<?php\n', 0o644);
    sandbox.write(join(release, 'bin/console'), '#!/usr/bin/env php\n', 0o700);
    sandbox.write(join(release, 'var/cache/prod/x.php'), '<?php\n', 0o600);
    sandbox.write(join(release, '.env.local'), 'APP_ENV=prod\n', 0o644);
    sandbox.write(join(release, '.platform/hooks/predeploy/20-permissions.sh'), '#!/bin/bash\n', 0o755);
    sandbox.write(join(share, 'incoming/order.csv'), 'a,b\n', 0o600);
    mkdirSync(join(share, 'private'), { mode: 0o700 });
    mkdirSync(join(share, 'shared'), { mode: 0o750 });
    symlinkSync(share, join(release, 'ftp'));
    sandbox.write(join(sandbox.root, 'outside.txt'), 'x\n', 0o600);
    symlinkSync(join(sandbox.root, 'outside.txt'), join(release, 'public/outside.txt'));
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run() {
    return sandbox.run(appHook(PERMISSIONS_HOOK_PATH), { STORESTACK_RELEASE_DIR: release });
  }

  /** Every path chown was given, one per entry. */
  function chowned(): string[] {
    return sandbox
      .callsOf('chown')
      .filter((call) => call.startsWith('chown -h webapp:webapp '))
      .flatMap((call) => call.slice('chown -h webapp:webapp '.length).split(' '));
  }

  it('gives the release to webapp: directories 775, files 664, executables 775', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(chowned()).toEqual(
      expect.arrayContaining([
        release,
        join(release, 'src'),
        join(release, 'src/Kernel.php'),
        join(release, 'var/cache/prod/x.php'),
        join(release, 'bin/console'),
      ]),
    );
    expect(mode(release)).toBe('775');
    expect(mode(join(release, 'var/cache/prod'))).toBe('775');
    expect(mode(join(release, 'src/Kernel.php'))).toBe('664');
    expect(mode(join(release, 'var/cache/prod/x.php'))).toBe('664');
    expect(mode(join(release, 'public/index.php'))).toBe('664');
    expect(mode(join(release, 'bin/console'))).toBe('775');
  });

  it('changes the links themselves, never follows them: the share behind the upload directory is left alone', async () => {
    expect((await run()).status).toBe(0);

    expect(chowned()).toContain(join(release, 'ftp'));
    expect(chowned()).toContain(join(release, 'public/outside.txt'));
    expect(chowned().filter((path) => path.startsWith(share) || path.includes('/ftp/'))).toEqual([]);
    expect(chowned()).not.toContain(join(sandbox.root, 'outside.txt'));
    expect(mode(join(share, 'incoming/order.csv'))).toBe('600');
    expect(mode(join(share, 'private'))).toBe('700');
    expect(mode(join(share, 'shared'))).toBe('750');
    expect(mode(join(sandbox.root, 'outside.txt'))).toBe('600');
    expect(lstatSync(join(release, 'ftp')).isSymbolicLink()).toBe(true);
  });

  it('leaves .platform alone and keeps .env.local root:webapp 0640', async () => {
    expect((await run()).status).toBe(0);

    expect(chowned().filter((path) => path.includes('/.platform'))).toEqual([]);
    expect(mode(join(release, '.platform/hooks/predeploy'))).not.toBe('775');
    expect(chowned()).not.toContain(join(release, '.env.local'));
    expect(sandbox.callsOf('chown')).toContain(`chown root:webapp ${join(release, '.env.local')}`);
    expect(mode(join(release, '.env.local'))).toBe('640');
  });

  it('fails when the credentials hook did not write .env.local', async () => {
    sandbox.clear(join(release, '.env.local'));

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('.env.local is missing: the prebuild hook 10-credentials.sh did not run');
  });
});
