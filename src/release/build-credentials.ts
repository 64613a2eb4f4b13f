// The build's credentials (document 6.B: "the git deploy key and the composer repository
// credentials read from Secrets Manager at build time"): <project>/build/git-ssh-key, a private
// key git uses over ssh, and <project>/build/composer-auth, composer's auth.json. The key is
// written to a directory of the build's own, readable by its user only, and removed after the
// build; composer gets its credentials through COMPOSER_AUTH, never a file in the release.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretReader } from '../aws/secrets.ts';
import type { Platform } from '../config/schema.ts';

export const gitSshKeySecret = (platform: Platform) => `${platform.project}/build/git-ssh-key`;
export const composerAuthSecret = (platform: Platform) => `${platform.project}/build/composer-auth`;

/** Single-quotes a path for the command line git runs GIT_SSH_COMMAND with. */
const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `build` with an environment that carries the build credentials found in Secrets Manager
 * (none found: the environment as it is). When the secrets cannot be read at all (no AWS
 * credentials on a developer's machine), says so through `warn` and builds with the machine's own.
 */
export async function withBuildCredentials<T>(
  platform: Platform,
  secrets: SecretReader | undefined,
  baseEnv: NodeJS.ProcessEnv,
  warn: (line: string) => void,
  build: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  let key: string | undefined;
  let composerAuth: string | undefined;
  if (secrets) {
    try {
      key = await secrets.value(gitSshKeySecret(platform));
      composerAuth = await secrets.value(composerAuthSecret(platform));
    } catch (error) {
      warn(
        `build credentials not read from Secrets Manager (${error instanceof Error ? error.message : String(error)}): using this machine's git and composer credentials`,
      );
    }
  }
  if (composerAuth !== undefined) {
    try {
      JSON.parse(composerAuth);
    } catch {
      throw new Error(`the secret ${composerAuthSecret(platform)} is not JSON (composer's auth.json)`);
    }
  }
  const dir = key === undefined ? undefined : await mkdtemp(join(tmpdir(), 'storestack-build-key-'));
  try {
    const env: NodeJS.ProcessEnv = { ...baseEnv };
    if (dir && key !== undefined) {
      const file = join(dir, 'id');
      await writeFile(file, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
      await chmod(dir, 0o700);
      env.GIT_SSH_COMMAND = `ssh -i ${quote(file)} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${quote(join(dir, 'known_hosts'))}`;
    }
    if (composerAuth !== undefined) env.COMPOSER_AUTH = composerAuth;
    return await build(env);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
