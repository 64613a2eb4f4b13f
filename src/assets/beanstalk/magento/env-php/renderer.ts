// The PHP program that writes Magento's app/etc/env.php on the instance (render-env-php.php, a
// real file so that `php -l` and the tests run it as it ships). This module hands its text to
// the bundle renderer. Free of aws-cdk-lib.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const RENDERER_NAME = 'render-env-php.php';
const RENDERER_IN_PROJECT = join('src', 'assets', 'beanstalk', 'magento', 'env-php', RENDERER_NAME);

/** Where the renderer sits in the release bundle; the prebuild hook 20-render-env-php.sh runs it from there. */
export const ENV_PHP_RENDERER_BUNDLE_PATH = '.platform/storestack/render-env-php.php';

/**
 * The environment variables the renderer reads (its whole input). The hook and the tests set
 * these; the renderer itself lists what each holds, and which have defaults.
 */
export const ENV_PHP_INPUTS = [
  'STORESTACK_ENV_PHP',
  'STORESTACK_DB_HOST',
  'STORESTACK_DB_PORT',
  'STORESTACK_DB_NAME',
  'STORESTACK_DB_USER',
  'STORESTACK_DB_PASSWORD',
  'STORESTACK_DB_SSL_CA',
  'STORESTACK_REDIS_CACHE_HOST',
  'STORESTACK_REDIS_CACHE_PASSWORD',
  'STORESTACK_REDIS_SESSIONS_HOST',
  'STORESTACK_REDIS_SESSIONS_PASSWORD',
  'STORESTACK_REDIS_PORT',
  'STORESTACK_OPENSEARCH_HOST',
  'STORESTACK_OPENSEARCH_PORT',
  'STORESTACK_OPENSEARCH_USER',
  'STORESTACK_OPENSEARCH_PASSWORD',
  'STORESTACK_CRYPT_KEY',
  'STORESTACK_RELEASE_ID',
  'STORESTACK_STATIC_VERSION',
  'STORESTACK_CDN_STATIC_URL',
  'STORESTACK_CDN_MEDIA_URL',
  'STORESTACK_ADMIN_FRONTNAME',
  'STORESTACK_INSTALL_DATE',
] as const;

/**
 * The renderer's path. Under tsx and Vitest it sits beside this module. The CLI runs an esbuild
 * bundle from node_modules/.cache/storestack-cli, where import.meta points at the bundle, so the
 * project's copy is then found by walking up from there to the project root.
 */
export function envPhpRendererPath(): string {
  const beside = join(import.meta.dirname, RENDERER_NAME);
  if (existsSync(beside)) return beside;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, RENDERER_IN_PROJECT);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`${RENDERER_NAME} not found beside ${import.meta.dirname} nor at ${RENDERER_IN_PROJECT} above it`);
}

/** The renderer's text, as it goes into the bundle. */
export function envPhpRendererSource(): string {
  return readFileSync(envPhpRendererPath(), 'utf8');
}
