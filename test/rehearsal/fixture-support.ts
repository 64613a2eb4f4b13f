// What the data services and fixture application tests share: the programs they need (a missing
// one fails the test naming its Debian package), a base port of their own, the services started
// in a temporary directory and checked gone afterwards, releases of the fixture Magento with an
// env.php written by the real renderer, bin/magento runs and a small HTTP client.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envPhpRendererPath } from '../../src/assets/beanstalk/magento/env-php/renderer.ts';
import { REHEARSAL_STATIC_URL, rendererEnvironment } from '../../src/rehearsal/env-php.ts';
import { type RehearsalLayout, rehearsalLayout } from '../../src/rehearsal/layout.ts';
import { isAlive, portOpen, type RunningDaemon } from '../../src/rehearsal/process.ts';
import {
  checkDataServicePrograms,
  MARIADB_ADDRESS,
  REDIS_CACHE_ADDRESS,
  REDIS_SESSIONS_ADDRESS,
  startDataServices,
  stopDataServices,
} from '../../src/rehearsal/services.ts';

export const STATIC_URL = REHEARSAL_STATIC_URL;

/** Fails naming the Debian package when a program or PHP extension the tests need is missing. */
export function requireFixturePrograms(): void {
  checkDataServicePrograms();
  const php = spawnSync('php', ['-m'], { encoding: 'utf8' });
  if (php.error || php.status !== 0)
    throw new Error('php is not installed: the tests need the Debian package php8.2-cli');
  if (!/^pdo_mysql$/m.test(php.stdout))
    throw new Error('PHP has no pdo_mysql: install the Debian package php8.2-mysql');
  if (!/^redis$/m.test(php.stdout))
    throw new Error('PHP has no redis extension: install the Debian package php8.2-redis');
  const git = spawnSync('git', ['--version'], { encoding: 'utf8' });
  if (git.error || git.status !== 0) throw new Error('git is not installed: the tests need the Debian package git');
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The ports a data services test uses of its layout: MariaDB, the Redis port, and extra ones from base+10. */
export function servicePorts(layout: RehearsalLayout): { host: string; port: number }[] {
  return [
    { host: MARIADB_ADDRESS, port: layout.mariadb.port },
    { host: REDIS_CACHE_ADDRESS, port: layout.redis.cache.port },
    { host: REDIS_SESSIONS_ADDRESS, port: layout.redis.cache.port },
  ];
}

/**
 * A base port in [first, first + 4000), from this process's pid, whose service ports and
 * `extraPorts` (base+10...) are free now. Each test file passes its own `first` (the serving tests
 * take 30000+ and 40000+), so that files running at once in other workers never collide.
 */
export async function freeServicesBasePort(first: number, extraPorts = 0): Promise<number> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const base = first + ((process.pid + attempt * 7) % 200) * 20;
    const layout = rehearsalLayout('/nonexistent', { basePort: base });
    const wanted = [
      ...servicePorts(layout),
      ...Array.from({ length: extraPorts }, (_, i) => ({ host: '127.0.0.1', port: base + 10 + i })),
    ];
    const free = await Promise.all(wanted.map(({ host, port }) => canListen(host, port)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free base port between ${first} and ${first + 4000}`);
}

export interface Services {
  readonly dir: string;
  readonly layout: RehearsalLayout;
  readonly daemons: RunningDaemon[];
}

/** The data services, started in a new temporary directory. */
export async function startTestServices(name: string, firstPort: number, extraPorts = 0): Promise<Services> {
  requireFixturePrograms();
  const dir = mkdtempSync(join(tmpdir(), `storestack-${name}-`));
  const layout = rehearsalLayout(dir, { basePort: await freeServicesBasePort(firstPort, extraPorts) });
  const daemons = await startDataServices(layout);
  return { dir, layout, daemons };
}

/** Stops the daemons; returns the pids still alive and the service ports still open (both should be empty). */
export async function stopTestServices(
  services: Services,
  others: readonly RunningDaemon[] = [],
): Promise<{ alive: number[]; open: string[] }> {
  const all = [...services.daemons, ...others];
  await stopDataServices(all);
  const open: string[] = [];
  for (const { host, port } of servicePorts(services.layout)) {
    if (await portOpen(host, port)) open.push(`${host}:${port}`);
  }
  return { alive: all.map((daemon) => daemon.pid).filter((pid) => isAlive(pid)), open };
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Writes `<release>/app/etc/env.php` with the real renderer (render-env-php.php), fed with the
 * rehearsal's services as env-php.ts feeds it; then the rehearsal's own key, when given.
 */
export function renderEnvPhp(
  layout: RehearsalLayout,
  release: string,
  releaseId: string,
  rehearsal?: { instance?: string; fail_health?: boolean },
): void {
  const envPhp = join(release, 'app/etc/env.php');
  const env = rendererEnvironment(layout, { file: envPhp, releaseId, staticVersion: releaseId });
  const rendered = spawnSync('php', [envPhpRendererPath()], { env, encoding: 'utf8' });
  if (rendered.status !== 0) throw new Error(`render-env-php.php failed: ${rendered.stderr}`);
  if (rehearsal) setRehearsalSettings(release, rehearsal);
}

/** Merges `settings` into env.php's `rehearsal` key. */
export function setRehearsalSettings(release: string, settings: { instance?: string; fail_health?: boolean }): void {
  const program =
    '$c = require $argv[1]; $c["rehearsal"] = array_merge($c["rehearsal"] ?? [], json_decode($argv[2], true));' +
    ' file_put_contents($argv[1], "<?php\\nreturn " . var_export($c, true) . ";\\n");';
  const result = spawnSync('php', ['-r', program, join(release, 'app/etc/env.php'), JSON.stringify(settings)], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`could not edit env.php: ${result.stderr}`);
}

/** The code's version file of the fixture. */
export function writeCodeVersion(
  release: string,
  code: { schema: number; migrationSeconds: number; failMigration: boolean },
): void {
  writeFileSync(
    join(release, 'app/etc/storestack-fixture.php'),
    `<?php\nreturn ['schema' => ${code.schema}, 'migration_seconds' => ${code.migrationSeconds.toFixed(2)}, ` +
      `'fail_migration' => ${code.failMigration}];\n`,
  );
}

/**
 * A release of the fixture in `<dir>/releases/<releaseId>`: the source tree, a RELEASE_ID file,
 * the code's version, env.php from the real renderer.
 */
export function makeRelease(
  layout: RehearsalLayout,
  releaseId: string,
  code: { schema: number; migrationSeconds: number; failMigration: boolean },
  instance = 'frontend 1',
): string {
  const release = join(layout.dir, 'releases', releaseId);
  mkdirSync(release, { recursive: true });
  cpSync(join(import.meta.dirname, '../../src/rehearsal/fixture/magento'), release, { recursive: true });
  writeFileSync(join(release, 'RELEASE_ID'), `${releaseId}\n`);
  writeCodeVersion(release, code);
  renderEnvPhp(layout, release, releaseId, { instance });
  return release;
}

/** `php bin/magento <args>` in a release, waited for. */
export function magento(release: string, args: readonly string[]): Run {
  const result = spawnSync('php', [join(release, 'bin/magento'), ...args], { cwd: release, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `php bin/magento <args>` in a release, in the background. */
export function magentoInBackground(release: string, args: readonly string[]): Promise<Run & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('php', [join(release, 'bin/magento'), ...args], { cwd: release });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export function httpGet(url: string, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
