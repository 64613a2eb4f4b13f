// The build's credentials from Secrets Manager (mocked with aws-sdk-client-mock): the git key in a
// file of the build's own (mode 600, gone afterwards), composer's auth in COMPOSER_AUTH.
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManagerReader } from '../../src/aws/secrets.ts';
import { withBuildCredentials } from '../../src/release/build-credentials.ts';
import { samplePlatform } from '../support.ts';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
const AUTH = '{"http-basic":{"repo.magento.com":{"username":"u","password":"p"}}}';

describe('withBuildCredentials', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const reader = () => new SecretsManagerReader(new SecretsManagerClient({ region: 'eu-west-3' }));
  afterEach(() => secretsManager.reset());

  it('hands git the deploy key through GIT_SSH_COMMAND and composer its auth, then removes the key', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'storestack/build/git-ssh-key' })
      .resolves({ SecretString: KEY });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'storestack/build/composer-auth' })
      .resolves({ SecretString: AUTH });
    let keyFile = '';
    const result = await withBuildCredentials(
      samplePlatform(),
      reader(),
      { PATH: '/usr/bin' },
      () => {},
      async (env) => {
        keyFile = /-i '([^']+)'/.exec(env.GIT_SSH_COMMAND ?? '')?.[1] ?? '';
        expect(readFileSync(keyFile, 'utf8')).toBe(`${KEY}\n`);
        expect(statSync(keyFile).mode & 0o777).toBe(0o600);
        expect(env.GIT_SSH_COMMAND).toContain('-o IdentitiesOnly=yes');
        expect(env.COMPOSER_AUTH).toBe(AUTH);
        expect(env.PATH).toBe('/usr/bin');
        return 'built';
      },
    );
    expect(result).toBe('built');
    expect(existsSync(keyFile)).toBe(false);
  });

  it('builds with the environment as it is when the secrets do not exist', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    const env = await withBuildCredentials(
      samplePlatform(),
      reader(),
      { PATH: '/bin' },
      () => {},
      async (e) => e,
    );
    expect(env).toEqual({ PATH: '/bin' });
  });

  it("says so and uses the machine's credentials when Secrets Manager cannot be read", async () => {
    secretsManager.on(GetSecretValueCommand).rejects(new Error('Could not load credentials from any providers'));
    const warnings: string[] = [];
    const env = await withBuildCredentials(
      samplePlatform(),
      reader(),
      {},
      (line) => warnings.push(line),
      async (e) => e,
    );
    expect(env).toEqual({});
    expect(warnings).toEqual([
      "build credentials not read from Secrets Manager (Could not load credentials from any providers): using this machine's git and composer credentials",
    ]);
  });

  it('refuses a composer secret that is not JSON, naming it, and removes the key even when the build fails', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'storestack/build/composer-auth' })
      .resolves({ SecretString: 'user:pass' });
    await expect(
      withBuildCredentials(
        samplePlatform(),
        reader(),
        {},
        () => {},
        async () => 0,
      ),
    ).rejects.toThrow("the secret storestack/build/composer-auth is not JSON (composer's auth.json)");
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'storestack/build/git-ssh-key' })
      .resolves({ SecretString: KEY });
    let keyFile = '';
    await expect(
      withBuildCredentials(
        samplePlatform(),
        reader(),
        {},
        () => {},
        async (env) => {
          keyFile = /-i '([^']+)'/.exec(env.GIT_SSH_COMMAND ?? '')?.[1] ?? '';
          throw new Error('composer failed');
        },
      ),
    ).rejects.toThrow('composer failed');
    expect(keyFile).not.toBe('');
    expect(existsSync(keyFile)).toBe(false);
  });
});
