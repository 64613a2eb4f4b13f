// The prebuild hook 20-render-env-php.sh run for real: aws and curl stubbed on PATH (see
// fixtures.ts), the real PHP CLI behind a stub that logs its command lines.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderMagentoHooks } from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { requirePhp } from '../env-php/php.ts';
import { bundleFile, Sandbox, sampleProps } from './fixtures.ts';

const HOOK = '.platform/hooks/prebuild/20-render-env-php.sh';
const RENDERER = '.platform/storestack/render-env-php.php';
const ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:storestack/prod';
const CA_URL = 'https://truststore.pki.rds.amazonaws.com/eu-west-3/eu-west-3-bundle.pem';

// Every secret, with the characters that break quoting when anything interpolates them.
const SECRETS = {
  dbPassword: `Db'p"a$s\\w0rd\`x`,
  cacheToken: 'CacheToken0123456789abcdefABCDEF',
  sessionsToken: 'SessionsToken0123456789abcdefABC',
  searchPassword: 'Se4rch!Pa$$w0rd%&*()',
  cryptKey: 'f3e2d1c0b9a8978685746352413021ff',
};

describe('20-render-env-php.sh with aws stubbed and the real php', () => {
  let sandbox: Sandbox;
  let envPhp: string;
  let caFile: string;

  beforeEach(() => {
    requirePhp();
    sandbox = new Sandbox({ php: 'real' });
    envPhp = join(sandbox.release, 'app/etc/env.php');
    caFile = join(sandbox.root, 'etc/pki/tls/certs/storestack-rds-ca-bundle.pem');
    const files = renderMagentoHooks(sampleProps());
    sandbox.write(join(sandbox.release, RENDERER), bundleFile(files, RENDERER));
    sandbox.write(join(sandbox.release, 'RELEASE_ID'), '2026-01-15.0930-a1b2c3d\n');
    sandbox.write(join(sandbox.release, 'STATIC_VERSION'), '1767225600\n');
    sandbox.answer(
      CA_URL,
      [200],
      '-----BEGIN CERTIFICATE-----\nMIIEBjCCAu6gAwIBAgIJAMc0ZzaSUK51MA0GCSqGSIb3DQEBCwUAMIGPMQswCQYD\n-----END CERTIFICATE-----\n',
    );
    const parameter = (name: string, value: string) => sandbox.setParameter(`/storestack/prod/${name}`, value);
    parameter('database/endpoint', 'client-magento-prod.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com');
    parameter('database/name', 'magento');
    parameter('database/secret-arn', `${ARN}/database-AbCdEf`);
    parameter('redis/cache-endpoint', 'master.client-prod-cache.abc123.euw3.cache.amazonaws.com');
    parameter('redis/cache-secret-arn', `${ARN}/redis-cache-AbCdEf`);
    parameter('redis/sessions-endpoint', 'master.client-prod-sessions.abc123.euw3.cache.amazonaws.com');
    parameter('redis/sessions-secret-arn', `${ARN}/redis-sessions-AbCdEf`);
    parameter('opensearch/endpoint', 'vpc-client-prod-abc123.eu-west-3.es.amazonaws.com');
    parameter('opensearch/secret-arn', `${ARN}/opensearch-AbCdEf`);
    parameter('magento/crypt-key-secret-arn', `${ARN}/magento-crypt-key-AbCdEf`);
    sandbox.setSecret(
      `${ARN}/database-AbCdEf`,
      JSON.stringify({
        engine: 'mysql',
        host: 'client-magento-prod.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com',
        port: 3306,
        username: 'admin',
        password: SECRETS.dbPassword,
        dbInstanceIdentifier: 'client-magento-prod',
      }),
    );
    sandbox.setSecret(`${ARN}/redis-cache-AbCdEf`, SECRETS.cacheToken);
    sandbox.setSecret(`${ARN}/redis-sessions-AbCdEf`, SECRETS.sessionsToken);
    sandbox.setSecret(
      `${ARN}/opensearch-AbCdEf`,
      JSON.stringify({ username: 'magento', password: SECRETS.searchPassword }),
    );
    sandbox.setSecret(`${ARN}/magento-crypt-key-AbCdEf`, SECRETS.cryptKey);
  });

  afterEach(() => {
    sandbox?.remove();
  });

  function run(env: Record<string, string> = {}) {
    return sandbox.run(bundleFile(renderMagentoHooks(sampleProps()), HOOK), {
      STORESTACK_RELEASE_DIR: sandbox.release,
      STORESTACK_DB_CA_FILE: caFile,
      ...env,
    });
  }

  /** The env.php array, as Magento reads it. */
  // biome-ignore lint/suspicious/noExplicitAny: env.php is a nested array of any shape.
  function readEnvPhp(): any {
    const result = spawnSync(requirePhp(), ['-r', 'echo json_encode(include $argv[1]);', envPhp], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout);
  }

  it('writes app/etc/env.php from the SSM parameters and secrets', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const env = readEnvPhp();
    expect(env.db.connection.default).toMatchObject({
      host: 'client-magento-prod.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com',
      dbname: 'magento',
      username: 'admin',
      password: SECRETS.dbPassword,
    });
    expect(env.db.connection.default.driver_options).toEqual({ '1009': caFile, '1014': true });
    expect(env.session.redis).toMatchObject({
      host: 'tls://master.client-prod-sessions.abc123.euw3.cache.amazonaws.com',
      password: SECRETS.sessionsToken,
    });
    expect(env.cache.frontend.default.backend_options).toMatchObject({
      server: 'tls://master.client-prod-cache.abc123.euw3.cache.amazonaws.com',
      password: SECRETS.cacheToken,
    });
    expect(env.cache.frontend.default.id_prefix).toBe('2026_01_15_0930_a1b2c3d_');
    expect(env.system.default.catalog.search).toMatchObject({
      opensearch_server_hostname: 'https://vpc-client-prod-abc123.eu-west-3.es.amazonaws.com',
      opensearch_username: 'magento',
      opensearch_password: SECRETS.searchPassword,
    });
    expect(env.crypt.key).toBe(SECRETS.cryptKey);
    expect(env.backend.frontName).toBe('backend');
    expect(env.system.default.web.secure.base_static_url).toBe('https://static.client.url/version1767225600/');
    expect(env.system.default.web.secure.base_media_url).toBe('https://media.client.url/');
  });

  it('leaves env.php readable by the web user group only, owned by root', async () => {
    expect((await run()).status).toBe(0);

    expect(statSync(envPhp).mode & 0o777).toBe(0o640);
    expect(sandbox.callsOf('chown')).toEqual([`chown root:webapp ${envPhp}`]);
    expect(sandbox.callsOf('php')).toContain(`php -l ${envPhp}`);
  });

  it('never shows a secret: not in its output, not on any command line it runs', async () => {
    const result = await run();

    expect(result.status).toBe(0);
    for (const secret of Object.values(SECRETS)) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
      expect(sandbox.callLog()).not.toContain(secret);
    }
    expect(sandbox.callsOf('aws')).toContain(
      `aws secretsmanager get-secret-value --region eu-west-3 --secret-id ${ARN}/database-AbCdEf --query SecretString --output text`,
    );
  });

  it("downloads the region's RDS CA bundle once, and keeps it", async () => {
    expect((await run()).status).toBe(0);
    expect(sandbox.callsOf('curl')).toHaveLength(1);
    expect(sandbox.callsOf('curl')[0]).toContain(CA_URL);
    expect(sandbox.read(caFile)).toContain('BEGIN CERTIFICATE');
    sandbox.clearCalls();

    expect((await run()).status).toBe(0);

    expect(sandbox.callsOf('curl')).toEqual([]);
  });

  it('fails, naming the URL, when the RDS CA bundle cannot be downloaded', async () => {
    sandbox.answer(CA_URL, [0]);

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`cannot download the RDS CA bundle from ${CA_URL}`);
  });

  it.each(['RELEASE_ID', 'STATIC_VERSION'])('fails when the build did not write %s', async (name) => {
    rmSync(join(sandbox.release, name));

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `${name} is missing: the release build must write ${name} at the root of the bundle`,
    );
    expect(sandbox.read(envPhp)).toBeUndefined();
  });

  it('fails naming the parameter it cannot read', async () => {
    sandbox.removeParameter('/storestack/prod/opensearch/endpoint');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('cannot read the SSM parameter /storestack/prod/opensearch/endpoint');
  });

  it('fails naming the field a JSON secret lacks, without showing the secret', async () => {
    sandbox.setSecret(`${ARN}/database-AbCdEf`, JSON.stringify({ username: 'admin', password: SECRETS.dbPassword }));

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('database: the secret is not JSON with a "port" field');
    expect(result.stderr).not.toContain(SECRETS.dbPassword);
  });

  it("passes on the renderer's refusal without the refused value", async () => {
    const badPassword = 'has#hash?and/slash';
    sandbox.setSecret(`${ARN}/opensearch-AbCdEf`, JSON.stringify({ username: 'magento', password: badPassword }));

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('STORESTACK_OPENSEARCH_PASSWORD must not contain');
    expect(result.stderr).toContain('the env.php renderer refused its input');
    expect(result.stderr).not.toContain(badPassword);
    expect(sandbox.read(envPhp)).toBeUndefined();
  });
});
