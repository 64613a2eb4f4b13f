// The PHP program that writes Magento's app/etc/env.php on the instance (render-env-php.php, a
// real file so that `php -l` and the tests run it as it ships). This module hands its text to
// the bundle renderer. Free of aws-cdk-lib.
import { assetFilePath, readAssetFile } from '../../../asset-files.ts';

const RENDERER_NAME = 'render-env-php.php';
const RENDERER_IN_PROJECT = `src/assets/beanstalk/magento/env-php/${RENDERER_NAME}`;

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

/** Where the renderer is: beside this module, or in the project (see assetFilePath). */
export function envPhpRendererPath(): string {
  return assetFilePath(import.meta.dirname, RENDERER_IN_PROJECT);
}

/** The renderer's text, as it goes into the bundle. */
export function envPhpRendererSource(): string {
  return readAssetFile(import.meta.dirname, RENDERER_IN_PROJECT);
}
