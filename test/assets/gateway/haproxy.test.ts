// The rendered gateway checked by the real HAProxy: `haproxy -c` on every sample gateway, then
// haproxy running on loopback ports in front of local TCP servers standing in for the backend.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HaproxyConfigProps, renderGateway, renderHaproxyConfig } from '../../../src/assets/gateway/render.ts';
import { samplePlatform } from '../../support.ts';
import { findOnPath } from '../stubbed-commands.ts';
import {
  accepts,
  BACKEND_ADDRESS,
  Backends,
  eventually,
  exchange,
  FakeDns,
  freePortBlock,
  GATEWAY_ADDRESS,
  HaproxyProcess,
  MOVED_BACKEND_ADDRESS,
  STRANGER_ADDRESS,
} from './network.ts';

const HAPROXY = findOnPath('haproxy') ?? ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find(isExecutable);

function isExecutable(path: string): boolean {
  return spawnSync(path, ['-v'], { encoding: 'utf8' }).status === 0;
}

if (!HAPROXY) {
  console.warn(
    'Skipping the HAProxy gateway tests: haproxy is not installed (apt-get install haproxy, or dnf install haproxy)',
  );
}

const GATEWAYS = samplePlatform().gateway.servers.map((server) => server.name);

/**
 * The rendered configuration as the test runs it. As root it is run exactly as rendered; another
 * user cannot switch to the haproxy user, so those two lines go.
 */
function runnable(config: string): string {
  if (process.getuid?.() === 0) return config;
  return config.replace(/^ {2}(user|group) haproxy\n/gm, '');
}

describe.skipIf(!HAPROXY)('the rendered gateway, checked by the real haproxy', () => {
  const haproxy = HAPROXY as string;

  describe('haproxy -c', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'storestack-haproxy-check-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it.each(GATEWAYS)('accepts the configuration of the sample gateway %s', (name) => {
      const config = renderGateway(samplePlatform(), name).find((file) => file.path === 'haproxy.cfg');
      const file = join(dir, `${name}.cfg`);
      writeFileSync(file, config?.content ?? '');

      const result = spawnSync(haproxy, ['-c', '-f', file], { encoding: 'utf8' });

      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('Configuration file is valid');
      // The only remark: the backend's internal name does not resolve here. On the gateway the VPC
      // resolver answers it, and init-addr lets HAProxy start before it does.
      const remarks = (result.stdout + result.stderr)
        .split('\n')
        .filter((line) => /\[(WARNING|ALERT)\]/.test(line) && !line.includes('could not resolve address'));
      expect(remarks).toEqual([]);
    });
  });

  describe('running in front of local servers', () => {
    const backends = new Backends();
    let gateway: HaproxyProcess | undefined;
    let dns: FakeDns | undefined;

    afterEach(async () => {
      await gateway?.stop();
      gateway = undefined;
      await dns?.stop();
      dns = undefined;
      await backends.closeAll();
    });

    async function startGateway(props: HaproxyConfigProps, readyPort: number): Promise<HaproxyProcess> {
      const started = new HaproxyProcess(haproxy, runnable(renderHaproxyConfig(props)));
      gateway = started;
      const ready = await eventually(
        () => accepts(readyPort),
        (up) => up || !started.running,
        10000,
      );
      expect(ready, `haproxy did not start listening:\n${started.output}`).toBe(true);
      return started;
    }

    it('echoes for a whitelisted source, closes on any other, and forwards a port range port for port', async () => {
      // P: a single-port service; P+1..P+3: a range whose first and last ports have a backend.
      const base = await freePortBlock(4, [GATEWAY_ADDRESS, BACKEND_ADDRESS]);
      await backends.echo(BACKEND_ADDRESS, base);
      await backends.announce(BACKEND_ADDRESS, base + 1, `port ${base + 1}`);
      await backends.announce(BACKEND_ADDRESS, base + 3, `port ${base + 3}`);
      await startGateway(
        {
          whitelist: [`${GATEWAY_ADDRESS}/32`],
          backendHost: BACKEND_ADDRESS,
          services: [
            { name: 'echo', ports: { from: base } },
            { name: 'range', ports: { from: base + 1, to: base + 3 } },
          ],
          bindAddress: GATEWAY_ADDRESS,
          timeouts: { connectSeconds: 2, clientSeconds: 10, serverSeconds: 10 },
        },
        base,
      );

      const allowed = await exchange(base, { localAddress: GATEWAY_ADDRESS, send: 'hello through the gateway' });
      expect(allowed).toEqual({ received: 'hello through the gateway', ending: 'closed' });

      const stranger = await exchange(base, { localAddress: STRANGER_ADDRESS, send: 'let me in' });
      expect(stranger.received).toBe('');
      expect(stranger.ending).not.toBe('timeout');
      // The range: each port reaches the backend's same port.
      const low = await exchange(base + 1);
      const high = await exchange(base + 3);
      expect(low.received).toBe(`port ${base + 1}`);
      expect(high.received).toBe(`port ${base + 3}`);
      // Nothing listens on the backend's P+2: the connection is closed, not sent elsewhere.
      expect((await exchange(base + 2)).received).toBe('');
      // The stranger is refused on the range too.
      expect((await exchange(base + 3, { localAddress: STRANGER_ADDRESS })).received).toBe('');
    });

    it('starts before the backend name resolves, then follows the name when its address changes', async () => {
      const port = await freePortBlock(1, [GATEWAY_ADDRESS, BACKEND_ADDRESS, MOVED_BACKEND_ADDRESS]);
      await backends.announce(BACKEND_ADDRESS, port, 'first instance');
      await backends.announce(MOVED_BACKEND_ADDRESS, port, 'replacement instance');
      const fakeDns = new FakeDns();
      dns = fakeDns;
      const dnsPort = await fakeDns.start();
      const running = await startGateway(
        {
          whitelist: [`${GATEWAY_ADDRESS}/32`],
          // .test never resolves through the system's resolver (RFC 6761): only the fake DNS answers.
          backendHost: 'backend.storestack.test',
          services: [{ name: 'app', ports: { from: port } }],
          resolver: `127.0.0.1:${dnsPort}`,
          bindAddress: GATEWAY_ADDRESS,
        },
        port,
      );

      // Not registered yet: haproxy runs, and closes connections it has nowhere to send.
      expect(running.running).toBe(true);
      expect((await exchange(port)).received).toBe('');

      fakeDns.address = BACKEND_ADDRESS;
      const first = await eventually(
        () => exchange(port),
        (result) => result.received !== '',
      );
      expect(first.received).toBe('first instance');

      // The backend is replaced and registers its name with a new address.
      fakeDns.address = MOVED_BACKEND_ADDRESS;
      const moved = await eventually(
        () => exchange(port),
        (result) => result.received === 'replacement instance',
      );
      expect(moved.received).toBe('replacement instance');
      expect(fakeDns.queries).toBeGreaterThan(2);
    });
  });
});
