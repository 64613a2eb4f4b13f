// The predeploy permissions hook and the postdeploy warm-up, run for real against a sandbox
// with chown and curl stubbed (see fixtures.ts).
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderedHook, Sandbox } from './fixtures.ts';

const PERMISSIONS = '.platform/hooks/predeploy/10-permissions.sh';
const WARM_UP = '.platform/hooks/postdeploy/10-warm-up.sh';
const HEALTH = 'http://127.0.0.1/pub/health_check.php';
const FRONT = 'http://127.0.0.1/';

describe('10-permissions.sh', () => {
  let sandbox: Sandbox;
  let release: string;

  beforeEach(() => {
    sandbox = new Sandbox();
    release = sandbox.release;
    sandbox.write(join(release, 'generated/code/Magento/Framework/App/Interceptor.php'), '<?php\n');
    sandbox.write(join(release, 'app/etc/env.php'), '<?php return [];\n', 0o600);
    for (const [path, share] of [
      ['pub/media', 'client-media'],
      ['pub/static', 'magento-statics'],
      ['client', 'magento-client'],
      ['sitemap', 'magento-sitemap'],
    ] as const) {
      mkdirSync(join(release, path, '..'), { recursive: true });
      symlinkSync(join(sandbox.mountsRoot, share), join(release, path));
    }
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run() {
    return sandbox.run(renderedHook(PERMISSIONS), { STORESTACK_RELEASE_DIR: release });
  }

  it('gives var/ and generated/ to the web user, group-writable, without following links', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(sandbox.callsOf('chown')).toEqual(
      expect.arrayContaining([
        `chown -R -P webapp:webapp ${join(release, 'var')}`,
        `chown -R -P webapp:webapp ${join(release, 'generated')}`,
      ]),
    );
    expect(statSync(join(release, 'var')).mode & 0o7777).toBe(0o2770);
    expect(statSync(join(release, 'generated/code/Magento')).mode & 0o7777).toBe(0o2770);
    expect(statSync(join(release, 'generated/code/Magento/Framework/App/Interceptor.php')).mode & 0o777).toBe(0o660);
  });

  it('changes the links to the shares themselves, never what is inside the shares', async () => {
    await run();

    for (const path of ['pub/media', 'pub/static', 'client', 'sitemap']) {
      expect(sandbox.callsOf('chown')).toContain(`chown -h webapp:webapp ${join(release, path)}`);
    }
    expect(sandbox.callsOf('chown').filter((call) => call.includes(sandbox.mountsRoot))).toEqual([]);
  });

  it('sets env.php back to root:webapp 0640', async () => {
    await run();

    expect(sandbox.callsOf('chown')).toContain(`chown root:webapp ${join(release, 'app/etc/env.php')}`);
    expect(statSync(join(release, 'app/etc/env.php')).mode & 0o777).toBe(0o640);
  });

  it('fails when a mount path is not a link (the prebuild hook did not run)', async () => {
    rmSync(join(release, 'pub/media'));
    sandbox.write(join(release, 'pub/media/.htaccess'), 'Options -Indexes\n');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('pub/media is not a link to its share');
  });
});

describe('10-warm-up.sh', () => {
  let sandbox: Sandbox;
  let current: string;
  let record: string;

  beforeEach(() => {
    sandbox = new Sandbox();
    current = join(sandbox.root, 'var/app/current');
    record = join(sandbox.root, 'var/app/storestack-release');
    sandbox.write(join(current, 'RELEASE_ID'), '2026-01-15.0930-a1b2c3d\n');
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run(env: Record<string, string> = {}) {
    return sandbox.run(renderedHook(WARM_UP), {
      STORESTACK_RELEASE_DIR: current,
      STORESTACK_RELEASE_RECORD: record,
      STORESTACK_POLL_SECONDS: '0.05',
      ...env,
    });
  }

  it('records the release id where storestack status reads it', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(record, 'utf8')).toBe('2026-01-15.0930-a1b2c3d\n');
    expect(statSync(record).mode & 0o777).toBe(0o644);
  });

  it('waits for the health check to answer 200, then requests the front page', async () => {
    sandbox.answer(HEALTH, [0, 503, 200]);
    sandbox.answer(FRONT, [302]);

    const result = await run();

    expect(result.status).toBe(0);
    const requests = sandbox.callsOf('curl').map((call) => call.split(' ').at(-1));
    expect(requests).toEqual([HEALTH, HEALTH, HEALTH, FRONT]);
    expect(result.stdout).toContain(`${HEALTH} answered 200 (attempt 3)`);
    expect(result.stdout).toContain(`${FRONT} answered 302`);
  });

  it('fails the deploy after a bounded number of attempts when the health check never passes', async () => {
    sandbox.answer(HEALTH, Array(10).fill(500));

    const result = await run({ STORESTACK_WARM_UP_ATTEMPTS: '4' });

    expect(result.status).not.toBe(0);
    expect(sandbox.callsOf('curl')).toHaveLength(4);
    expect(result.stderr).toContain(`${HEALTH} did not answer 200 after 4 attempts (last: 500)`);
    // The release is recorded all the same: it is the code this instance now holds.
    expect(readFileSync(record, 'utf8')).toBe('2026-01-15.0930-a1b2c3d\n');
  });

  it('only warns when the front page keeps failing', async () => {
    sandbox.answer(FRONT, [500, 500, 500]);

    const result = await run();

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('WARNING: the front page did not warm up');
  });

  it('fails when RELEASE_ID does not hold a release id', async () => {
    writeFileSync(join(current, 'RELEASE_ID'), 'not a release id\n');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("holds 'not a release id', not a release id");
  });
});
