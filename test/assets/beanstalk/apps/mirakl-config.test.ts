// The Mirakl connector's prebuild hook 20-mirakl-config.sh run for real: aws stubbed on PATH (see
// fixtures.ts), the real PHP CLI behind a stub that logs its command lines.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIRAKL_CONFIG_HOOK_PATH } from '../../../../src/assets/beanstalk/apps/mirakl/render.ts';
import { BASH } from '../../stubbed-commands.ts';
import { requirePhp } from '../magento/env-php/php.ts';
import { MIRAKL_CONFIG_PARAMETER, miraklFile, Sandbox } from './fixtures.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:storestack/apps/mirakl-config-AbCdEf';
const CREDENTIALS = [
  '# storestack: written at deploy by .platform/hooks/prebuild/10-credentials.sh; edits are overwritten.',
  'APP_ENV=prod',
  "DATABASE_URL='mysql://admin:pw@db:3306/apps?serverVersion=8.4&charset=utf8mb4'",
  '',
].join('\n');
const MARKER =
  '# storestack: the Mirakl-HiPay connector configuration, from Secrets Manager (prebuild hook 20-mirakl-config.sh)';
// Values with what breaks quoting: quotes, $, backslashes, #, spaces.
const API_KEY = `k3y'with"quotes$HOME\\and #hash`;
const SETTINGS = {
  MIRAKL_API_URL: 'https://client.mirakl.net/api',
  MIRAKL_API_KEY: API_KEY,
  HIPAY_ENTITY: 'client',
  HIPAY_TIMEOUT_SECONDS: 30,
};

describe('20-mirakl-config.sh with aws stubbed and the real php', () => {
  let sandbox: Sandbox;
  let envFile: string;

  beforeEach(() => {
    requirePhp();
    sandbox = new Sandbox({ php: 'real' });
    envFile = join(sandbox.release, '.env.local');
    sandbox.write(envFile, CREDENTIALS, 0o640);
    sandbox.setParameter(MIRAKL_CONFIG_PARAMETER, ARN);
    sandbox.setSecret(ARN, JSON.stringify(SETTINGS));
  });

  afterEach(() => {
    sandbox?.remove();
  });

  function run() {
    return sandbox.run(miraklFile(MIRAKL_CONFIG_HOOK_PATH), { STORESTACK_RELEASE_DIR: sandbox.release });
  }

  /** The file's variables as a shell reads them (Symfony's Dotenv reads single quotes the same way). */
  function sourced(): Record<string, string> {
    const result = spawnSync(
      BASH,
      [
        '--norc',
        '--noprofile',
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template.
        'set -a; . "$1"; for name in "${@:2}"; do printf "%s\\0" "${!name}"; done',
        'bash',
        envFile,
        ...Object.keys(SETTINGS),
      ],
      { encoding: 'utf8', env: {} },
    );
    expect(result.stderr).toBe('');
    const values = result.stdout.split('\0');
    return Object.fromEntries(Object.keys(SETTINGS).map((key, i) => [key, values[i] ?? '']));
  }

  it('appends one quoted KEY=value line per key of the secret to .env.local', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(sandbox.read(envFile)).toBe(
      [
        CREDENTIALS + MARKER,
        "MIRAKL_API_URL='https://client.mirakl.net/api'",
        `MIRAKL_API_KEY='k3y'\\''with"quotes$HOME\\and #hash'`,
        "HIPAY_ENTITY='client'",
        "HIPAY_TIMEOUT_SECONDS='30'",
        '',
      ].join('\n'),
    );
    expect(sourced()).toEqual({ ...SETTINGS, HIPAY_TIMEOUT_SECONDS: '30' });
  });

  it('keeps .env.local root:webapp 0640, put in place by a rename, and never shows a value', async () => {
    const result = await run();

    expect(result.status).toBe(0);
    expect(statSync(envFile).mode & 0o777).toBe(0o640);
    expect(sandbox.callsOf('chown')).toEqual([
      expect.stringMatching(/^chown root:webapp .*\/\.env\.local\.[A-Za-z0-9]{6}$/),
    ]);
    expect(readdirSync(sandbox.release)).toEqual(['.env.local']);
    for (const text of [result.stdout, result.stderr, sandbox.callLog()]) expect(text).not.toContain('k3y');
  });

  it('replaces its own settings when run again', async () => {
    expect((await run()).status).toBe(0);
    const first = sandbox.read(envFile);
    sandbox.setSecret(ARN, JSON.stringify({ ...SETTINGS, HIPAY_ENTITY: 'other' }));

    expect((await run()).status).toBe(0);

    expect(sandbox.read(envFile)).toBe(first?.replace("HIPAY_ENTITY='client'", "HIPAY_ENTITY='other'"));
  });

  it('refuses a secret without a key the configuration requires, naming it, and changes nothing', async () => {
    // The secret as the AppsData stack creates it: only Symfony's generated APP_SECRET.
    sandbox.setSecret(ARN, JSON.stringify({ APP_SECRET: 'generated0123456789' }));

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MIRAKL_API_URL is missing: add it to the secret');
    expect(result.stderr).toContain('MIRAKL_API_KEY is missing: add it to the secret');
    expect(result.stderr).not.toContain('generated0123456789');
    expect(sandbox.read(envFile)).toBe(CREDENTIALS);
  });

  it('refuses the placeholder CHANGE_ME, naming every key that still holds it, and changes nothing', async () => {
    sandbox.setSecret(
      ARN,
      JSON.stringify({ ...SETTINGS, MIRAKL_API_KEY: 'CHANGE_ME', MIRAKL_API_URL: 'https://CHANGE_ME.mirakl.net' }),
    );

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MIRAKL_API_KEY is still the placeholder CHANGE_ME: set its value in the secret');
    expect(result.stderr).toContain('MIRAKL_API_URL is still the placeholder CHANGE_ME');
    expect(result.stderr).toContain(`the secret ${ARN} (named by ${MIRAKL_CONFIG_PARAMETER})`);
    expect(sandbox.read(envFile)).toBe(CREDENTIALS);
  });

  it.each([
    [{ HIPAY_ENTITY: '' }, 'HIPAY_ENTITY is empty'],
    [{ HIPAY_ENTITY: '   ' }, 'HIPAY_ENTITY is empty'],
    [{ HIPAY_ENTITY: null }, 'HIPAY_ENTITY is not a string or a number'],
    [{ HIPAY_ENTITY: 'two\nlines' }, 'HIPAY_ENTITY holds a line break or another control character'],
    [{ 'mirakl-key': 'x' }, '"mirakl-key" is not an environment variable name'],
    [{ DATABASE_URL: 'mysql://other' }, 'DATABASE_URL is written by the prebuild hook 10-credentials.sh'],
  ])('refuses %j, naming the key without its value', async (change, message) => {
    sandbox.setSecret(ARN, JSON.stringify({ ...SETTINGS, ...change }));

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('k3y');
    expect(sandbox.read(envFile)).toBe(CREDENTIALS);
  });

  it('refuses a secret that is not a JSON object', async () => {
    sandbox.setSecret(ARN, 'CHANGE_ME');

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the secret is not a JSON object of settings');
  });

  it('fails naming the parameter it cannot read', async () => {
    sandbox.removeParameter(MIRAKL_CONFIG_PARAMETER);

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot read the SSM parameter ${MIRAKL_CONFIG_PARAMETER}`);
  });

  it('fails when the credentials hook did not write .env.local', async () => {
    sandbox.clear(envFile);

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('.env.local is missing: the prebuild hook 10-credentials.sh did not run');
  });
});
