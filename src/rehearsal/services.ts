// The rehearsal's data services, real daemons from Debian packages on loopback addresses: a
// MariaDB that requires TLS (as RDS does) and two Redis that speak only TLS and want a password
// (as ElastiCache with encryption in transit and an AUTH token). One self-signed CA signs the
// server certificate of all three; env.php names it as the database's CA bundle. The rehearsal's
// random passwords live in <dir>/secrets.json. Also the mariadb, redis-cli and mysqldump helpers
// (mysqldump makes the database snapshots). env-php.ts feeds the real env.php renderer with the
// addresses, the CA and the secrets exported here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { RehearsalLayout } from './layout.ts';
import { portOpen, type RunningDaemon, startDaemon, stopDaemon } from './process.ts';
import { type Program, requireProgram } from './programs.ts';

/** MariaDB listens here (and on its socket), on `layout.mariadb.port`. */
export const MARIADB_ADDRESS = '127.0.0.1';
/** The cache Redis, on `layout.redis.cache.port`. */
export const REDIS_CACHE_ADDRESS = '127.0.0.3';
/**
 * The sessions Redis, on the same port as the cache one (`layout.redis.cache.port`): env.php has
 * one Redis port for both (STORESTACK_REDIS_PORT), so the two differ by address only.
 */
export const REDIS_SESSIONS_ADDRESS = '127.0.0.4';

export type RedisRole = 'cache' | 'sessions';

/** The programs the data services run. */
const DATA_PROGRAMS: readonly Program[] = [
  'openssl',
  'mariadbd',
  'mariadb-install-db',
  'mariadb',
  'mysqldump',
  'redis-server',
  'redis-cli',
];

/** Days a certificate is valid: ten years. */
const CERTIFICATE_DAYS = 3650;
/** The longest path a Unix socket may have (sun_path is 108 bytes with its NUL). */
const SOCKET_PATH_MAX = 107;

/** Throws naming the Debian package of the first program the data services need that is missing. */
export function checkDataServicePrograms(): void {
  for (const program of DATA_PROGRAMS) requireProgram(program);
}

interface Completed {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without a shell, `input` on its standard input; never rejects (a start failure is code null). */
function run(
  program: Program,
  args: readonly string[],
  options: { readonly input?: string; readonly env?: NodeJS.ProcessEnv; readonly stdoutFd?: number } = {},
): Promise<Completed> {
  return new Promise((done) => {
    let file: string;
    try {
      file = requireProgram(program);
    } catch (error) {
      done({ code: null, signal: null, stdout: '', stderr: (error as Error).message });
      return;
    }
    const child = spawn(file, [...args], {
      env: options.env ?? process.env,
      stdio: ['pipe', options.stdoutFd ?? 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      done({ code: null, signal: null, stdout, stderr: `${stderr}cannot run ${file}: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      done({ code, signal, stdout, stderr });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

function failure(what: string, result: Completed): Error {
  const how = result.signal ? `was ended by ${result.signal}` : `failed (exit code ${result.code})`;
  return new Error(`${what} ${how}: ${result.stderr.trim() || result.stdout.trim() || 'no output'}`);
}

// --- TLS ---------------------------------------------------------------------------------------

export interface CertificatePaths {
  readonly dir: string;
  /** The self-signed CA: what env.php names as the database's CA bundle, and clients trust. */
  readonly ca: string;
  readonly caKey: string;
  /** The server certificate of MariaDB and both Redis (127.0.0.1, 127.0.0.3, 127.0.0.4, localhost). */
  readonly cert: string;
  readonly key: string;
}

/** Where the rehearsal's CA and server certificate are: `<dir>/tls/` (absolute paths). */
export function certificatePaths(layout: RehearsalLayout): CertificatePaths {
  const dir = resolve(layout.dir, 'tls');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
}

/**
 * Writes a self-signed CA and a server certificate it signs (RSA 2048, ten years, subjectAltName
 * IP:127.0.0.1, IP:127.0.0.3, IP:127.0.0.4, DNS:localhost) into `<dir>/tls/`, keys mode 0600.
 * Certificates already there are kept: the env.php files of running releases name the CA.
 */
export async function writeCertificates(layout: RehearsalLayout): Promise<CertificatePaths> {
  const paths = certificatePaths(layout);
  if ([paths.ca, paths.caKey, paths.cert, paths.key].every((file) => existsSync(file))) return paths;
  mkdirSync(paths.dir, { recursive: true });
  const work = mkdtempSync(join(paths.dir, '.new-'));
  try {
    const at = (name: string) => join(work, name);
    const openssl = async (what: string, args: string[]) => {
      const result = await run('openssl', args);
      if (result.code !== 0) throw failure(`openssl (${what}, in ${paths.dir})`, result);
    };
    await openssl('the CA', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at('ca-key.pem'),
      '-out',
      at('ca.pem'),
      '-days',
      String(CERTIFICATE_DAYS),
      '-subj',
      '/CN=storestack rehearsal CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await openssl('the server key', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at('server-key.pem'),
      '-out',
      at('server.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    writeFileSync(
      at('server.ext'),
      [
        'subjectAltName=IP:127.0.0.1,IP:127.0.0.3,IP:127.0.0.4,DNS:localhost',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    await openssl('the server certificate', [
      'x509',
      '-req',
      '-in',
      at('server.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca-key.pem'),
      '-CAcreateserial',
      '-out',
      at('server.pem'),
      '-days',
      String(CERTIFICATE_DAYS),
      '-extfile',
      at('server.ext'),
    ]);
    chmodSync(at('ca-key.pem'), 0o600);
    chmodSync(at('server-key.pem'), 0o600);
    chmodSync(at('ca.pem'), 0o644);
    chmodSync(at('server.pem'), 0o644);
    // Keys first: a half-written set is never taken for a whole one (the CA is checked above).
    renameSync(at('ca-key.pem'), paths.caKey);
    renameSync(at('server-key.pem'), paths.key);
    renameSync(at('server.pem'), paths.cert);
    renameSync(at('ca.pem'), paths.ca);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return paths;
}

// --- Secrets -----------------------------------------------------------------------------------

/** The rehearsal's generated secrets (`<dir>/secrets.json`, mode 0600). */
export interface RehearsalSecrets {
  /** The cache Redis's password (AUTH). */
  readonly redisCache: string;
  /** The sessions Redis's password (AUTH). */
  readonly redisSessions: string;
  /** Magento's crypt key (32 hex digits), for STORESTACK_CRYPT_KEY. */
  readonly cryptKey: string;
}

/** Where the secrets are kept: `<dir>/secrets.json`. */
export function secretsFile(layout: RehearsalLayout): string {
  return resolve(layout.dir, 'secrets.json');
}

function parseSecrets(file: string): RehearsalSecrets {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the rehearsal's secrets from ${file}: ${(error as Error).message}`);
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const text = (key: keyof RehearsalSecrets): string => {
    const value = record[key];
    if (typeof value !== 'string' || !/^[A-Za-z0-9]{16,}$/.test(value)) {
      throw new Error(
        `${file}: ${key} is missing or not 16+ letters and digits (delete the file to generate new ones)`,
      );
    }
    return value;
  };
  return { redisCache: text('redisCache'), redisSessions: text('redisSessions'), cryptKey: text('cryptKey') };
}

/** The rehearsal's secrets; throws when they were never generated (startDataServices does it). */
export function rehearsalSecrets(layout: RehearsalLayout): RehearsalSecrets {
  const file = secretsFile(layout);
  if (!existsSync(file)) throw new Error(`${file} does not exist: the data services were never started here`);
  return parseSecrets(file);
}

/** The secrets, generated (random) and written on first use. */
export function ensureRehearsalSecrets(layout: RehearsalLayout): RehearsalSecrets {
  const file = secretsFile(layout);
  if (existsSync(file)) return parseSecrets(file);
  const secrets: RehearsalSecrets = {
    redisCache: randomBytes(16).toString('hex'),
    redisSessions: randomBytes(16).toString('hex'),
    cryptKey: randomBytes(16).toString('hex'),
  };
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.new`;
  writeFileSync(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  return secrets;
}

// --- MariaDB -----------------------------------------------------------------------------------

const asRoot = () => process.getuid?.() === 0;

/**
 * The account the mariadb client uses over the socket: mariadb-install-db gives root (and the
 * user that runs it) unix_socket authentication, so the operating system user is the login.
 */
function socketUser(): string {
  return asRoot() ? 'root' : userInfo().username;
}

function mariadbSocket(layout: RehearsalLayout): string {
  const socket = resolve(layout.mariadb.socket);
  if (Buffer.byteLength(socket) > SOCKET_PATH_MAX) {
    throw new Error(
      `the MariaDB socket ${socket} is longer than ${SOCKET_PATH_MAX} bytes: choose a shorter rehearsal directory`,
    );
  }
  return socket;
}

function clientArgs(layout: RehearsalLayout): string[] {
  return ['--no-defaults', '--protocol=socket', `--socket=${mariadbSocket(layout)}`, `--user=${socketUser()}`];
}

/**
 * Runs SQL with the mariadb client over the socket as the administrator (no TLS needed there);
 * returns its output (`--batch --skip-column-names`: tab-separated values, one row a line).
 */
export async function mysql(layout: RehearsalLayout, sql: string, database?: string): Promise<string> {
  const args = [...clientArgs(layout), '--batch', '--skip-column-names'];
  if (database !== undefined) args.push(`--database=${database}`);
  const result = await run('mariadb', args, { input: sql });
  if (result.code !== 0) throw failure(`mariadb (socket ${layout.mariadb.socket})`, result);
  return result.stdout;
}

/** mysqldump of the rehearsal's database into `file` (the DB snapshot); restore it with restoreDatabase. */
export async function dumpDatabase(layout: RehearsalLayout, file: string): Promise<void> {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const temporary = `${resolve(file)}.${process.pid}.partial`;
  const fd = openSync(temporary, 'w', 0o600);
  let result: Completed;
  try {
    result = await run(
      'mysqldump',
      [
        ...clientArgs(layout),
        '--single-transaction',
        '--routines',
        '--triggers',
        '--skip-dump-date',
        layout.mariadb.database,
      ],
      { stdoutFd: fd },
    );
  } finally {
    closeSync(fd);
  }
  if (result.code !== 0) {
    rmSync(temporary, { force: true });
    throw failure(`mysqldump of ${layout.mariadb.database} into ${file}`, result);
  }
  renameSync(temporary, resolve(file));
}

/** Replaces the rehearsal's database with a dump written by dumpDatabase. */
export async function restoreDatabase(layout: RehearsalLayout, file: string): Promise<void> {
  const dump = readFileSync(file, 'utf8');
  const name = layout.mariadb.database;
  await mysql(layout, `DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\`;`);
  const result = await run('mariadb', [...clientArgs(layout), `--database=${name}`], { input: dump });
  if (result.code !== 0) throw failure(`restoring ${file} into ${name}`, result);
}

/** Initialises the datadir once (into a scratch directory renamed over it, so a failure leaves none). */
async function initialiseDatadir(layout: RehearsalLayout): Promise<void> {
  const datadir = resolve(layout.mariadb.datadir);
  if (existsSync(join(datadir, 'mysql'))) return;
  if (existsSync(datadir)) rmSync(datadir, { recursive: true, force: true });
  mkdirSync(dirname(datadir), { recursive: true });
  const scratch = `${datadir}.initialising`;
  rmSync(scratch, { recursive: true, force: true });
  const result = await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${scratch}`,
    ...(asRoot() ? ['--user=root'] : []),
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
    '--skip-name-resolve',
  ]);
  if (result.code !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw failure(`mariadb-install-db (datadir ${scratch})`, result);
  }
  renameSync(scratch, datadir);
}

async function startMariadb(layout: RehearsalLayout, tls: CertificatePaths): Promise<RunningDaemon> {
  const db = layout.mariadb;
  const socket = mariadbSocket(layout);
  await initialiseDatadir(layout);
  const args = [
    '--no-defaults',
    ...(asRoot() ? ['--user=root'] : []),
    `--datadir=${resolve(db.datadir)}`,
    `--socket=${socket}`,
    `--port=${db.port}`,
    `--bind-address=${MARIADB_ADDRESS}`,
    `--pid-file=${resolve(db.pidFile)}`,
    // mariadbd changes into its datadir: every path it reads must be absolute.
    `--ssl-ca=${tls.ca}`,
    `--ssl-cert=${tls.cert}`,
    `--ssl-key=${tls.key}`,
    '--require-secure-transport=ON',
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=8M',
    '--max-connections=500',
  ];
  const daemon = await startDaemon({
    name: 'mariadb',
    command: requireProgram('mariadbd'),
    args,
    log: resolve(db.log),
    readyTimeoutMs: 30_000,
    ready: async () =>
      (await portOpen(MARIADB_ADDRESS, db.port)) &&
      (await run('mariadb', [...clientArgs(layout), '--execute=SELECT 1'])).code === 0,
  });
  try {
    const user = `'${db.user}'@'%'`;
    const password = db.password.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
    await mysql(
      layout,
      [
        `CREATE DATABASE IF NOT EXISTS \`${db.database}\`;`,
        `CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY '${password}' REQUIRE SSL;`,
        `ALTER USER ${user} IDENTIFIED BY '${password}' REQUIRE SSL;`,
        `GRANT ALL PRIVILEGES ON \`${db.database}\`.* TO ${user};`,
      ].join('\n'),
    );
  } catch (error) {
    await stopDaemon(daemon, 20_000);
    throw new Error(`mariadb started, but its database and user could not be set up: ${(error as Error).message}`);
  }
  return daemon;
}

// --- Redis -------------------------------------------------------------------------------------

/** The address, port and password of one of the rehearsal's Redis. */
export function redisEndpoint(
  layout: RehearsalLayout,
  role: RedisRole,
): { readonly address: string; readonly port: number; readonly password: string } {
  const secrets = rehearsalSecrets(layout);
  return role === 'cache'
    ? { address: REDIS_CACHE_ADDRESS, port: layout.redis.cache.port, password: secrets.redisCache }
    : { address: REDIS_SESSIONS_ADDRESS, port: layout.redis.cache.port, password: secrets.redisSessions };
}

/**
 * Runs one command with redis-cli on the cache or the sessions Redis (TLS, the CA checked, the
 * password from the secrets); returns its output. Throws with redis-cli's error.
 */
export async function redis(layout: RehearsalLayout, role: RedisRole, args: readonly string[]): Promise<string> {
  const { address, port, password } = redisEndpoint(layout, role);
  const result = await run(
    'redis-cli',
    ['--tls', '--cacert', certificatePaths(layout).ca, '-h', address, '-p', String(port), ...args],
    // REDISCLI_AUTH rather than -a: a password on the command line shows in ps.
    { env: { ...process.env, REDISCLI_AUTH: password } },
  );
  const where = `redis-cli ${args[0] ?? ''} on redis-${role} (${address}:${port})`;
  if (result.code !== 0) throw failure(where, result);
  // redis-cli exits 0 on a server's error reply when its output is not a terminal: look at it.
  const reply = `${result.stderr}${result.stdout}`.trim();
  if (/^(ERR|NOAUTH|WRONGPASS|WRONGTYPE|NOPERM)\b|^AUTH failed/m.test(reply)) {
    throw new Error(`${where} was refused: ${reply}`);
  }
  return result.stdout;
}

async function startRedis(layout: RehearsalLayout, role: RedisRole, tls: CertificatePaths): Promise<RunningDaemon> {
  const service = layout.redis[role];
  const { address, port, password } = redisEndpoint(layout, role);
  const dir = resolve(service.dir);
  mkdirSync(dir, { recursive: true });
  // The password goes into a configuration file rather than the command line (ps would show it).
  const config = join(dir, 'redis.conf');
  writeFileSync(config, `requirepass "${password}"\n`, { mode: 0o600 });
  chmodSync(config, 0o600);
  return startDaemon({
    name: `redis-${role}`,
    command: requireProgram('redis-server'),
    args: [
      config,
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      address,
      '--tls-cert-file',
      tls.cert,
      '--tls-key-file',
      tls.key,
      '--tls-ca-cert-file',
      tls.ca,
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--pidfile',
      resolve(service.pidFile),
    ],
    log: resolve(service.log),
    ready: async () => {
      if (!(await portOpen(address, port))) return false;
      try {
        return (await redis(layout, role, ['PING'])).trim() === 'PONG';
      } catch {
        return false;
      }
    },
  });
}

// --- All of them -------------------------------------------------------------------------------

/**
 * Writes the certificates and secrets when missing, initialises MariaDB's datadir once, and
 * starts MariaDB (database and user created, TLS required) and the two Redis. Resolves once all
 * three serve; if one cannot start, those already started are stopped again.
 */
export async function startDataServices(layout: RehearsalLayout): Promise<RunningDaemon[]> {
  checkDataServicePrograms();
  const tls = await writeCertificates(layout);
  ensureRehearsalSecrets(layout);
  const started: RunningDaemon[] = [];
  try {
    started.push(await startMariadb(layout, tls));
    started.push(await startRedis(layout, 'cache', tls));
    started.push(await startRedis(layout, 'sessions', tls));
  } catch (error) {
    await stopDataServices(started).catch(() => {});
    throw error;
  }
  return started;
}

/** Stops the daemons startDataServices started (last first); throws naming any that would not stop. */
export async function stopDataServices(daemons: readonly RunningDaemon[]): Promise<void> {
  const problems: string[] = [];
  for (const daemon of [...daemons].reverse()) {
    try {
      // MariaDB flushes InnoDB on TERM: give it longer than a Redis.
      await stopDaemon(daemon, daemon.name === 'mariadb' ? 20_000 : 5_000);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`could not stop every data service: ${problems.join('; ')}`);
}
