// The real openvpn proves the profiles work: a server started from the rendered server.conf and
// the keys the set-up installed, on a loopback UDP port, and clients started from the profiles
// make_config.sh wrote. The server needs a tun device (OpenVPN refuses server mode with dev null):
// an unconfigured one, with ifconfig-noexec and route-noexec, gone when the server exits. The
// clients use dev null. alice gets through; bob (revoked) and mallory (another CA) are refused.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OPENVPN, OpenVpnSandbox, PROPS, warnIfMissing } from './fixtures.ts';

const missing = warnIfMissing('the OpenVPN tunnel tests');
const noTun = process.getuid?.() !== 0 || !existsSync('/dev/net/tun');
if (!missing && noTun) {
  console.warn('Skipping the OpenVPN tunnel tests: the server needs root and /dev/net/tun (OpenVPN server mode)');
}

const INITIALIZED = 'Initialization Sequence Completed';

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class OpenVpnProcess {
  output = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(args: readonly string[]) {
    this.child = spawn(OPENVPN as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve());
      this.child.on('exit', () => resolve());
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the output matches, up to `ms`; true when it did. */
  async waitFor(pattern: string | RegExp, ms: number): Promise<boolean> {
    const matches = () => (typeof pattern === 'string' ? this.output.includes(pattern) : pattern.test(this.output));
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (matches()) return true;
      if (!this.running) return matches();
      await delay(100);
    }
    return matches();
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const stopped = await Promise.race([this.exited.then(() => true), delay(5000).then(() => false)]);
      if (!stopped) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
  }
}

/** The options that let a profile or server.conf run without configuring the host's network. */
const NO_NETWORK = ['--ifconfig-noexec', '--route-noexec', '--verb', '3'];
/** Debian has no nobody group: the same unprivileged group under its name there. */
const GROUP =
  existsSync('/etc/group') && /^nobody:/m.test(readFileSync('/etc/group', 'utf8')) ? [] : ['--group', 'nogroup'];

describe.skipIf(missing || noTun)('the rendered server and profiles, run by the real openvpn', () => {
  let sandbox: OpenVpnSandbox;
  let foreign: OpenVpnSandbox;
  const processes: OpenVpnProcess[] = [];
  let server: OpenVpnProcess;

  beforeAll(async () => {
    const props = { ...PROPS, port: await freeUdpPort() };
    sandbox = new OpenVpnSandbox(props);
    sandbox.setPublicHost('127.0.0.1');
    for (const run of [
      () => sandbox.setup(),
      () => sandbox.client('make_config.sh', 'alice'),
      () => sandbox.client('make_config.sh', 'bob'),
    ]) {
      const result = await run();
      if (result.status !== 0) throw new Error(result.stdout + result.stderr);
    }
    // Keep bob's profile: revoke_client.sh deletes it.
    const bob = sandbox.profile('bob') as string;
    const revoked = await sandbox.client('revoke_client.sh', 'bob');
    if (revoked.status !== 0) throw new Error(revoked.stdout + revoked.stderr);
    writeFileSync(join(sandbox.root, 'bob.ovpn'), bob);

    // mallory: a certificate and key from another CA, with this server's CA and tls-crypt key (so
    // that mallory trusts the server, and the server gets as far as checking mallory's certificate).
    foreign = new OpenVpnSandbox(props);
    foreign.setPublicHost('127.0.0.1');
    for (const run of [() => foreign.setup(), () => foreign.client('make_config.sh', 'mallory')]) {
      const result = await run();
      if (result.status !== 0) throw new Error(result.stdout + result.stderr);
    }
    let mallory = foreign.profile('mallory') as string;
    for (const block of [/<ca>[\s\S]*<\/ca>/, /<tls-crypt>[\s\S]*<\/tls-crypt>/]) {
      mallory = mallory.replace(block, (sandbox.profile('alice') as string).match(block)?.[0] as string);
    }
    writeFileSync(join(sandbox.root, 'mallory.ovpn'), mallory);
  }, 120_000);

  afterAll(() => {
    sandbox?.remove();
    foreign?.remove();
  });

  async function startServer(): Promise<OpenVpnProcess> {
    const name = `ssvpn${process.pid % 100000}`;
    server = new OpenVpnProcess([
      '--cd',
      sandbox.serverDir,
      '--config',
      'server.conf',
      '--dev',
      name,
      '--dev-type',
      'tun',
      '--local',
      '127.0.0.1',
      ...GROUP,
      ...NO_NETWORK,
    ]);
    processes.push(server);
    expect(await server.waitFor(INITIALIZED, 15_000), server.output).toBe(true);
    return server;
  }

  function startClient(profile: string): OpenVpnProcess {
    const client = new OpenVpnProcess(['--config', profile, '--dev', 'null', ...NO_NETWORK]);
    processes.push(client);
    return client;
  }

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((child) => child.stop()));
  });

  it('connects alice with her profile', async () => {
    await startServer();

    const alice = startClient(join(sandbox.clientDir, 'files/alice.ovpn'));

    expect(await alice.waitFor(INITIALIZED, 20_000), alice.output).toBe(true);
    expect(alice.output).toContain('route 10.0.0.0 255.255.0.0');
    expect(alice.output).toContain('dhcp-option DNS 10.0.0.2');
    expect(alice.output).toMatch(/Data Channel: cipher 'AES-256-GCM'/);
    expect(await server.waitFor(/alice.*(Data Channel|PUSH)/, 5_000), server.output).toBe(true);
  });

  it('refuses bob, whose certificate is revoked', async () => {
    await startServer();

    const bob = startClient(join(sandbox.root, 'bob.ovpn'));

    expect(await server.waitFor(/VERIFY ERROR.*certificate revoked/, 20_000), server.output).toBe(true);
    expect(await bob.waitFor(INITIALIZED, 3_000), bob.output).toBe(false);
  });

  it('refuses mallory, whose certificate comes from another CA', async () => {
    await startServer();

    const mallory = startClient(join(sandbox.root, 'mallory.ovpn'));

    expect(await server.waitFor(/VERIFY ERROR.*unable to get local issuer certificate/, 20_000), server.output).toBe(
      true,
    );
    expect(await mallory.waitFor(INITIALIZED, 3_000), mallory.output).toBe(false);
  });
});
