// HAProxy as the rehearsal's load balancer, in front of real instances (nginx + php-fpm with the
// bundle's rules): the listener's routing, health checks, draining and deregistration, and
// maintenance with its exempt sources and always-served paths, driven through the runtime API.
// Fails, never skips, when a daemon is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HaproxyRuntime,
  renderHaproxyConfig,
  requireHaproxy,
  type ServerStatus,
  startHaproxy,
  stopHaproxy,
} from '../../src/rehearsal/haproxy.ts';
import {
  pointCurrentAt,
  requireNginx,
  requirePhpFpm,
  startInstance,
  stopInstance,
} from '../../src/rehearsal/instances.ts';
import {
  HAPROXY_BACKENDS,
  type RehearsalInstance,
  type RehearsalLayout,
  rehearsalLayout,
} from '../../src/rehearsal/layout.ts';
import { isAlive, portOpen, type RunningDaemon } from '../../src/rehearsal/process.ts';
import { childPids, freeBasePort, httpGet, setHealthy, writeShares, writeTestRelease } from './serving-support.ts';

const PAGE = '<!doctype html><title>Maintenance</title><h1>Back soon</h1>\n';
const HAPROXY_OPTIONS = {
  healthCheckPath: '/pub/health_check.php',
  healthIntervalMs: 150,
  drainSeconds: 3,
  maintenancePage: PAGE,
};
const FRONTEND = HAPROXY_BACKENDS.frontend;
const BACK_OFFICE = HAPROXY_BACKENDS.backOffice;

describe('HAProxy, the rehearsal load balancer', () => {
  let dir: string;
  let layout: RehearsalLayout;
  let runtime: HaproxyRuntime;
  let haproxy: RunningDaemon | undefined;
  const instances: RunningDaemon[][] = [];
  let front1: RehearsalInstance;
  let front2: RehearsalInstance;

  const get = (path: string, localAddress?: string) => httpGet(`${layout.alb.url}${path}`, { localAddress });
  /** Which instance answered, from the test release's page. */
  const answeredBy = (body: string) => /instance=(\S+)/.exec(body)?.[1] ?? `(no instance: ${body.slice(0, 80)})`;
  const healthyAndReady = (status: ServerStatus) => status.state === 'ready' && status.health === 'UP';

  async function allUp(): Promise<void> {
    for (const instance of layout.instances.filter((candidate) => !candidate.spare)) {
      await runtime.waitFor(
        HAPROXY_BACKENDS[instance.role],
        instance.id,
        (status) => healthyAndReady(status) && status.checkStatus === 'L7OK',
        5000,
      );
    }
  }

  beforeAll(async () => {
    requireHaproxy();
    requireNginx();
    requirePhpFpm();
    dir = mkdtempSync(join(tmpdir(), 'storestack-haproxy-'));
    // 30000+: the instances test file takes 40000+, the other rehearsal tests 20000+.
    const probe = rehearsalLayout(dir, { frontends: 2 });
    const basePort = await freeBasePort(
      30_000,
      probe.instances.map((instance) => instance.address),
    );
    layout = rehearsalLayout(dir, { frontends: 2, basePort });
    [front1, front2] = layout.instances as [RehearsalInstance, RehearsalInstance];
    writeShares(layout);
    for (const instance of layout.instances) {
      writeTestRelease(instance, 'r1');
      pointCurrentAt(instance, 'r1');
      instances.push(await startInstance(layout, instance, { healthCheckPath: HAPROXY_OPTIONS.healthCheckPath }));
    }
    haproxy = await startHaproxy(layout, HAPROXY_OPTIONS);
    runtime = new HaproxyRuntime(layout, { drainSeconds: HAPROXY_OPTIONS.drainSeconds });
    await allUp();
  });

  afterAll(async () => {
    if (haproxy) await stopHaproxy(haproxy);
    for (const daemons of instances) await stopInstance(daemons);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a configuration that haproxy -c accepts, one server per instance by id', () => {
    const result = spawnSync(requireHaproxy(), ['-c', '-f', layout.haproxy.config], { encoding: 'utf8' });
    const config = readFileSync(layout.haproxy.config, 'utf8');

    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(config).toBe(`${renderHaproxyConfig(layout, HAPROXY_OPTIONS)}\n`);
    expect(config).toContain(`server ${front1.id} ${front1.address}:${front1.port}`);
    expect(config).toContain('http-check send meth GET uri /pub/health_check.php');
    expect(readFileSync(layout.haproxy.maintenanceMap, 'utf8')).toBe('');
    expect(readFileSync(layout.haproxy.exemptAcl, 'utf8')).toBe('');
    expect(readFileSync(layout.haproxy.pidFile, 'utf8')).toBe(`${haproxy?.pid}\n`);
  });

  it('rejects options it cannot write, naming each', () => {
    expect(() =>
      renderHaproxyConfig(layout, { ...HAPROXY_OPTIONS, healthCheckPath: 'health', healthIntervalMs: 0 }),
    ).toThrow(/healthCheckPath "health"[\s\S]*healthIntervalMs must be a positive whole number/);
  });

  it('sends /backend and /backend/* to the back office, everything else round robin to the front ends', async () => {
    const front = await Promise.all(Array.from({ length: 6 }, () => get('/catalog/page')));
    const back = await Promise.all(['/backend', '/backend/admin/dashboard'].map((path) => get(path)));
    const notBack = await get('/backendish');

    expect(front.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(new Set(front.map((answer) => answeredBy(answer.body)))).toEqual(new Set(['frontend_1', 'frontend_2']));
    expect(back.map((answer) => answeredBy(answer.body))).toEqual(['backOffice_1', 'backOffice_1']);
    expect(back[1]?.body).toContain('uri=/backend/admin/dashboard');
    expect(answeredBy(notBack.body)).not.toBe('backOffice_1');
    expect(front[0]?.body).toContain('xff=127.0.0.1');
  });

  it('takes a server whose health check fails out of rotation, and back once it passes', async () => {
    setHealthy(front2, false);
    const down = await runtime.waitFor(FRONTEND, front2.id, (status) => status.health === 'DOWN', 3000);
    const answers = await Promise.all(Array.from({ length: 8 }, () => get('/')));

    expect(down).toMatchObject({ state: 'ready', health: 'DOWN', checkStatus: 'L7STS' });
    expect(answers.map((answer) => answeredBy(answer.body))).toEqual(Array(8).fill('frontend_1'));

    setHealthy(front2, true);
    await runtime.waitFor(FRONTEND, front2.id, (status) => status.health === 'UP' && status.status === 'UP', 3000);
    const after = await Promise.all(Array.from({ length: 4 }, () => get('/')));
    expect(after.map((answer) => answeredBy(answer.body))).toContain('frontend_2');
  });

  it('drains: in-flight requests finish, new ones go elsewhere', async () => {
    // Front end 1 alone in rotation, so the slow request is known to land there.
    await runtime.setState(FRONTEND, front2.id, 'maint');
    const slow = get('/?sleep=1000');
    await runtime.waitFor(FRONTEND, front1.id, (status) => status.sessions === 1, 2000);
    await runtime.setState(FRONTEND, front2.id, 'ready');
    await runtime.waitFor(FRONTEND, front2.id, healthyAndReady, 3000);

    await runtime.setState(FRONTEND, front1.id, 'drain');
    const draining = await runtime.server(FRONTEND, front1.id);
    const during = await Promise.all(Array.from({ length: 6 }, () => get('/')));
    const finished = await slow;
    const after = await runtime.server(FRONTEND, front1.id);

    expect(draining).toMatchObject({ state: 'drain', health: 'UP', status: 'DRAIN', sessions: 1 });
    expect(during.map((answer) => answeredBy(answer.body))).toEqual(Array(6).fill('frontend_2'));
    expect(finished.status).toBe(200);
    expect(answeredBy(finished.body)).toBe('frontend_1');
    expect(after.sessions).toBe(0);

    await runtime.setState(FRONTEND, front1.id, 'ready');
    await allUp();
  });

  it('deregisters as an ALB: waits for requests in flight up to the delay, then cuts what remains', async () => {
    await runtime.setState(FRONTEND, front2.id, 'maint');
    const quick = get('/?sleep=500');
    const long = get('/?sleep=3000').catch((error: Error) => error);
    await runtime.waitFor(FRONTEND, front1.id, (status) => status.sessions === 2, 2000);
    await runtime.setState(FRONTEND, front2.id, 'ready');
    await runtime.waitFor(FRONTEND, front2.id, healthyAndReady, 3000);

    const cut = await runtime.deregister(FRONTEND, front1.id, 1);

    expect(cut).toBe(1);
    expect((await quick).status).toBe(200);
    const longAnswer = await long;
    expect(longAnswer instanceof Error || longAnswer.status >= 500).toBe(true);
    expect(await runtime.server(FRONTEND, front1.id)).toMatchObject({ state: 'maint', sessions: 0 });
    const answers = await Promise.all(Array.from({ length: 4 }, () => get('/')));
    expect(answers.map((answer) => answeredBy(answer.body))).toEqual(Array(4).fill('frontend_2'));

    await runtime.register(FRONTEND, front1.id);
    await allUp();
  });

  it('registers a server as an ALB does: no request before its health checks pass', async () => {
    await runtime.setState(FRONTEND, front1.id, 'maint');
    // Unhealthy: HAProxy alone would assume it UP on leaving maintenance, and send it requests.
    setHealthy(front1, false);

    await runtime.register(FRONTEND, front1.id);
    const answers = await Promise.all(Array.from({ length: 6 }, () => get('/')));
    await new Promise((resolve) => setTimeout(resolve, 3 * HAPROXY_OPTIONS.healthIntervalMs));
    const later = await Promise.all(Array.from({ length: 4 }, () => get('/')));

    expect(answers.map((answer) => answeredBy(answer.body))).toEqual(Array(6).fill('frontend_2'));
    expect(later.map((answer) => answeredBy(answer.body))).toEqual(Array(4).fill('frontend_2'));
    expect(await runtime.server(FRONTEND, front1.id)).toMatchObject({ state: 'ready', health: 'DOWN' });

    setHealthy(front1, true);
    await allUp();
    const after = await Promise.all(Array.from({ length: 4 }, () => get('/')));
    expect(after.map((answer) => answeredBy(answer.body))).toContain('frontend_1');
  });

  it('maintenance: the page for everyone but the exempt sources, statics and media still served', async () => {
    // The test's client is 127.0.0.1; 127.0.0.2 plays the exempt office.
    await runtime.maintenanceOn(['127.0.0.2/32', '10.0.0.0/8']);

    expect(await runtime.maintenanceState()).toEqual({ on: true, exempt: ['127.0.0.2/32', '10.0.0.0/8'] });
    const page = await get('/catalog/page');
    expect(page.status).toBe(503);
    expect(page.body).toBe(PAGE);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await get('/backend/admin')).status).toBe(503);
    expect((await get('/static/frontend/x.js')).body).toMatch(/^static\.php release=r1 resource=frontend\/x\.js/);
    expect((await get('/pub/static/version1/x.css')).body).toBe('versioned css\n');
    expect((await get('/static/version1/x.css')).body).toBe('versioned css\n');
    expect((await get('/media/x.jpg')).body).toBe('media jpeg\n');
    expect((await get('/pub/media/x.jpg')).body).toBe('media jpeg\n');
    const exempt = await get('/catalog/page', '127.0.0.2');
    expect(exempt.status).toBe(200);
    expect(exempt.body).toContain('xff=127.0.0.2');
    expect(answeredBy((await get('/backend/admin', '127.0.0.2')).body)).toBe('backOffice_1');

    // Again with other exempt sources: they replace the first ones.
    await runtime.maintenanceOn(['127.0.0.3', '10.0.0.0/8']);
    expect(await runtime.maintenanceState()).toEqual({ on: true, exempt: ['10.0.0.0/8', '127.0.0.3'] });
    expect((await get('/', '127.0.0.2')).status).toBe(503);
    expect((await get('/', '127.0.0.3')).status).toBe(200);

    await runtime.maintenanceOff();
    expect(await runtime.maintenanceState()).toEqual({ on: false, exempt: [] });
    expect((await get('/catalog/page')).status).toBe(200);
  });

  it('refuses an exempt source that is no address', async () => {
    await expect(runtime.maintenanceOn(['127.0.0.1/33'])).rejects.toThrow(/exempt CIDR "127.0.0.1\/33"/);
    await expect(runtime.maintenanceOn(['10.0.0.1; clear map x'])).rejects.toThrow(/exempt CIDR/);
    expect((await runtime.maintenanceState()).on).toBe(false);
  });

  it('names the backend and server it cannot find', async () => {
    await expect(runtime.server(FRONTEND, 'i-nope')).rejects.toThrow(/backend frontend has no server i-nope/);
    await expect(runtime.setState('nope', front1.id, 'drain')).rejects.toThrow(
      /HAProxy has no backend nope \("show stat" answered "No such proxy."\)/,
    );
    const backOffice = layout.instances.filter((instance) => instance.role === 'backOffice');
    expect((await runtime.servers(BACK_OFFICE)).map((server) => server.name)).toEqual(backOffice.map(({ id }) => id));
  });

  it('keeps the additional-batch instances out of service until a deployment registers them', async () => {
    for (const spare of layout.instances.filter((instance) => instance.spare)) {
      const server = await runtime.server(HAPROXY_BACKENDS[spare.role], spare.id);
      expect([server.state, server.health]).toEqual(['maint', 'MAINT']);
    }
  });

  it('finds the map and the ACL from the admin socket path alone, and refuses a path no layout has', async () => {
    const bySocket = new HaproxyRuntime(layout.haproxy.socket);

    expect(await bySocket.maintenanceState()).toEqual({ on: false, exempt: [] });
    expect(() => new HaproxyRuntime(join(dir, 'admin.sock'))).toThrow(/is not a rehearsal's HAProxy socket/);
  });

  it('stops: no daemon or worker alive, no port or socket answering', async () => {
    const all = [...(haproxy ? [haproxy] : []), ...instances.flat()];
    const pids = all.flatMap((daemon) => [daemon.pid, ...childPids(daemon.pid)]);

    if (haproxy) await stopHaproxy(haproxy);
    haproxy = undefined;
    for (const daemons of instances.splice(0)) await stopInstance(daemons);

    expect(pids.filter(isAlive)).toEqual([]);
    expect(await portOpen(layout.alb.address, layout.alb.port)).toBe(false);
    for (const instance of layout.instances) {
      expect(await portOpen(instance.address, instance.port)).toBe(false);
      expect(existsSync(instance.phpFpmSocket)).toBe(false);
    }
    await expect(runtime.command('show info')).rejects.toThrow(/HAProxy runtime API/);
  });
});
