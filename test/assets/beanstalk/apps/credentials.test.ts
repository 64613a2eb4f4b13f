// The prebuild hook 10-credentials.sh run for real: aws and curl stubbed on PATH (see
// fixtures.ts), the real PHP CLI behind a stub that logs its command lines.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_HOOK_PATH } from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { requirePhp } from '../magento/env-php/php.ts';
import { appHook, ENDPOINT_PARAMETER, Sandbox, SECRET_ARN_PARAMETER } from './fixtures.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:storestack/apps/database-AbCdEf';
const HOST = 'client-apps.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com';
const CA_URL = 'https://truststore.pki.rds.amazonaws.com/eu-west-3/eu-west-3-bundle.pem';
// Every character that breaks a URL, a shell word or a quoted string.
const PASSWORD = `p@ss:w/rd?#&=%+ 'q"$x\`y\\z!()*~é`;
const USER = 'admin+apps@x';

/** PHP's rawurlencode (RFC 3986): everything but letters, digits and -._~. */
function rawurlencode(value: string): string {
  return encodeURIComponent(value).replaceAll(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RDS's generated secret once attached to the instance: no dbname. */
function rdsSecret(change: Record<string, unknown> = {}): string {
  return JSON.stringify({
    username: USER,
    password: PASSWORD,
    engine: 'mysql',
    host: HOST,
    port: 3306,
    dbInstanceIdentifier: 'client-apps',
    ...change,
  });
}

describe('10-credentials.sh with aws stubbed and the real php', () => {
  let sandbox: Sandbox;
  let envFile: string;
  let caFile: string;

  beforeEach(() => {
    requirePhp();
    sandbox = new Sandbox({ php: 'real' });
    envFile = join(sandbox.release, '.env.local');
    caFile = join(sandbox.root, 'etc/pki/tls/certs/storestack-rds-ca-bundle.pem');
    sandbox.answer(
      CA_URL,
      '-----BEGIN CERTIFICATE-----\nMIIEBjCCAu6gAwIBAgIJAMc0ZzaSUK51\n-----END CERTIFICATE-----\n',
    );
    sandbox.setParameter(ENDPOINT_PARAMETER, HOST);
    sandbox.setParameter(SECRET_ARN_PARAMETER, ARN);
    sandbox.setSecret(ARN, rdsSecret());
  });

  afterEach(() => {
    sandbox?.remove();
  });

  function run() {
    return sandbox.run(appHook(CREDENTIALS_HOOK_PATH), {
      STORESTACK_RELEASE_DIR: sandbox.release,
      STORESTACK_DB_CA_FILE: caFile,
    });
  }

  it('writes .env.local: APP_ENV=prod and DATABASE_URL with the credentials URL-encoded, over TLS', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const url = `mysql://${rawurlencode(USER)}:${rawurlencode(PASSWORD)}@${HOST}:3306/apps?serverVersion=8.4&charset=utf8mb4&driverOptions[1009]=${caFile}&driverOptions[1014]=1`;
    expect(sandbox.read(envFile)).toBe(
      [
        '# storestack: written at deploy by .platform/hooks/prebuild/10-credentials.sh; edits are overwritten.',
        'APP_ENV=prod',
        `DATABASE_URL='${url}'`,
        '',
      ].join('\n'),
    );
  });

  it('gives back the exact credentials to a URL parser', async () => {
    expect((await run()).status).toBe(0);

    const line = sandbox
      .read(envFile)
      ?.split('\n')
      .find((candidate) => candidate.startsWith('DATABASE_URL='));
    const url = new URL(line?.slice("DATABASE_URL='".length, -1) ?? '');
    expect(decodeURIComponent(url.username)).toBe(USER);
    expect(decodeURIComponent(url.password)).toBe(PASSWORD);
    expect(url.hostname).toBe(HOST);
    expect(url.pathname).toBe('/apps');
  });

  it("takes the secret's port and dbname when it has them", async () => {
    sandbox.setSecret(ARN, rdsSecret({ port: '3307', dbname: 'pim_data' }));

    expect((await run()).status).toBe(0);

    expect(sandbox.read(envFile)).toContain(`@${HOST}:3307/pim_data?serverVersion=8.4&`);
  });

  it('leaves .env.local readable by the web user group only, owned by root, put in place by a rename', async () => {
    expect((await run()).status).toBe(0);

    expect(statSync(envFile).mode & 0o777).toBe(0o640);
    const chowns = sandbox.callsOf('chown');
    expect(chowns).toHaveLength(1);
    expect(chowns[0]).toMatch(new RegExp(`^chown root:webapp ${envFile.replaceAll('.', '\\.')}\\.[A-Za-z0-9]{6}$`));
    expect(readdirSync(sandbox.release)).toEqual(['.env.local']);
  });

  it('never shows the password: not in its output, not on any command line it runs', async () => {
    const result = await run();

    expect(result.status).toBe(0);
    for (const secret of [PASSWORD, rawurlencode(PASSWORD), 'p@ss:w/rd']) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
      expect(sandbox.callLog()).not.toContain(secret);
    }
    expect(sandbox.callsOf('aws')).toContain(
      `aws secretsmanager get-secret-value --region eu-west-3 --secret-id ${ARN} --query SecretString --output text`,
    );
  });

  it("downloads the region's RDS CA bundle once, and keeps it", async () => {
    expect((await run()).status).toBe(0);
    expect(sandbox.callsOf('curl')).toHaveLength(1);
    expect(sandbox.read(caFile)).toContain('BEGIN CERTIFICATE');

    expect((await run()).status).toBe(0);

    expect(sandbox.callsOf('curl')).toHaveLength(1);
  });

  it('fails naming the parameter it cannot read, and writes nothing', async () => {
    sandbox.removeParameter(ENDPOINT_PARAMETER);

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`cannot read the SSM parameter ${ENDPOINT_PARAMETER}`);
    expect(sandbox.read(envFile)).toBeUndefined();
  });

  it('fails naming the secret and its parameter when the secret cannot be read', async () => {
    sandbox.setParameter(SECRET_ARN_PARAMETER, `${ARN}-gone`);

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`cannot read the secret ${ARN}-gone (named by ${SECRET_ARN_PARAMETER}`);
    expect(sandbox.read(envFile)).toBeUndefined();
  });

  it('fails naming the field the secret lacks, without showing the secret', async () => {
    sandbox.setSecret(ARN, JSON.stringify({ username: PASSWORD }));

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('the secret has no "password" string');
    expect(result.stderr).toContain(`the secret named by ${SECRET_ARN_PARAMETER}`);
    expect(result.stderr).not.toContain(PASSWORD);
    expect(sandbox.read(envFile)).toBeUndefined();
  });

  it('refuses a release with .env.local.php, which Symfony would read instead', async () => {
    sandbox.write(join(sandbox.release, '.env.local.php'), '<?php return [];\n');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('the release has .env.local.php');
    expect(sandbox.read(envFile)).toBeUndefined();
  });
});
