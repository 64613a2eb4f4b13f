// render-env-php.php run by the real PHP CLI, as the prebuild hook runs it: inputs in the
// environment, env.php read back the way Magento reads it (include).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ENV_PHP_INPUTS,
  envPhpRendererPath,
  envPhpRendererSource,
} from '../../../../../src/assets/beanstalk/magento/env-php/renderer.ts';
import { PROJECT_ROOT } from '../../../../support.ts';
import { requirePhp } from './php.ts';

const RENDERER = join(PROJECT_ROOT, 'src/assets/beanstalk/magento/env-php/render-env-php.php');

const SECRETS = {
  STORESTACK_DB_PASSWORD: `Db'p"a$s\\w0rd\`x`,
  STORESTACK_REDIS_CACHE_PASSWORD: 'CacheToken0123456789abcdefABCDEF',
  STORESTACK_REDIS_SESSIONS_PASSWORD: 'SessionsToken0123456789abcdefABC',
  STORESTACK_OPENSEARCH_PASSWORD: 'Se4rch!Pa$$w0rd%&*()',
  STORESTACK_CRYPT_KEY: 'f3e2d1c0b9a8978685746352413021ff',
};

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('render-env-php.php', () => {
  let dir: string;
  let envPhp: string;
  let caFile: string;

  beforeEach(() => {
    requirePhp();
    dir = mkdtempSync(join(tmpdir(), 'storestack-env-php-'));
    mkdirSync(join(dir, 'app/etc'), { recursive: true });
    envPhp = join(dir, 'app/etc/env.php');
    caFile = join(dir, 'rds-ca-bundle.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  });

  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function sampleInputs(): Record<string, string> {
    return {
      STORESTACK_ENV_PHP: envPhp,
      STORESTACK_DB_HOST: 'client-magento-prod.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com',
      STORESTACK_DB_NAME: 'magento',
      STORESTACK_DB_USER: 'admin',
      STORESTACK_DB_SSL_CA: caFile,
      STORESTACK_REDIS_CACHE_HOST: 'master.client-prod-cache.abc123.euw3.cache.amazonaws.com',
      STORESTACK_REDIS_SESSIONS_HOST: 'master.client-prod-sessions.abc123.euw3.cache.amazonaws.com',
      STORESTACK_OPENSEARCH_HOST: 'vpc-client-prod-abc123.eu-west-3.es.amazonaws.com',
      STORESTACK_OPENSEARCH_USER: 'magento',
      STORESTACK_RELEASE_ID: '2026-01-15.0930-a1b2c3d',
      STORESTACK_STATIC_VERSION: '1767225600',
      STORESTACK_CDN_STATIC_URL: 'https://static.client.url/',
      STORESTACK_CDN_MEDIA_URL: 'https://media.client.url/',
      STORESTACK_ADMIN_FRONTNAME: 'backend',
      STORESTACK_INSTALL_DATE: 'Thu, 15 Jan 2026 09:30:00 +0000',
      ...SECRETS,
    };
  }

  function render(inputs: Record<string, string> = sampleInputs()): Run {
    const result = spawnSync(requirePhp(), [RENDERER], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...inputs },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function php(...args: string[]): Run {
    const result = spawnSync(requirePhp(), args, { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** The env.php array, as Magento reads it. */
  // biome-ignore lint/suspicious/noExplicitAny: env.php is a nested array of any shape.
  function readEnvPhp(): any {
    const result = php('-r', 'echo json_encode(include $argv[1], JSON_THROW_ON_ERROR);', envPhp);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout);
  }

  it('writes an env.php that php -l accepts', () => {
    const result = render();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`render-env-php: wrote ${envPhp}\n`);
    const lint = php('-l', envPhp);
    expect(lint.stdout).toContain('No syntax errors detected');
    expect(lint.status).toBe(0);
  });

  it("holds Magento 2.4's top-level keys", () => {
    render();

    const keys = php('-r', 'var_export(array_keys(include $argv[1]));', envPhp).stdout;

    for (const key of [
      'backend',
      'crypt',
      'db',
      'resource',
      'x-frame-options',
      'MAGE_MODE',
      'directories',
      'session',
      'cache',
      'cache_types',
      'deployment',
      'system',
      'install',
    ]) {
      expect(keys).toContain(`=> '${key}'`);
    }
  });

  it('connects to MySQL over TLS, checking the server certificate against the RDS CA bundle', () => {
    render();

    const connection = readEnvPhp().db.connection.default;

    expect(connection).toMatchObject({
      host: 'client-magento-prod.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com',
      dbname: 'magento',
      username: 'admin',
      password: SECRETS.STORESTACK_DB_PASSWORD,
      active: '1',
    });
    // PDO::MYSQL_ATTR_SSL_CA and PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT (mysqlnd).
    expect(connection.driver_options).toEqual({ '1009': caFile, '1014': true });
    expect(readEnvPhp().resource.default_setup.connection).toBe('default');
  });

  it('names a port other than 3306 in the host, the way Magento reads it', () => {
    render({ ...sampleInputs(), STORESTACK_DB_PORT: '3307' });

    expect(readEnvPhp().db.connection.default.host).toBe(
      'client-magento-prod.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com:3307',
    );
  });

  it('keeps sessions in the sessions Redis, over TLS, database 0', () => {
    render();

    const env = readEnvPhp();

    expect(env.session.save).toBe('redis');
    expect(env.session.redis).toMatchObject({
      host: 'tls://master.client-prod-sessions.abc123.euw3.cache.amazonaws.com',
      port: '6379',
      password: SECRETS.STORESTACK_REDIS_SESSIONS_PASSWORD,
      database: '0',
    });
  });

  it("caches in the cache Redis over TLS, under the release's own id prefix", () => {
    render();

    const frontends = readEnvPhp().cache.frontend;

    for (const [name, database] of [
      ['default', '0'],
      ['page_cache', '1'],
    ] as const) {
      expect(frontends[name]).toMatchObject({
        // Zend_Cache only accepts [a-zA-Z0-9_] in ids: the other characters of the release id become _.
        id_prefix: '2026_01_15_0930_a1b2c3d_',
        backend: 'Magento\\Framework\\Cache\\Backend\\Redis',
        backend_options: {
          server: 'tls://master.client-prod-cache.abc123.euw3.cache.amazonaws.com',
          port: '6379',
          password: SECRETS.STORESTACK_REDIS_CACHE_PASSWORD,
          database,
        },
      });
    }
  });

  it('searches with OpenSearch over HTTPS on 443, with its user', () => {
    render();

    expect(readEnvPhp().system.default.catalog.search).toEqual({
      engine: 'opensearch',
      opensearch_server_hostname: 'https://vpc-client-prod-abc123.eu-west-3.es.amazonaws.com',
      opensearch_server_port: '443',
      opensearch_enable_auth: '1',
      opensearch_username: 'magento',
      opensearch_password: SECRETS.STORESTACK_OPENSEARCH_PASSWORD,
      opensearch_server_timeout: '15',
    });
  });

  it("serves statics from the CDN under the release's version<N>/, unsigned, and media from the CDN", () => {
    render();

    const system = readEnvPhp().system.default;

    for (const scope of ['secure', 'unsecure']) {
      expect(system.web[scope]).toEqual({
        base_static_url: 'https://static.client.url/version1767225600/',
        base_media_url: 'https://media.client.url/',
      });
    }
    expect(system.dev).toEqual({
      static: { sign: '0' },
      js: { merge_files: '0' },
      css: { merge_css_files: '0' },
    });
  });

  it('runs in production mode from pub/, blue/green, every cache type on, framed by the same origin only', () => {
    render();

    const env = readEnvPhp();

    expect(env.MAGE_MODE).toBe('production');
    expect(env.directories).toEqual({ document_root_is_pub: true });
    expect(env.deployment).toEqual({ blue_green: { enabled: true } });
    expect(env['x-frame-options']).toBe('SAMEORIGIN');
    expect(Object.keys(env.cache_types)).toEqual(
      expect.arrayContaining(['config', 'layout', 'block_html', 'full_page', 'translate', 'compiled_config']),
    );
    expect(new Set(Object.values(env.cache_types))).toEqual(new Set([1]));
    expect(env.install).toEqual({ date: 'Thu, 15 Jan 2026 09:30:00 +0000' });
    expect(env.crypt).toEqual({ key: SECRETS.STORESTACK_CRYPT_KEY });
    expect(env.backend).toEqual({ frontName: 'backend' });
  });

  it('sets install/date itself when none is given (Magento is installed only with one)', () => {
    const { STORESTACK_INSTALL_DATE: _unused, ...inputs } = sampleInputs();
    render(inputs);

    expect(readEnvPhp().install.date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
  });

  it('keeps every crypt key of a store whose key was changed (one per line)', () => {
    const keys = `${SECRETS.STORESTACK_CRYPT_KEY}\n0123456789abcdef0123456789abcdef\n`;
    render({ ...sampleInputs(), STORESTACK_CRYPT_KEY: keys });

    expect(readEnvPhp().crypt.key).toBe(keys.trimEnd());
  });

  it('writes the file 0640 through a temporary file, leaving nothing else behind', () => {
    render();

    expect(statSync(envPhp).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, 'app/etc'))).toEqual(['env.php']);
  });

  it('prints no secret, whatever happens', () => {
    const ok = render();
    const bad = render({ ...sampleInputs(), STORESTACK_DB_PORT: 'x' });

    for (const secret of Object.values(SECRETS)) {
      for (const output of [ok.stdout, ok.stderr, bad.stdout, bad.stderr]) expect(output).not.toContain(secret);
    }
  });

  it('lists every missing input by name, and writes nothing', () => {
    const result = render({ PATH: process.env.PATH ?? '' });

    expect(result.status).toBe(2);
    for (const name of [
      'STORESTACK_DB_HOST',
      'STORESTACK_DB_PASSWORD',
      'STORESTACK_CRYPT_KEY',
      'STORESTACK_RELEASE_ID',
    ]) {
      expect(result.stderr).toContain(`render-env-php: ERROR: ${name} is not set`);
    }
    expect(result.stderr).not.toContain('STORESTACK_DB_PORT');
    expect(readdirSync(join(dir, 'app/etc'))).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['STORESTACK_DB_HOST', 'https://db.example', /STORESTACK_DB_HOST must be a bare host name/],
    ['STORESTACK_REDIS_SESSIONS_HOST', 'tls://master.x', /STORESTACK_REDIS_SESSIONS_HOST must be a bare host name/],
    ['STORESTACK_REDIS_PORT', '70000', /STORESTACK_REDIS_PORT must be a port number/],
    [
      'STORESTACK_DB_SSL_CA',
      '/nonexistent/ca.pem',
      /STORESTACK_DB_SSL_CA must be the absolute path of an existing CA bundle/,
    ],
    ['STORESTACK_DB_PASSWORD', 'line\nbreak', /STORESTACK_DB_PASSWORD must not contain control characters/],
    [
      'STORESTACK_OPENSEARCH_PASSWORD',
      'has#hash',
      /STORESTACK_OPENSEARCH_PASSWORD must not contain .*regenerate the secret/,
    ],
    ['STORESTACK_OPENSEARCH_PASSWORD', 'has?question', /STORESTACK_OPENSEARCH_PASSWORD must not contain/],
    ['STORESTACK_CRYPT_KEY', 'two words', /STORESTACK_CRYPT_KEY must hold one key per line/],
    ['STORESTACK_RELEASE_ID', 'release 1', /STORESTACK_RELEASE_ID must be 1 to 64 letters/],
    ['STORESTACK_STATIC_VERSION', 'v12', /STORESTACK_STATIC_VERSION must be a number/],
    [
      'STORESTACK_CDN_STATIC_URL',
      'https://static.client.url',
      /STORESTACK_CDN_STATIC_URL must be an https:\/\/ URL ending with a slash/,
    ],
    ['STORESTACK_CDN_MEDIA_URL', 'http://media.client.url/', /STORESTACK_CDN_MEDIA_URL must be an https:\/\/ URL/],
    ['STORESTACK_ADMIN_FRONTNAME', 'back-end', /STORESTACK_ADMIN_FRONTNAME must be letters, digits or "_"/],
  ])('refuses %s = %j, naming the variable and not the value', (name, value, message) => {
    const result = render({ ...sampleInputs(), [name]: value });

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain(value);
    expect(readdirSync(join(dir, 'app/etc'))).toEqual([]);
  });

  it('fails with status 1, naming the file, when it cannot write', () => {
    const result = render({ ...sampleInputs(), STORESTACK_ENV_PHP: join(dir, 'missing/env.php') });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot write ${join(dir, 'missing/env.php')}`);
  });

  it('is read by renderer.ts from the project file, and lists the inputs renderer.ts names', () => {
    expect(envPhpRendererPath()).toBe(RENDERER);
    const source = envPhpRendererSource();
    const declared = [...source.matchAll(/^ {4}'(STORESTACK_[A-Z_]+)' =>/gm)].map((match) => match[1]);

    expect(declared).toEqual([...ENV_PHP_INPUTS]);
  });
});
