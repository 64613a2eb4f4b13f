// env.php for a release on a rehearsal instance, written by the release's own renderer
// (.platform/storestack/render-env-php.php, the file the prebuild hook runs on AWS), fed with the
// miniature's addresses and secrets instead of SSM's and Secrets Manager's. The rehearsal adds
// one key of its own, `rehearsal`: which instance this is, and whether a drill broke its health.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RehearsalInstance, RehearsalLayout } from './layout.ts';
import {
  certificatePaths,
  MARIADB_ADDRESS,
  REDIS_CACHE_ADDRESS,
  REDIS_SESSIONS_ADDRESS,
  rehearsalSecrets,
} from './services.ts';

const RENDERER = '.platform/storestack/render-env-php.php';
/** The CDN names in env.php: CloudFront's, which the rehearsal's probe maps to the load balancer. */
export const REHEARSAL_STATIC_URL = 'https://static.rehearsal.invalid/';
export const REHEARSAL_MEDIA_URL = 'https://media.rehearsal.invalid/';

/** The file a drill creates to make an instance's next release fail its health check. */
export function healthDrillFile(layout: RehearsalLayout, instance: RehearsalInstance): string {
  return join(layout.dir, 'drills', `${instance.id}.fail-health`);
}

/**
 * The renderer's inputs (its environment variables) for the rehearsal: the miniature's database,
 * Redis and CDN names instead of SSM's and Secrets Manager's values.
 */
export function rendererEnvironment(
  layout: RehearsalLayout,
  release: { readonly file: string; readonly releaseId: string; readonly staticVersion: string },
): NodeJS.ProcessEnv {
  const secrets = rehearsalSecrets(layout);
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    STORESTACK_ENV_PHP: release.file,
    STORESTACK_DB_HOST: MARIADB_ADDRESS,
    STORESTACK_DB_PORT: String(layout.mariadb.port),
    STORESTACK_DB_NAME: layout.mariadb.database,
    STORESTACK_DB_USER: layout.mariadb.user,
    STORESTACK_DB_PASSWORD: layout.mariadb.password,
    STORESTACK_DB_SSL_CA: certificatePaths(layout).ca,
    STORESTACK_REDIS_CACHE_HOST: REDIS_CACHE_ADDRESS,
    STORESTACK_REDIS_CACHE_PASSWORD: secrets.redisCache,
    STORESTACK_REDIS_SESSIONS_HOST: REDIS_SESSIONS_ADDRESS,
    STORESTACK_REDIS_SESSIONS_PASSWORD: secrets.redisSessions,
    STORESTACK_REDIS_PORT: String(layout.redis.cache.port),
    // No OpenSearch in the miniature: the fixture never searches.
    STORESTACK_OPENSEARCH_HOST: 'opensearch.rehearsal.invalid',
    STORESTACK_OPENSEARCH_USER: 'rehearsal',
    STORESTACK_OPENSEARCH_PASSWORD: 'rehearsal',
    STORESTACK_CRYPT_KEY: secrets.cryptKey,
    STORESTACK_RELEASE_ID: release.releaseId,
    STORESTACK_STATIC_VERSION: release.staticVersion,
    STORESTACK_CDN_STATIC_URL: REHEARSAL_STATIC_URL,
    STORESTACK_CDN_MEDIA_URL: REHEARSAL_MEDIA_URL,
    STORESTACK_ADMIN_FRONTNAME: 'backend',
  };
}

export async function writeEnvPhp(
  layout: RehearsalLayout,
  instance: RehearsalInstance,
  release: string,
): Promise<void> {
  const renderer = join(release, RENDERER);
  if (!existsSync(renderer)) throw new Error(`the release has no ${RENDERER}: was it built by storestack build?`);
  const read = (file: string) => readFileSync(join(release, file), 'utf8').trim();
  const target = join(release, 'app/etc/env.php');
  const base = `${target}.base`;
  const env = rendererEnvironment(layout, {
    file: base,
    releaseId: read('RELEASE_ID'),
    staticVersion: read('STATIC_VERSION'),
  });
  await php(['-n', renderer], env);
  const extra = { instance: instance.name, fail_health: existsSync(healthDrillFile(layout, instance)) };
  await php(
    [
      '-n',
      '-r',
      '$c = require $argv[1]; $c["rehearsal"] = json_decode($argv[3], true); file_put_contents($argv[2], "<?php\\nreturn " . var_export($c, true) . ";\\n");',
      base,
      target,
      JSON.stringify(extra),
    ],
    { PATH: env.PATH },
  );
  rmSync(base, { force: true });
}

function php(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('php', [...args], { env }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`env.php: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}
