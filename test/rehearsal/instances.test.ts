// The rehearsal's instances under the real nginx and php-fpm: the bundle's rules over the `current`
// link, the skeleton, the PHP extensions, and a release switch that is a link swap, picked up by
// the next request with no reload and no failed request. Fails, never skips, when a daemon is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PHP_EXTENSIONS,
  pointCurrentAt,
  requireNginx,
  requirePhpFpm,
  startInstance,
  stopInstance,
  testInstanceNginx,
  writeInstanceConfig,
} from '../../src/rehearsal/instances.ts';
import { type RehearsalInstance, type RehearsalLayout, rehearsalLayout } from '../../src/rehearsal/layout.ts';
import { isAlive, portOpen, type RunningDaemon } from '../../src/rehearsal/process.ts';
import { childPids, freeBasePort, httpGet, writeShares, writeTestRelease } from './serving-support.ts';

const OPTIONS = { healthCheckPath: '/pub/health_check.php', fastcgiReadTimeoutSeconds: 20 };

describe('the rehearsal instances (nginx + php-fpm)', () => {
  let dir: string;
  let layout: RehearsalLayout;
  let instance: RehearsalInstance;
  let daemons: RunningDaemon[] = [];
  const started: RunningDaemon[][] = [];

  const url = (path: string, target = instance) => `http://${target.address}:${target.port}${path}`;

  beforeAll(async () => {
    requireNginx();
    requirePhpFpm();
    dir = mkdtempSync(join(tmpdir(), 'storestack-instances-'));
    // 40000+: the HAProxy test file takes 30000+, the other rehearsal tests 20000+.
    const probe = rehearsalLayout(dir, { frontends: 2 });
    const basePort = await freeBasePort(
      40_000,
      probe.instances.map((candidate) => candidate.address),
    );
    layout = rehearsalLayout(dir, { frontends: 2, basePort });
    instance = layout.instances[0] as RehearsalInstance;
    writeShares(layout);
  });

  afterAll(async () => {
    for (const running of started) await stopInstance(running);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads pdo_mysql and redis without a php.ini, given their dependencies first', () => {
    const args = ['-n', ...PHP_EXTENSIONS.flatMap((extension) => ['-d', `extension=${extension}`]), '-m'];
    const result = spawnSync('php', args, { encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^pdo_mysql$/m);
    expect(result.stdout).toMatch(/^redis$/m);
  });

  it('writes the skeleton and a configuration that passes nginx -t, with no current release yet', () => {
    writeInstanceConfig(layout, instance, OPTIONS);

    for (const path of [instance.releases, instance.logs, instance.run, instance.nginxConfig, instance.phpFpmConfig]) {
      expect(existsSync(path), path).toBe(true);
    }
    expect(readFileSync(instance.engineLog, 'utf8')).toBe('');
    expect(existsSync(instance.current)).toBe(false);
    const rules = readFileSync(join(instance.root, 'etc/nginx/conf.d/elasticbeanstalk/php.conf'), 'utf8');
    expect(rules).toContain(`root ${instance.current}/pub;`);
    expect(rules).toContain(`fastcgi_pass unix:${instance.phpFpmSocket};`);
    expect(() => testInstanceNginx(instance)).not.toThrow();
  });

  it('fails nginx -t with nginx own words', () => {
    const other = layout.instances[1] as RehearsalInstance;
    writeInstanceConfig(layout, other, OPTIONS);
    writeFileSync(other.nginxConfig, `${readFileSync(other.nginxConfig, 'utf8')}\nnot_a_directive on;\n`);

    expect(() => testInstanceNginx(other)).toThrow(/nginx -t for frontend 2 .* failed[\s\S]*unknown directive/);
  });

  it('starts with no current release: nginx serves, PHP requests fail', async () => {
    daemons = await startInstance(layout, instance, OPTIONS);
    started.push(daemons);

    expect(daemons.map((daemon) => daemon.name)).toEqual(['php-fpm frontend 1', 'nginx frontend 1']);
    expect((await httpGet(url('/'))).status).toBe(404);
    expect((await httpGet(url('/static/version1/x.css'))).body).toBe('versioned css\n');
    expect((await httpGet(url('/media/x.jpg'))).body).toBe('media jpeg\n');
  });

  it('serves the current release through the bundle rules, with pdo_mysql and redis loaded', async () => {
    writeTestRelease(instance, 'r1');
    pointCurrentAt(instance, 'r1');

    const index = await httpGet(url('/some/page?x=1'));
    const health = await httpGet(url('/pub/health_check.php'));
    const evil = await httpGet(url('/app/release.php'));

    expect(readlinkSync(instance.current)).toBe('releases/r1');
    expect(index.status).toBe(200);
    expect(index.body).toMatch(/^release=r1 included=r1 instance=frontend_1 uri=\/some\/page\?x=1 /);
    expect(index.body).toContain('extensions=pdo_mysql,redis');
    expect(health).toMatchObject({ status: 200, body: 'ok' });
    expect(evil.status).toBe(404);
  });

  it('picks up a release switch on the next request, with no reload and no failed request', async () => {
    writeTestRelease(instance, 'r2');
    const failures: string[] = [];
    const mixed: string[] = [];
    let running = true;
    let requests = 0;
    // Four clients without pause (php-fpm has four workers) while the link flips back and forth.
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        try {
          const answer = await httpGet(url('/'));
          requests++;
          const release = /release=(\S+) included=(\S+)/.exec(answer.body);
          if (answer.status !== 200 || !release) failures.push(`${answer.status} ${answer.body}`);
          else if (release[1] !== release[2]) mixed.push(answer.body);
        } catch (error) {
          failures.push(String(error));
        }
      }
    });
    for (let flip = 0; flip < 20; flip++) {
      pointCurrentAt(instance, flip % 2 === 0 ? 'r2' : 'r1');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    pointCurrentAt(instance, 'r2');
    const next = await httpGet(url('/'));
    running = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(mixed).toEqual([]);
    expect(requests).toBeGreaterThan(20);
    expect(next.body).toMatch(/^release=r2 included=r2 /);
    for (let i = 0; i < 8; i++) expect((await httpGet(url('/'))).body).toMatch(/^release=r2 /);
  });

  it('would miss the switch with PHP realpath cache on: why php-fpm runs with realpath_cache_size=0', async () => {
    const other = layout.instances[1] as RehearsalInstance;
    writeTestRelease(other, 'r1');
    writeTestRelease(other, 'r2');
    pointCurrentAt(other, 'r1');
    const cached = await startInstance(layout, other, {
      ...OPTIONS,
      phpWorkers: 1,
      phpSettings: { realpath_cache_size: '4096K' },
    });
    started.push(cached);

    expect((await httpGet(url('/', other))).body).toMatch(/^release=r1 /);
    pointCurrentAt(other, 'r2');
    expect((await httpGet(url('/', other))).body).toMatch(/^release=r1 /);
    await stopInstance(cached);
  });

  it('stops: no daemon or worker alive, no port or socket answering', async () => {
    const pids = daemons.flatMap((daemon) => [daemon.pid, ...childPids(daemon.pid)]);
    expect(pids.length).toBeGreaterThan(daemons.length);

    await stopInstance(daemons);

    expect(pids.filter(isAlive)).toEqual([]);
    expect(await portOpen(instance.address, instance.port)).toBe(false);
    expect(existsSync(instance.phpFpmSocket)).toBe(false);
  });
});
