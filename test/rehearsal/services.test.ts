// The rehearsal's data services as real daemons: MariaDB requiring TLS, the two Redis on their own
// addresses with TLS and a password, the certificates and secrets, the helpers (mysql, redis,
// dumpDatabase, restoreDatabase), a restart on the same directory, and nothing left running.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../src/rehearsal/process.ts';
import {
  certificatePaths,
  dumpDatabase,
  MARIADB_ADDRESS,
  mysql,
  REDIS_CACHE_ADDRESS,
  REDIS_SESSIONS_ADDRESS,
  redis,
  redisEndpoint,
  rehearsalSecrets,
  restoreDatabase,
  secretsFile,
  startDataServices,
  writeCertificates,
} from '../../src/rehearsal/services.ts';
import { renderEnvPhp, type Services, startTestServices, stopTestServices } from './fixture-support.ts';

/** Connects with PDO as the fixture does, from env.php; `change` edits the connection settings first. */
function pdo(envPhp: string, change = ''): { status: number | null; out: string } {
  const program = `
    $c = (require $argv[1])['db']['connection']['default'];
    ${change}
    [$host, $port] = explode(':', $c['host']);
    try {
      $pdo = new PDO("mysql:host=$host;port=$port;dbname={$c['dbname']}", $c['username'], $c['password'], $c['driver_options']);
      echo 'cipher=', $pdo->query("SHOW STATUS LIKE 'Ssl_cipher'")->fetch()[1];
    } catch (PDOException $e) { echo 'error=', $e->getMessage(); exit(3); }`;
  const result = spawnSync('php', ['-r', program, envPhp], { encoding: 'utf8' });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('rehearsal data services', () => {
  let services: Services;
  let envPhp: string;

  beforeAll(async () => {
    // 20000-23999: the fixture application test takes 24000+, the serving tests 30000+ and 40000+.
    services = await startTestServices('services', 20_000);
    const release = join(services.dir, 'release');
    mkdirSync(join(release, 'app/etc'), { recursive: true });
    renderEnvPhp(services.layout, release, '1764151200');
    envPhp = join(release, 'app/etc/env.php');
  });

  afterAll(async () => {
    if (!services) return;
    await stopTestServices(services).catch(() => {});
    rmSync(services.dir, { recursive: true, force: true });
  });

  it('writes a CA and a server certificate for the three addresses, keys and secrets private', async () => {
    const tls = certificatePaths(services.layout);
    const verify = spawnSync('openssl', ['verify', '-CAfile', tls.ca, tls.cert], { encoding: 'utf8' });
    expect(verify.stdout.trim()).toBe(`${tls.cert}: OK`);
    const text = spawnSync('openssl', ['x509', '-in', tls.cert, '-noout', '-ext', 'subjectAltName'], {
      encoding: 'utf8',
    }).stdout;
    for (const name of ['IP Address:127.0.0.1', 'IP Address:127.0.0.3', 'IP Address:127.0.0.4', 'DNS:localhost']) {
      expect(text).toContain(name);
    }
    expect(statSync(tls.key).mode & 0o777).toBe(0o600);
    expect(statSync(tls.caKey).mode & 0o777).toBe(0o600);
    expect(statSync(secretsFile(services.layout)).mode & 0o777).toBe(0o600);
    // Kept when they exist: the env.php of running releases names this CA.
    const ca = readFileSync(tls.ca, 'utf8');
    await writeCertificates(services.layout);
    expect(readFileSync(tls.ca, 'utf8')).toBe(ca);
    const secrets = rehearsalSecrets(services.layout);
    expect(secrets.redisCache).not.toBe(secrets.redisSessions);
    expect(secrets.cryptKey).toMatch(/^[0-9a-f]{32}$/);
  });

  it("lets PDO in with the renderer's env.php: TLS, the server certificate checked against the CA", () => {
    expect(pdo(envPhp)).toEqual({ status: 0, out: expect.stringMatching(/^cipher=\S+/) });
  });

  it('refuses the application user without TLS, and a server certificate from another CA', () => {
    const plain = pdo(envPhp, "$c['driver_options'] = [];");
    expect(plain.status).toBe(3);
    expect(plain.out).toMatch(/error=.*(Access denied|secure transport)/);
    const client = spawnSync(
      'mariadb',
      [
        '--no-defaults',
        '--skip-ssl',
        `--host=${MARIADB_ADDRESS}`,
        `--port=${services.layout.mariadb.port}`,
        `--user=${services.layout.mariadb.user}`,
        `--password=${services.layout.mariadb.password}`,
        '--execute=SELECT 1',
      ],
      { encoding: 'utf8' },
    );
    expect(client.status).not.toBe(0);
    expect(client.stderr).toMatch(/Access denied|secure transport/);

    const otherCa = join(services.dir, 'other-ca');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${otherCa}-key.pem`,
        '-out',
        `${otherCa}.pem`,
        '-days',
        '1',
        '-subj',
        '/CN=another CA',
      ],
      { encoding: 'utf8' },
    );
    expect(made.status).toBe(0);
    const wrongCa = pdo(envPhp, `$c['driver_options'][1009] = '${otherCa}.pem';`);
    expect(wrongCa.status).toBe(3);
    expect(wrongCa.out).toMatch(/error=.*(certificate verify failed|SSL)/i);
  });

  it('answers the administrator over the socket, and holds the database and its user', async () => {
    expect(await mysql(services.layout, 'SELECT 1')).toBe('1\n');
    const grants = await mysql(services.layout, "SHOW GRANTS FOR 'magento'@'%'");
    expect(grants).toContain('ALL PRIVILEGES ON `magento`.*');
    expect(grants).toContain('REQUIRE SSL');
    await expect(mysql(services.layout, 'SELECT nonsense FROM nowhere')).rejects.toThrow(
      /mariadb \(socket .*\) failed/,
    );
  });

  it('dumps the database to a file and restores it', async () => {
    await mysql(
      services.layout,
      'CREATE TABLE kept (id INT PRIMARY KEY); INSERT INTO kept VALUES (7);',
      services.layout.mariadb.database,
    );
    const dump = join(services.layout.snapshots, 'before.sql');
    await dumpDatabase(services.layout, dump);
    expect(readFileSync(dump, 'utf8')).toContain('CREATE TABLE `kept`');
    await mysql(services.layout, 'DELETE FROM kept', services.layout.mariadb.database);
    await restoreDatabase(services.layout, dump);
    expect(await mysql(services.layout, 'SELECT id FROM kept', services.layout.mariadb.database)).toBe('7\n');
  });

  it('runs each Redis on its own address, TLS only, answering only with its password', async () => {
    const { layout } = services;
    const port = layout.redis.cache.port;
    expect(await redis(layout, 'cache', ['PING'])).toBe('PONG\n');
    expect(await redis(layout, 'sessions', ['PING'])).toBe('PONG\n');
    await redis(layout, 'cache', ['SET', 'where', 'cache']);
    await redis(layout, 'sessions', ['SET', 'where', 'sessions']);
    expect(await redis(layout, 'cache', ['GET', 'where'])).toBe('cache\n');
    expect(await redis(layout, 'sessions', ['GET', 'where'])).toBe('sessions\n');
    // Nothing on the other loopback addresses.
    expect(await portOpen('127.0.0.1', port)).toBe(false);
    expect(await portOpen('127.0.0.5', port)).toBe(false);

    const cli = (address: string, password: string | undefined, extra: string[] = []) =>
      spawnSync(
        'redis-cli',
        ['--tls', '--cacert', certificatePaths(layout).ca, '-h', address, '-p', String(port), ...extra, 'PING'],
        {
          encoding: 'utf8',
          env: { ...process.env, ...(password === undefined ? {} : { REDISCLI_AUTH: password }) },
        },
      );
    const cache = redisEndpoint(layout, 'cache');
    const sessions = redisEndpoint(layout, 'sessions');
    expect(cache.address).toBe(REDIS_CACHE_ADDRESS);
    expect(sessions).toMatchObject({ address: REDIS_SESSIONS_ADDRESS, port });
    expect(`${cli(REDIS_CACHE_ADDRESS, undefined).stdout}`).toMatch(/NOAUTH/);
    expect(`${cli(REDIS_CACHE_ADDRESS, sessions.password).stdout}`).toMatch(/NOAUTH|WRONGPASS/);
    expect(`${cli(REDIS_SESSIONS_ADDRESS, cache.password).stdout}`).toMatch(/NOAUTH|WRONGPASS/);
    // Plain RESP on the TLS port gets no answer.
    expect(await plainPing(REDIS_CACHE_ADDRESS, port)).not.toContain('PONG');
  });

  it('starts again on the same directory, keeping the data, and leaves nothing behind when stopped', async () => {
    const first = await stopTestServices(services);
    expect(first).toEqual({ alive: [], open: [] });
    services.daemons.splice(0, services.daemons.length, ...(await startDataServices(services.layout)));
    expect(await mysql(services.layout, 'SELECT id FROM kept', services.layout.mariadb.database)).toBe('7\n');
    expect(pdo(envPhp).status).toBe(0);
    expect(await redis(services.layout, 'cache', ['PING'])).toBe('PONG\n');
    const second = await stopTestServices(services);
    expect(second).toEqual({ alive: [], open: [] });
  });
});

/** Sends PING without TLS; resolves with whatever came back within half a second. */
function plainPing(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host, port }, () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, done);
    socket.once('close', done);
    socket.once('error', done);
  });
}
