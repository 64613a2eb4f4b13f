// The fixture Magento against the real data services: every bin/magento command a release runs
// (exit codes 0/1/2 of setup:db:status, one setup:upgrade at a time, a failing migration, the
// cache flush that spares the sessions), and pub/index.php and pub/health_check.php served by
// PHP's built-in server (the release id, the static link, 500 on a schema mismatch, 503 in
// maintenance, the health check failing with Redis down or a drill's fail_health).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portOpen, type RunningDaemon, startDaemon, stopDaemon } from '../../src/rehearsal/process.ts';
import { mysql, redis } from '../../src/rehearsal/services.ts';
import {
  httpGet,
  magento,
  magentoInBackground,
  makeRelease,
  type Services,
  STATIC_URL,
  setRehearsalSettings,
  startTestServices,
  stopTestServices,
} from './fixture-support.ts';

const RELEASE_1 = '1764151200';
const RELEASE_2 = '1764151300';
const RELEASE_3 = '1764151400';

describe('the fixture Magento', () => {
  let services: Services;
  const servers: RunningDaemon[] = [];
  let release1: string;
  let release2: string;
  let release3: string;

  const schemaInDatabase = async () =>
    (await mysql(services.layout, 'SELECT version FROM schema_version', services.layout.mariadb.database)).trim();

  /** PHP's built-in server on a release's pub/, on base+10+n. */
  async function serve(release: string, n: number): Promise<string> {
    const port = services.layout.basePort + 10 + n;
    servers.push(
      await startDaemon({
        name: `php -S ${n}`,
        command: 'php',
        // No opcache: env.php changes within its revalidation period (a drill's fail_health) must show.
        args: ['-d', 'opcache.enable=0', '-S', `127.0.0.1:${port}`, '-t', 'pub'],
        cwd: release,
        log: join(services.dir, `php-server-${n}.log`),
        ready: () => portOpen('127.0.0.1', port),
      }),
    );
    return `http://127.0.0.1:${port}`;
  }

  beforeAll(async () => {
    // 24000-27999: the data services test takes 20000+, the serving tests 30000+ and 40000+.
    services = await startTestServices('fixture-app', 24_000, 3);
    release1 = makeRelease(services.layout, RELEASE_1, { schema: 1, migrationSeconds: 1, failMigration: false });
    release2 = makeRelease(services.layout, RELEASE_2, { schema: 2, migrationSeconds: 1, failMigration: false });
    release3 = makeRelease(services.layout, RELEASE_3, { schema: 3, migrationSeconds: 0.2, failMigration: true });
  });

  afterAll(async () => {
    if (!services) return;
    await stopTestServices(services, servers).catch(() => {});
    rmSync(services.dir, { recursive: true, force: true });
  });

  it('is lint-clean PHP', () => {
    for (const file of [
      'bin/magento',
      'app/bootstrap.php',
      'pub/index.php',
      'pub/health_check.php',
      'pub/static.php',
    ]) {
      const lint = phpLint(join(release1, file));
      expect(lint, file).toContain('No syntax errors');
    }
  });

  it('setup:install installs the schema once; setup:db:status says 1 before', async () => {
    const before = magento(release1, ['setup:db:status']);
    expect(before.status).toBe(1);
    expect(before.stderr).toContain('Magento is not installed');

    const install = magento(release1, ['setup:install']);
    expect(install, install.stderr).toMatchObject({ status: 0 });
    expect(install.stdout).toContain('[SUCCESS]: Magento installation complete.');
    expect(await schemaInDatabase()).toBe('1');
    expect(await mysql(services.layout, 'SELECT COUNT(*) FROM catalog', services.layout.mariadb.database)).toBe('3\n');
    expect(magento(release1, ['setup:install']).status).toBe(0);
    // Installed at schema 1: the code of schema 2 must upgrade, not install.
    const other = magento(release2, ['setup:install']);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('already installed at schema 1');

    expect(magento(release1, ['setup:db:status'])).toMatchObject({
      status: 0,
      stdout: 'All modules are up to date.\n',
    });
    expect(magento(release1, ['app:config:status'])).toMatchObject({
      status: 0,
      stdout: 'Config files are up to date.\n',
    });
  });

  it('maintenance:enable, status and disable set a database flag, seen by every release (the document: a database setting)', () => {
    expect(magento(release1, ['maintenance:status']).stdout).toContain('Status: maintenance mode is not active.');
    expect(magento(release1, ['maintenance:enable'])).toMatchObject({
      status: 0,
      stdout: 'Enabled maintenance mode\n',
    });
    expect(existsSync(join(release1, 'var/.maintenance.flag'))).toBe(false);
    // Another release (as after a deployment) sees it: it is not a file of the release.
    expect(magento(release2, ['maintenance:status']).stdout).toContain('Status: maintenance mode is active.');
    expect(magento(release1, ['maintenance:disable'])).toMatchObject({
      status: 0,
      stdout: 'Disabled maintenance mode\n',
    });
    expect(magento(release2, ['maintenance:status']).stdout).toContain('Status: maintenance mode is not active.');
  });

  it('setup:static-content:deploy and setup:di:compile write their files without a database', () => {
    const deploy = magento(release2, [
      'setup:static-content:deploy',
      '-f',
      `--content-version=${RELEASE_2}`,
      '--area',
      'adminhtml',
      '--theme',
      'Magento/backend',
      'en_US',
      'fr_FR',
    ]);
    expect(deploy, deploy.stderr).toMatchObject({ status: 0 });
    const css = readFileSync(join(release2, 'pub/static/frontend/Client/theme/en_US/css/styles.css'), 'utf8');
    expect(css).toContain(`release ${RELEASE_2}, schema 2`);
    expect(existsSync(join(release2, 'pub/static/adminhtml/Magento/backend/fr_FR/css/styles.css'))).toBe(true);
    expect(readFileSync(join(release2, 'pub/static/deployed_version.txt'), 'utf8')).toBe(RELEASE_2);

    // No env.php at build time: neither command needs one.
    rmSync(join(release3, 'app/etc/env.php'));
    try {
      expect(magento(release3, ['setup:static-content:deploy', '-f', `--content-version=${RELEASE_3}`]).status).toBe(0);
      expect(magento(release3, ['setup:di:compile']).status).toBe(0);
      expect(readFileSync(join(release3, 'generated/metadata/global.php'), 'utf8')).toContain("'schema' => 3");
    } finally {
      makeRelease(services.layout, RELEASE_3, { schema: 3, migrationSeconds: 0.2, failMigration: true });
    }
  });

  it('cron:run does nothing; unknown commands and options fail naming them', () => {
    expect(magento(release1, ['cron:run']).status).toBe(0);
    expect(magento(release1, ['setup:nonsense'])).toMatchObject({
      status: 1,
      stderr: 'Command "setup:nonsense" is not defined.\n',
    });
    expect(magento(release1, ['setup:upgrade', '--frobnicate'])).toMatchObject({
      status: 1,
      stderr: 'The "--frobnicate" option does not exist.\n',
    });
  });

  it('setup:db:status says 2 when the code is ahead; setup:upgrade runs once at a time and takes its time', async () => {
    const status = magento(release2, ['setup:db:status']);
    expect(status.status).toBe(2);
    expect(status.stdout).toContain('Declarative Schema is not up to date');
    expect(status.stdout).toContain('The database is at schema 1, the code at schema 2.');

    const first = magentoInBackground(release2, ['setup:upgrade', '--keep-generated', '--no-interaction']);
    // Let the first take the lock (it connects and locks within a few tens of ms; it then sleeps 1 s).
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await magentoInBackground(release2, ['setup:upgrade', '--keep-generated', '--no-interaction']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('another setup:upgrade is running');
    const done = await first;
    expect(done, done.stderr).toMatchObject({ status: 0 });
    expect(done.ms).toBeGreaterThanOrEqual(1000);
    expect(done.ms).toBeLessThan(5000);
    expect(done.stdout).toContain('from schema 1 to 2');
    expect(await schemaInDatabase()).toBe('2');

    expect(magento(release2, ['setup:db:status']).status).toBe(0);
    // The old code against the new database: Magento's exit 1.
    const old = magento(release1, ['setup:db:status']);
    expect(old.status).toBe(1);
    expect(old.stderr).toContain('newer than the code (schema 1)');
  });

  it('a failing migration exits 1 and leaves the database version', async () => {
    expect(magento(release3, ['setup:db:status']).status).toBe(2);
    const upgrade = magento(release3, ['setup:upgrade', '--keep-generated', '--no-interaction']);
    expect(upgrade.status).toBe(1);
    expect(upgrade.stderr).toContain('migration to schema 3 failed');
    expect(await schemaInDatabase()).toBe('2');
  });

  it('cache:flush and cache:clean empty the cache Redis (both databases), never the sessions one', async () => {
    const { layout } = services;
    for (const command of ['cache:flush', 'cache:clean']) {
      await redis(layout, 'cache', ['-n', '0', 'SET', 'config', 'x']);
      await redis(layout, 'cache', ['-n', '1', 'SET', 'page', 'x']);
      await redis(layout, 'sessions', ['-n', '0', 'SET', 'sess_kept', 'x']);
      const run = magento(release2, [command]);
      expect(run, run.stderr).toMatchObject({ status: 0 });
      expect(run.stdout).toMatch(/^(Flushed|Cleaned) cache types:\nconfig\n/);
      expect(await redis(layout, 'cache', ['-n', '0', 'DBSIZE'])).toBe('0\n');
      expect(await redis(layout, 'cache', ['-n', '1', 'DBSIZE'])).toBe('0\n');
      expect(await redis(layout, 'sessions', ['-n', '0', 'GET', 'sess_kept'])).toBe('x\n');
    }
  });

  it('serves pages naming the release and the instance, with its static link; the admin too', async () => {
    const url = await serve(release2, 0);
    const page = await httpGet(`${url}/`);
    expect(page.status, page.body).toBe(200);
    expect(page.headers['x-release-id']).toBe(RELEASE_2);
    expect(page.body).toContain('Rehearsal Espresso Cup');
    expect(page.body).toContain(`<span id="release-id">${RELEASE_2}</span>`);
    expect(page.body).toContain('<span id="instance">frontend 1</span>');
    expect(page.body).toContain(
      `<link rel="stylesheet" href="${STATIC_URL}version${RELEASE_2}/frontend/Client/theme/en_US/css/styles.css">`,
    );
    // The page counter lives in the cache Redis under the release's id prefix.
    expect(await redis(services.layout, 'cache', ['-n', '0', 'GET', `${RELEASE_2}_STORESTACK_PAGE_VIEWS`])).toBe('1\n');

    const admin = await httpGet(`${url}/backend/admin/dashboard/`);
    expect(admin.status, admin.body).toBe(200);
    expect(admin.headers['x-release-id']).toBe(RELEASE_2);
    expect(admin.body).toContain('<title>Magento Admin</title>');
    expect(await redis(services.layout, 'sessions', ['-n', '0', 'KEYS', 'sess_*'])).toMatch(/sess_[0-9a-f]{32}/);

    const health = await httpGet(`${url}/health_check.php`);
    expect(health).toMatchObject({ status: 200, body: 'OK\n' });
    expect((await httpGet(`${url}/static.php`)).status).toBe(404);
    expect((await httpGet(`${url}/get.php`)).status).toBe(404);
  });

  it('answers 500 naming both schemas when the database is not at the code', async () => {
    const url = await serve(release1, 1);
    const page = await httpGet(`${url}/`);
    expect(page.status).toBe(500);
    expect(page.body).toContain('schema mismatch: code 1, database 2');
    expect((await httpGet(`${url}/backend`)).status).toBe(500);
  });

  it('answers 503 in maintenance, while the health check stays up; fail_health fails it', async () => {
    const url = `http://127.0.0.1:${services.layout.basePort + 10}`;
    expect(magento(release2, ['maintenance:enable']).status).toBe(0);
    const page = await httpGet(`${url}/`);
    expect(page.status).toBe(503);
    expect(page.body).toContain('Service Temporarily Unavailable');
    expect((await httpGet(`${url}/health_check.php`)).status).toBe(200);
    expect(magento(release2, ['maintenance:disable']).status).toBe(0);
    expect((await httpGet(`${url}/`)).status).toBe(200);

    setRehearsalSettings(release2, { fail_health: true });
    const failing = await httpGet(`${url}/health_check.php`);
    expect(failing.status).toBe(500);
    expect(failing.body).toContain('fail_health');
    setRehearsalSettings(release2, { fail_health: false });
    expect((await httpGet(`${url}/health_check.php`)).status).toBe(200);
  });

  it('fails the health check and the pages when the cache Redis is down', async () => {
    const url = `http://127.0.0.1:${services.layout.basePort + 10}`;
    const cache = services.daemons.find((daemon) => daemon.name === 'redis-cache');
    expect(cache).toBeDefined();
    if (cache) await stopDaemon(cache);
    const health = await httpGet(`${url}/health_check.php`);
    expect(health.status).toBe(500);
    expect(health.body).toMatch(/health check failed: cannot use the cache \(default\) Redis at tls:\/\/127\.0\.0\.3/);
    expect((await httpGet(`${url}/`)).status).toBe(500);
    // cache:flush cannot reach it either.
    expect(magento(release2, ['cache:flush']).status).toBe(1);
  });

  it('leaves no daemon running and no port open once stopped', async () => {
    const stopped = await stopTestServices(services, servers);
    expect(stopped).toEqual({ alive: [], open: [] });
    for (const n of [0, 1]) expect(await portOpen('127.0.0.1', services.layout.basePort + 10 + n)).toBe(false);
  });
});

/** `php -l`: what it says of a file. */
function phpLint(file: string): string {
  const result = spawnSync('php', ['-l', file], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
}
