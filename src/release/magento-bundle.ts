// The Magento bundle of one environment: the files the release merges into the Magento code
// (the document's "Beanstalk configuration files"), rendered from the platform configuration.
// Pure: no AWS call, no aws-cdk-lib.

import { renderMagentoHooks } from '../assets/beanstalk/magento/hooks/render.ts';
import { renderMagentoNginx } from '../assets/beanstalk/magento/nginx/render.ts';
import {
  PHP_EBEXTENSION_PATH,
  renderPhpEbextension,
  renderUserIni,
  USER_INI_PATH,
} from '../assets/beanstalk/magento/php/render.ts';
import { MOUNTS_ROOT } from '../config/names.ts';
import type { Platform } from '../config/schema.ts';

export { MOUNTS_ROOT };
/** php-fpm's socket on Beanstalk's Amazon Linux 2023 PHP platform. */
export const PHP_FPM_SOCKET = '/run/php-fpm/www.sock';
/** How long the prebuild hook retries mounting a share before it fails the deploy. */
export const MOUNT_TIMEOUT_SECONDS = 300;

export interface BundleFile {
  /** Relative to the release root. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** An environment name the configuration does not have. */
export class UnknownEnvironmentError extends Error {
  constructor(name: string, known: readonly string[]) {
    super(`${name} is not an environment of the configuration (known: ${known.join(', ')})`);
    this.name = 'UnknownEnvironmentError';
  }
}

/** The files of the Magento bundle for `environmentName`, sorted by path. */
export function renderMagentoBundle(platform: Platform, environmentName: string): BundleFile[] {
  const environment = platform.environments.find((candidate) => candidate.name === environmentName);
  if (!environment) {
    throw new UnknownEnvironmentError(
      environmentName,
      platform.environments.map((candidate) => candidate.name),
    );
  }
  const shareAt = (path: string): string => {
    const mount = platform.magento.mounts.find((candidate) => candidate.path === path);
    if (!mount) throw new Error(`magento.mounts has no share at ${path}: the nginx rules serve it from a share`);
    return mount.share;
  };
  const domain = platform.domains.public;
  const php = platform.magento.php;
  const files: BundleFile[] = [
    ...renderMagentoNginx({
      staticsRoot: `${MOUNTS_ROOT}/${shareAt('pub/static')}`,
      mediaRoot: `${MOUNTS_ROOT}/${shareAt('pub/media')}`,
      healthCheckPath: platform.magento.healthCheck.path,
      phpFpmSocket: PHP_FPM_SOCKET,
      // nginx refuses a larger body before PHP sees it: the same limit as PHP's post_max_size.
      clientMaxBodySize: php.postMaxSize.toLowerCase(),
    }).map((file) => ({ ...file, mode: 0o644 })),
    { path: USER_INI_PATH, content: renderUserIni(php), mode: 0o644 },
    { path: PHP_EBEXTENSION_PATH, content: renderPhpEbextension(php), mode: 0o644 },
    ...renderMagentoHooks({
      environment: environment.name,
      parameterPath: `/${platform.project}/${environment.name}`,
      region: platform.aws.region,
      mountsRoot: MOUNTS_ROOT,
      mounts: platform.magento.mounts,
      fileSystem: platform.storage.fileServer.type,
      mountTimeoutSeconds: MOUNT_TIMEOUT_SECONDS,
      // Document 7.C: the static and media distributions.
      cdnBaseUrls: { static: `https://static.${domain}/`, media: `https://media.${domain}/` },
      cachePrefixFromRelease: true,
    }),
  ];
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
