// The rendered vsftpd configuration and PAM service run by the REAL vsftpd, on loopback ports: a
// temporary local user (no shell) in a temporary group standing for the web user's, uploading in
// passive mode with curl. It needs root (useradd, /etc/pam.d, vsftpd's chroot) and vsftpd: CI has
// both; anywhere else the tests are skipped, saying why. Whatever happens, afterAll stops vsftpd
// and removes the user, the group, the PAM files and the temporary directory.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderVsftpdConfig, renderVsftpdPamService } from '../../../../src/assets/beanstalk/connector-ftp/vsftpd.ts';
import { findOnPath } from '../../stubbed-commands.ts';

const PAM_DIR = '/etc/pam.d';
const LOOPBACK = '127.0.0.1';
const PASSIVE_PORT_COUNT = 10;
const TOOLS = ['vsftpd', 'curl', 'useradd', 'userdel', 'groupadd', 'groupdel', 'chpasswd', 'getent'];

function onPath(name: string): string | undefined {
  return findOnPath(name) ?? ['/usr/sbin', '/sbin'].map((dir) => join(dir, name)).find((path) => existsSync(path));
}

/** The PAM stack a temporary service includes: Debian's common-* files, or Fedora's password-auth. */
function systemPamStack(): 'debian' | 'password-auth' | undefined {
  if (existsSync(join(PAM_DIR, 'common-auth')) && existsSync(join(PAM_DIR, 'common-account'))) return 'debian';
  if (existsSync(join(PAM_DIR, 'password-auth'))) return 'password-auth';
  return undefined;
}

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return `this is ${process.platform}, not Linux`;
  if (process.getuid?.() !== 0) return 'not running as root (useradd, /etc/pam.d and vsftpd need it; CI runs as root)';
  const missing = TOOLS.filter((tool) => !onPath(tool));
  if (missing.length > 0) return `${missing.join(', ')} not installed (apt-get install vsftpd curl)`;
  if (!systemPamStack()) return `no known PAM stack in ${PAM_DIR} (common-auth or password-auth)`;
  return undefined;
}

const SKIP = skipReason();
if (SKIP !== undefined) console.log(`skipping the real vsftpd tests: ${SKIP}`);

function run(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', input, timeout: 30_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

function exists(database: 'passwd' | 'group', name: string): boolean {
  return spawnSync('getent', [database, name]).status === 0;
}

/** The uid or gid of `name`, from getent. */
function idOf(database: 'passwd' | 'group', name: string): number {
  return Number(run('getent', [database, name]).split(':')[2]);
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

/** A control port and the passive range after it, all free, somewhere in 20000-30000. */
async function freePorts(): Promise<{ control: number; passive: { from: number; to: number } }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const control = 20000 + Math.floor(Math.random() * (10000 - PASSIVE_PORT_COUNT - 1));
    const ports = Array.from({ length: PASSIVE_PORT_COUNT + 1 }, (_, i) => control + i);
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return { control, passive: { from: control + 1, to: control + PASSIVE_PORT_COUNT } };
  }
  throw new Error('test setup: no 11 consecutive free ports in 20000-30000');
}

interface Reply {
  readonly code: number;
  readonly text: string;
}

/** A raw FTP control connection, to send what curl will not (PASV as is, PORT, SITE CHMOD). */
class FtpControl {
  private buffer = '';
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
    });
  }

  static async open(port: number): Promise<FtpControl> {
    const socket = createConnection({ host: LOOPBACK, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const control = new FtpControl(socket);
    const greeting = await control.reply();
    if (greeting.code !== 220) throw new Error(`vsftpd greeted with ${greeting.code} ${greeting.text}`);
    return control;
  }

  /** The next complete reply (multi-line replies end with "<code> "). */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const last = lines.findIndex((line, index) => index < lines.length - 1 && /^\d{3} /.test(line));
      if (last >= 0) {
        const reply = lines.slice(0, last + 1);
        this.buffer = lines.slice(last + 1).join('\r\n');
        const final = reply[last] ?? '';
        return { code: Number(final.slice(0, 3)), text: reply.join('\n') };
      }
      if (Date.now() > deadline) {
        throw new Error(`no FTP reply within ${timeoutMs} ms (got ${JSON.stringify(this.buffer)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async send(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('the rendered vsftpd configuration, run by the real vsftpd', () => {
  const suffix = randomBytes(4).toString('hex');
  const user = `sstest${suffix}`;
  const group = `sstestg${suffix}`;
  const password = randomBytes(12).toString('hex');
  const pamService = `sstest-ftp-${suffix}`;
  const pamStack = `sstest-stack-${suffix}`;
  // Undone in reverse order by afterAll, each step registered as soon as it is done.
  const undo: { readonly what: string; readonly step: () => void | Promise<void> }[] = [];
  let dir = '';
  let ftpRoot = '';
  let port = 0;
  let passive = { from: 0, to: 0 };
  let daemon: ChildProcess | undefined;
  let daemonOutput = '';

  async function cleanUp(): Promise<void> {
    const errors: string[] = [];
    for (const { what, step } of undo.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(`${what}: ${(error as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(`cleaning up after the vsftpd tests:\n  - ${errors.join('\n  - ')}`);
  }

  async function stopDaemon(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Its own process group: the listener and every session it forked.
    const signal = (name: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) signal('SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
  }

  async function waitForGreeting(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        (await FtpControl.open(port)).close();
        return;
      } catch (error) {
        if (daemon !== undefined && daemon.exitCode !== null)
          throw new Error(`vsftpd exited with ${daemon?.exitCode}: ${daemonOutput}`);
        if (Date.now() > deadline) throw new Error(`vsftpd does not answer on ${port}: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async function setUp(): Promise<void> {
    for (const [database, name] of [
      ['group', group],
      ['passwd', user],
    ] as const) {
      if (exists(database, name)) throw new Error(`test setup: ${name} exists already in ${database}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'storestack-vsftpd-'));
    undo.push({ what: `rm -r ${dir}`, step: () => rmSync(dir, { recursive: true, force: true }) });
    // The user must reach its root through it.
    chmodSync(dir, 0o755);

    run('groupadd', [group]);
    undo.push({
      what: `groupdel ${group}`,
      step: () => {
        if (exists('group', group)) run('groupdel', [group]);
      },
    });
    ftpRoot = join(dir, 'ftp-root');
    const nologin = ['/sbin/nologin', '/usr/sbin/nologin'].find((path) => existsSync(path)) ?? '/bin/false';
    run('useradd', ['--gid', group, '--home-dir', ftpRoot, '--no-create-home', '--shell', nologin, user]);
    undo.push({
      what: `userdel -r ${user}`,
      step: () => {
        if (!exists('passwd', user)) return;
        const result = spawnSync('userdel', ['-r', user], { encoding: 'utf8' });
        if (exists('passwd', user)) throw new Error(`userdel -r ${user} failed: ${result.stderr}`);
      },
    });
    // Through standard input, as the deploy hook does.
    run('chpasswd', [], `${user}:${password}\n`);

    // The FTP root as on an instance: the web user's (root here), its group's, group-writable, setgid.
    mkdirSync(ftpRoot);
    chownSync(ftpRoot, 0, idOf('group', group));
    chmodSync(ftpRoot, 0o2775);
    const empty = join(dir, 'empty');
    mkdirSync(empty, { mode: 0o755 });
    const userlist = join(dir, 'user_list');
    writeFileSync(userlist, `${user}\n`);

    const stack = systemPamStack();
    let systemStack = 'password-auth';
    if (stack === 'debian') {
      systemStack = pamStack;
      undo.push({ what: `rm ${PAM_DIR}/${pamStack}`, step: () => rmSync(join(PAM_DIR, pamStack), { force: true }) });
      writeFileSync(
        join(PAM_DIR, pamStack),
        'auth     include  common-auth\naccount  include  common-account\nsession  include  common-session\n',
      );
    }
    undo.push({ what: `rm ${PAM_DIR}/${pamService}`, step: () => rmSync(join(PAM_DIR, pamService), { force: true }) });
    writeFileSync(join(PAM_DIR, pamService), renderVsftpdPamService({ userlistFile: userlist, systemStack }));

    const ports = await freePorts();
    port = ports.control;
    passive = ports.passive;
    const config = join(dir, 'vsftpd.conf');
    writeFileSync(
      config,
      renderVsftpdConfig({
        ftpRoot,
        passivePorts: passive,
        pasvAddress: LOOPBACK,
        userlistFile: userlist,
        listenPort: port,
        listenAddress: LOOPBACK,
        pamServiceName: pamService,
        secureChrootDir: empty,
        xferlogFile: join(dir, 'xferlog'),
      }),
      { mode: 0o600 },
    );

    const child = spawn(onPath('vsftpd') ?? 'vsftpd', [config], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon = child;
    undo.push({ what: 'stop vsftpd', step: () => stopDaemon(child) });
    child.stdout?.on('data', (chunk) => {
      daemonOutput += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      daemonOutput += chunk;
    });
    await waitForGreeting();
  }

  beforeAll(async () => {
    if (SKIP !== undefined) return;
    try {
      await setUp();
    } catch (error) {
      await cleanUp();
      throw error;
    }
  });

  afterAll(async () => {
    await cleanUp();
  });

  /** curl against the daemon, the credentials on standard input (a config file), never in its arguments. */
  function curl(path: string, args: readonly string[], credentials = `${user}:${password}`) {
    return spawnSync(
      'curl',
      [
        '--silent',
        '--show-error',
        '--max-time',
        '30',
        // Passive mode as the gateway's clients use it: PASV, connecting where it says.
        '--ftp-pasv',
        '--disable-epsv',
        '--no-ftp-skip-pasv-ip',
        '--config',
        '-',
        ...args,
        `ftp://${LOOPBACK}:${port}${path}`,
      ],
      { encoding: 'utf8', input: `user = "${credentials}"\n`, timeout: 40_000 },
    );
  }

  function upload(path: string, content: string, extra: readonly string[] = []) {
    const file = join(dir, `upload-${randomBytes(4).toString('hex')}`);
    writeFileSync(file, content);
    return curl(path, ['--upload-file', file, ...extra]);
  }

  it.skipIf(SKIP !== undefined)(
    "uploads in passive mode: the file lands in the FTP root, the user's, in the web group, group-writable",
    () => {
      const result = upload('/product-1234.jpg', 'not really a jpeg\n');

      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const landed = join(ftpRoot, 'product-1234.jpg');
      expect(readFileSync(landed, 'utf8')).toBe('not really a jpeg\n');
      const stat = statSync(landed);
      expect(stat.uid).toBe(idOf('passwd', user));
      expect(stat.gid).toBe(idOf('group', group));
      expect(stat.mode & 0o020).toBe(0o020);
      expect(stat.mode & 0o777).toBe(0o664);
      expect(readFileSync(join(dir, 'xferlog'), 'utf8')).toContain('/product-1234.jpg');
    },
  );

  it.skipIf(SKIP !== undefined)('creates directories setgid and group-writable (2775), in the web group', () => {
    const result = upload('/import/2026/product-5678.jpg', 'jpeg\n', ['--ftp-create-dirs']);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const path of ['import', 'import/2026']) {
      const stat = statSync(join(ftpRoot, path));
      expect(stat.mode & 0o7777).toBe(0o2775);
      expect(stat.gid).toBe(idOf('group', group));
    }
    expect(statSync(join(ftpRoot, 'import/2026/product-5678.jpg')).mode & 0o777).toBe(0o664);
  });

  it.skipIf(SKIP !== undefined)(
    'answers PASV with the configured address and a port of the range; refuses PORT and SITE CHMOD',
    async () => {
      const control = await FtpControl.open(port);
      try {
        expect((await control.send(`USER ${user}`)).code).toBe(331);
        expect((await control.send(`PASS ${password}`)).code).toBe(230);

        const pasv = await control.send('PASV');
        expect(pasv.code).toBe(227);
        const [h1, h2, h3, h4, p1, p2] = (/\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv.text) ?? [])
          .slice(1)
          .map(Number);
        expect([h1, h2, h3, h4].join('.')).toBe(LOOPBACK);
        const dataPort = (p1 ?? 0) * 256 + (p2 ?? 0);
        expect(dataPort).toBeGreaterThanOrEqual(passive.from);
        expect(dataPort).toBeLessThanOrEqual(passive.to);

        // Active mode: vsftpd would connect back to the client, which the gateway does not forward.
        const active = await control.send(`PORT 127,0,0,1,${Math.floor(port / 256)},${port % 256}`);
        expect(active.text).toMatch(/^550 /);
        expect((await control.send(`EPRT |1|127.0.0.1|${port}|`)).text).toMatch(/^550 /);
        const chmod = await control.send('SITE CHMOD 0777 /product-1234.jpg');
        expect(chmod.code).toBeGreaterThanOrEqual(500);
        expect(statSync(join(ftpRoot, 'product-1234.jpg')).mode & 0o777).toBe(0o664);
      } finally {
        control.close();
      }
    },
  );

  it.skipIf(SKIP !== undefined)('jails the user in the FTP root', async () => {
    const control = await FtpControl.open(port);
    try {
      await control.send(`USER ${user}`);
      expect((await control.send(`PASS ${password}`)).code).toBe(230);
      expect((await control.send('PWD')).text).toContain('"/"');
      await control.send('CWD ../../..');
      expect((await control.send('PWD')).text).toContain('"/"');
      expect((await control.send('CWD /etc')).code).toBe(550);
    } finally {
      control.close();
    }
    mkdirSync(join(ftpRoot, 'seen-from-ftp'));
    const listing = curl('/../../', ['--list-only']);
    expect(listing.status).toBe(0);
    expect(listing.stdout).toContain('seen-from-ftp');
    expect(listing.stdout).not.toMatch(/^(etc|usr|ftp-root)$/m);
  });

  it.skipIf(SKIP !== undefined)('refuses a wrong password, any other local user, and anonymous', async () => {
    for (const [name, pass] of [
      [user, 'wrong-password'],
      ['root', password],
      ['anonymous', 'guest@example.com'],
    ] as const) {
      const control = await FtpControl.open(port);
      try {
        const answer = await control.send(`USER ${name}`);
        const final = answer.code === 331 ? await control.send(`PASS ${pass}`) : answer;
        expect(final.code, `${name}: ${final.text}`).toBe(530);
      } finally {
        control.close();
      }
    }
    const refused = curl('/intruder2.txt', ['--upload-file', join(dir, 'user_list')], `${user}:not-${password}`);
    expect(refused.status).not.toBe(0);
    expect(existsSync(join(ftpRoot, 'intruder2.txt'))).toBe(false);
  });
});
