// Magento's cron on the back office: the wrapper's lock on the shared storage, run for real with
// util-linux flock, and the postdeploy hook that installs it where the Beanstalk environment
// property STORESTACK_ROLE says backOffice (get-config stubbed). bin/magento is reached through a
// php stub that records each run and holds on until the test releases it.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRON_WRAPPER_BUNDLE_PATH } from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { renderedHook, Sandbox } from './fixtures.ts';

const INSTALL_HOOK = '.platform/hooks/postdeploy/20-install-cron.sh';
// Records the run, then holds on (and so holds the lock) until the test creates `release`.
const SLOW_MAGENTO = [
  `printf '%s\\n' "$*" >>"$STUB_STATE/magento-runs"`,
  'for ((i = 0; i < 600; i++)); do [ -e "$STUB_STATE/release" ] && exit 0; sleep 0.05; done',
  'exit 1',
].join('; ');

describe('the cron wrapper', () => {
  let sandbox: Sandbox;
  let lockDir: string;
  let magentoRoot: string;

  beforeEach(() => {
    sandbox = new Sandbox({ php: SLOW_MAGENTO });
    lockDir = join(sandbox.mountsRoot, 'magento-client');
    magentoRoot = join(sandbox.root, 'var/app/current');
    sandbox.addMount(lockDir, 'nfs.internal-client.url:/exports/prod/magento-client', 'nfs4');
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run() {
    return sandbox.run(renderedHook(CRON_WRAPPER_BUNDLE_PATH), {
      STORESTACK_MAGENTO_ROOT: magentoRoot,
      STORESTACK_CRON_LOCK: join(lockDir, '.cron.lock'),
    });
  }

  function magentoRuns(): string[] {
    return (sandbox.read(join(sandbox.root, 'state/magento-runs')) ?? '').split('\n').filter(Boolean);
  }

  it('locks on the share named by the rendered header (the client share by default)', () => {
    expect(renderedHook(CRON_WRAPPER_BUNDLE_PATH)).toContain(
      "MAGENTO_CRON_LOCK='/mnt/storestack/magento-client/.cron.lock'",
    );
    expect(renderedHook(CRON_WRAPPER_BUNDLE_PATH, { cronLockShare: 'magento-statics' })).toContain(
      "MAGENTO_CRON_LOCK='/mnt/storestack/magento-statics/.cron.lock'",
    );
  });

  /** Lets a held bin/magento run finish. */
  function release(): void {
    writeFileSync(join(sandbox.root, 'state/release'), '');
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 600 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(condition()).toBe(true);
  }

  it('runs bin/magento cron:run once when a second instance starts it during a run; the other skips and exits 0', async () => {
    const running = run();
    // The first runner holds the lock while bin/magento runs...
    await until(() => magentoRuns().length === 1);
    // ...so the second, on another instance, skips at once.
    const second = await run();
    release();
    const first = await running;

    expect(magentoRuns()).toEqual([`${magentoRoot}/bin/magento cron:run`]);
    expect([first.status, second.status]).toEqual([0, 0]);
    expect([first.stderr, second.stderr]).toEqual(['', '']);
    const skipped = [first, second].filter((result) => result.stdout.includes('skipping this run'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.stdout).toBe(
      `storestack-magento-cron: another instance holds ${join(lockDir, '.cron.lock')}: skipping this run\n`,
    );
  });

  it('runs again once the previous run has released the lock', async () => {
    release();
    await run();
    await run();

    expect(magentoRuns()).toHaveLength(2);
  });

  it('refuses to run when the share holding the lock is not mounted', async () => {
    const unmounted = join(sandbox.mountsRoot, 'magento-statics');
    mkdirSync(unmounted, { recursive: true });

    const result = await sandbox.run(renderedHook(CRON_WRAPPER_BUNDLE_PATH), {
      STORESTACK_MAGENTO_ROOT: magentoRoot,
      STORESTACK_CRON_LOCK: join(unmounted, '.cron.lock'),
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${unmounted} is not mounted`);
    expect(magentoRuns()).toEqual([]);
  });

  it('skips every run while .cron.paused sits beside the lock', async () => {
    writeFileSync(join(lockDir, '.cron.paused'), '');

    const result = await run();

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('paused');
    expect(magentoRuns()).toEqual([]);
  });
});

describe('20-install-cron.sh', () => {
  let sandbox: Sandbox;
  let release: string;
  let wrapper: string;
  let cronFile: string;

  beforeEach(() => {
    sandbox = new Sandbox();
    release = join(sandbox.root, 'var/app/current');
    wrapper = join(sandbox.root, 'usr/local/bin/storestack-magento-cron');
    cronFile = join(sandbox.root, 'etc/cron.d/storestack-magento');
    sandbox.write(join(release, CRON_WRAPPER_BUNDLE_PATH), renderedHook(CRON_WRAPPER_BUNDLE_PATH), 0o755);
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run(role: string | null = 'backOffice') {
    if (role !== null) sandbox.setEnvironmentProperty('STORESTACK_ROLE', role);
    return sandbox.run(renderedHook(INSTALL_HOOK), {
      STORESTACK_RELEASE_DIR: release,
      STORESTACK_CRON_WRAPPER: wrapper,
      STORESTACK_CRON_FILE: cronFile,
      STORESTACK_GET_CONFIG: sandbox.stub('get-config'),
    });
  }

  it('on the back office, installs the wrapper and a cron.d entry running it every minute as webapp', async () => {
    const result = await run('backOffice');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(wrapper, 'utf8')).toBe(renderedHook(CRON_WRAPPER_BUNDLE_PATH));
    expect(statSync(wrapper).mode & 0o777).toBe(0o755);
    const lines = readFileSync(cronFile, 'utf8').split('\n');
    expect(lines).toContain(`* * * * * webapp ${wrapper} 2>&1 | logger -t storestack-magento-cron`);
    expect(statSync(cronFile).mode & 0o777).toBe(0o644);
    expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q cronie']);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl enable --now crond']);
    expect(sandbox.callsOf('get-config')).toEqual(['get-config environment -k STORESTACK_ROLE']);
  });

  it('rewrites nothing on the next deploy of the same wrapper', async () => {
    await run();
    const before = [statSync(wrapper).mtimeMs, statSync(cronFile).mtimeMs];

    const result = await run();

    expect(result.status).toBe(0);
    expect([statSync(wrapper).mtimeMs, statSync(cronFile).mtimeMs]).toEqual(before);
    expect(result.stdout).not.toContain('updated');
  });

  it('on the front end, installs nothing and exits 0', async () => {
    const result = await run('frontend');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(wrapper)).toBe(false);
    expect(existsSync(cronFile)).toBe(false);
    expect(sandbox.callsOf('dnf')).toEqual([]);
    expect(sandbox.callsOf('rpm')).toEqual([]);
    expect(sandbox.callsOf('systemctl')).toEqual([]);
    expect(result.stdout).toContain('no Magento cron on the front end (STORESTACK_ROLE=frontend)');
  });

  it('on the front end, removes the cron entry and the wrapper a previous deploy installed', async () => {
    await run('backOffice');
    expect(existsSync(cronFile)).toBe(true);
    sandbox.clearCalls();

    const result = await run('frontend');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(cronFile)).toBe(false);
    expect(existsSync(wrapper)).toBe(false);
    expect(result.stdout).toContain(`${cronFile} removed`);
    expect(result.stdout).toContain(`${wrapper} removed`);
    expect(sandbox.callsOf('systemctl')).toEqual([]);
  });

  it('fails the deploy on an unknown role, naming STORESTACK_ROLE and the value, and installs nothing', async () => {
    const result = await run('admin');

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "storestack-cron: ERROR: the Beanstalk environment property STORESTACK_ROLE is 'admin': it must be backOffice or frontend\n",
    );
    expect(existsSync(cronFile)).toBe(false);
    expect(existsSync(wrapper)).toBe(false);
  });

  it('fails the deploy when STORESTACK_ROLE is not set', async () => {
    const result = await run(null);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the Beanstalk environment property STORESTACK_ROLE is not set');
    expect(existsSync(cronFile)).toBe(false);
  });
});
