// The Magento release bundle's platform hooks (.platform/hooks) and the files they run from
// .platform/storestack: each script is a config header generated from the props, followed by a
// static body kept beside this module as a real .sh file. Free of aws-cdk-lib; every value is
// known at synth or release time (no CDK tokens: the bundle is built outside CloudFormation).
import { readAssetFile } from '../../../asset-files.ts';
import { ENV_PHP_RENDERER_BUNDLE_PATH, envPhpRendererSource } from '../env-php/renderer.ts';

export interface MagentoMount {
  /** Path inside the release, e.g. `pub/media`, `pub/static`, `sitemap`, `client`. */
  readonly path: string;
  /** The share linked there, e.g. `client-media`; its mount source is `<parameterPath>/shares/<share>` in SSM. */
  readonly share: string;
}

export interface MagentoHooksProps {
  /** The environment's name, e.g. `prod`: the last part of `parameterPath`. */
  readonly environment: string;
  /** The SSM path of the environment's parameters, e.g. `/storestack/prod`. */
  readonly parameterPath: string;
  /** The region of the SSM parameters and secrets, e.g. `eu-west-3`. */
  readonly region: string;
  /** Where the shares are mounted for the life of the instance, one directory per share, e.g. `/mnt/storestack`. */
  readonly mountsRoot: string;
  readonly mounts: readonly MagentoMount[];
  /** What serves the shares: the NFS server (NFSv4.1) or EFS (efs-utils, TLS, the instance role, an access point per share). */
  readonly fileSystem: 'nfs-server' | 'efs';
  /** How long a share may take to mount before the deploy fails on the instance. */
  readonly mountTimeoutSeconds: number;
  /** The CloudFront base URLs, `https://...` ending with `/`. */
  readonly cdnBaseUrls: { readonly static: string; readonly media: string };
  /** Each release gets its own cache entries (id_prefix from its RELEASE_ID). Not optional: old and new code share the cache during a rolling deploy. */
  readonly cachePrefixFromRelease: true;
  /**
   * Magento's admin path (env.php `backend/frontName`).
   * @default 'backend' - the path the shared load balancer sends to the back office (`/backend/*`)
   */
  readonly adminFrontName?: string;
  /**
   * The share holding the cron lock (`<mountsRoot>/<share>/.cron.lock`), shared by every back-office instance.
   * @default - the share mounted at `client`
   */
  readonly cronLockShare?: string;
}

/** One file of the release bundle. */
export interface BundleFile {
  /** Path inside the bundle, e.g. `.platform/hooks/prebuild/10-mount-shares.sh`. */
  readonly path: string;
  readonly content: string;
  /** File mode: 0o755 for what Beanstalk or cron executes. */
  readonly mode: number;
}

/** The Beanstalk PHP platform's web user. */
export const MAGENTO_WEB_USER = 'webapp';
/** Where the cron wrapper lands in the bundle; the postdeploy hook installs it from there on the back office. */
export const CRON_WRAPPER_BUNDLE_PATH = '.platform/storestack/magento-cron.sh';

const DEFAULT_ADMIN_FRONT_NAME = 'backend';
const DEFAULT_CRON_LOCK_PATH = 'client';
const HOOKS_IN_PROJECT = 'src/assets/beanstalk/magento/hooks';

const NAME = /^[a-z0-9-]+$/;
const PARAMETER_PATH = /^(\/[a-z0-9-]+)+$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
// Plain path characters only: fstab and the scripts would need escapes for anything else.
const ABSOLUTE_PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;
const RELEASE_PATH = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;
// What Magento itself needs in the release: a share linked over one of these would hide the code.
const RESERVED_RELEASE_PATHS = ['app', 'bin', 'generated', 'lib', 'pub', 'setup', 'var', 'vendor', 'app/etc'];
const CDN_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/([^\s'"\\]*\/)?$/;
const ADMIN_FRONT_NAME = /^[A-Za-z0-9_]{1,64}$/;
const MAX_MOUNT_TIMEOUT_SECONDS = 3600;

/** Single-quotes a value for bash. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function cronLockShare(props: MagentoHooksProps): string | undefined {
  return props.cronLockShare ?? props.mounts.find((mount) => mount.path === DEFAULT_CRON_LOCK_PATH)?.share;
}

function validate(props: MagentoHooksProps): string[] {
  const errors: string[] = [];
  const { environment, parameterPath, region, mountsRoot, mounts, mountTimeoutSeconds } = props;

  if (!NAME.test(environment)) errors.push(`environment ${JSON.stringify(environment)} must match [a-z0-9-]+`);
  if (!PARAMETER_PATH.test(parameterPath)) {
    errors.push(`parameterPath ${JSON.stringify(parameterPath)} must be an SSM path such as /storestack/prod`);
  } else if (!parameterPath.endsWith(`/${environment}`)) {
    errors.push(`parameterPath ${parameterPath} must end with the environment's name (/${environment})`);
  }
  if (!REGION.test(region)) errors.push(`region ${JSON.stringify(region)} is not an AWS region such as eu-west-3`);
  if (!ABSOLUTE_PATH.test(mountsRoot) || mountsRoot.split('/').some((part) => part === '.' || part === '..')) {
    errors.push(
      `mountsRoot ${JSON.stringify(mountsRoot)} must be a plain absolute path such as /mnt/storestack: ` +
        'letters, digits, ".", "_", "-" between single slashes, no trailing slash, no . or .. parts',
    );
  } else if (mountsRoot === '/var/app' || mountsRoot.startsWith('/var/app/')) {
    errors.push(`mountsRoot ${mountsRoot} must be outside /var/app, which Beanstalk replaces on every deploy`);
  }

  if (mounts.length === 0) errors.push('mounts must list at least one mount');
  const paths = new Map<string, number>();
  const shares = new Map<string, number>();
  mounts.forEach((mount, index) => {
    const at = `mounts[${index}]`;
    if (!RELEASE_PATH.test(mount.path)) {
      errors.push(
        `${at}.path ${JSON.stringify(mount.path)} must be a relative path inside the release such as pub/media`,
      );
    } else if (RESERVED_RELEASE_PATHS.includes(mount.path)) {
      errors.push(`${at}.path ${mount.path} holds Magento's own code or state; a share must not replace it`);
    } else if (paths.has(mount.path)) {
      errors.push(`${at}.path ${mount.path} is already the path of mounts[${paths.get(mount.path)}]`);
    } else {
      paths.set(mount.path, index);
    }
    if (!NAME.test(mount.share)) {
      errors.push(`${at}.share ${JSON.stringify(mount.share)} must match [a-z0-9-]+`);
    } else if (shares.has(mount.share)) {
      errors.push(`${at}.share ${mount.share} is already mounted by mounts[${shares.get(mount.share)}]`);
    } else {
      shares.set(mount.share, index);
    }
  });
  // Removing the outer path would remove the inner link with it, and the order would matter.
  for (const [inner, innerIndex] of paths) {
    for (const [outer, outerIndex] of paths) {
      if (inner.startsWith(`${outer}/`)) {
        errors.push(`mounts[${innerIndex}].path ${inner} is inside mounts[${outerIndex}].path ${outer}`);
      }
    }
  }

  if (props.fileSystem !== 'nfs-server' && props.fileSystem !== 'efs') {
    errors.push(`fileSystem ${JSON.stringify(props.fileSystem)} must be nfs-server or efs`);
  }
  if (
    !Number.isSafeInteger(mountTimeoutSeconds) ||
    mountTimeoutSeconds <= 0 ||
    mountTimeoutSeconds > MAX_MOUNT_TIMEOUT_SECONDS
  ) {
    errors.push(
      `mountTimeoutSeconds must be a whole number of seconds from 1 to ${MAX_MOUNT_TIMEOUT_SECONDS} (got ${mountTimeoutSeconds})`,
    );
  }
  for (const kind of ['static', 'media'] as const) {
    const url = props.cdnBaseUrls[kind];
    if (!CDN_URL.test(url)) {
      errors.push(`cdnBaseUrls.${kind} ${JSON.stringify(url)} must be an https:// URL ending with a slash`);
    }
  }
  if (props.cachePrefixFromRelease !== true) {
    errors.push('cachePrefixFromRelease must be true: old and new releases share the cache during a rolling deploy');
  }
  const adminFrontName = props.adminFrontName ?? DEFAULT_ADMIN_FRONT_NAME;
  if (!ADMIN_FRONT_NAME.test(adminFrontName)) {
    errors.push(`adminFrontName ${JSON.stringify(adminFrontName)} must be letters, digits or "_"`);
  }
  const lockShare = cronLockShare(props);
  if (lockShare === undefined) {
    errors.push(
      `cronLockShare is not set and no share is mounted at ${DEFAULT_CRON_LOCK_PATH}: name the share that holds the cron lock`,
    );
  } else if (!mounts.some((mount) => mount.share === lockShare)) {
    errors.push(`cronLockShare ${lockShare} is not one of the mounted shares (${[...shares.keys()].join(', ')})`);
  }
  return errors;
}

/** `#!/bin/bash`, a generated header, then the body without its own shebang line. */
function script(body: string, header: readonly string[]): string {
  const text = readAssetFile(import.meta.dirname, `${HOOKS_IN_PROJECT}/${body}`).replace(/^#!.*\n/, '');
  return [
    '#!/bin/bash',
    `# storestack, generated by src/assets/beanstalk/magento/hooks/render.ts from ${body}.`,
    ...header,
    text,
  ].join('\n');
}

function assign(name: string, value: string | number): string {
  return `${name}=${typeof value === 'number' ? value : shellQuote(value)}`;
}

function mountShares(props: MagentoHooksProps): string {
  return script('mount-shares.sh', [
    assign('MAGENTO_ENVIRONMENT', props.environment),
    assign('MAGENTO_PARAMETER_PATH', props.parameterPath),
    assign('MAGENTO_REGION', props.region),
    assign('MAGENTO_MOUNTS_ROOT', props.mountsRoot),
    assign('MAGENTO_FILE_SYSTEM', props.fileSystem),
    assign('MAGENTO_MOUNT_TIMEOUT_SECONDS', props.mountTimeoutSeconds),
    '# Each mount: its path in the release and its share.',
    'MAGENTO_MOUNTS=(',
    ...props.mounts.map((mount) => `  ${shellQuote(mount.path)} ${shellQuote(mount.share)}`),
    ')',
  ]);
}

function renderEnvPhp(props: MagentoHooksProps): string {
  return script('render-env-php.sh', [
    assign('MAGENTO_PARAMETER_PATH', props.parameterPath),
    assign('MAGENTO_REGION', props.region),
    assign('MAGENTO_CDN_STATIC_URL', props.cdnBaseUrls.static),
    assign('MAGENTO_CDN_MEDIA_URL', props.cdnBaseUrls.media),
    assign('MAGENTO_ADMIN_FRONTNAME', props.adminFrontName ?? DEFAULT_ADMIN_FRONT_NAME),
    assign('MAGENTO_WEB_USER', MAGENTO_WEB_USER),
  ]);
}

function permissions(props: MagentoHooksProps): string {
  return script('permissions.sh', [
    assign('MAGENTO_WEB_USER', MAGENTO_WEB_USER),
    `MAGENTO_LINKED_PATHS=(${props.mounts.map((mount) => shellQuote(mount.path)).join(' ')})`,
  ]);
}

function cronWrapper(props: MagentoHooksProps): string {
  return script('magento-cron.sh', [
    assign('MAGENTO_CRON_LOCK', `${props.mountsRoot}/${cronLockShare(props)}/.cron.lock`),
  ]);
}

/**
 * The files of the Magento release bundle: the platform hooks that mount the shares and link
 * them into the release, write app/etc/env.php, set permissions and warm the release up, plus
 * Magento's cron. A release is built once and the same bundle is deployed to the front end and
 * the back office, so nothing here depends on the role: the cron hook reads the Beanstalk
 * environment property STORESTACK_ROLE at deploy time and installs cron on the back office only.
 * Throws one error listing every invalid prop.
 */
export function renderMagentoHooks(props: MagentoHooksProps): BundleFile[] {
  const errors = validate(props);
  if (errors.length > 0) {
    throw new Error(`Invalid Magento hooks:\n  - ${errors.join('\n  - ')}`);
  }
  const executable = 0o755;
  return [
    { path: '.platform/hooks/prebuild/10-mount-shares.sh', content: mountShares(props), mode: executable },
    { path: '.platform/hooks/prebuild/20-render-env-php.sh', content: renderEnvPhp(props), mode: executable },
    { path: ENV_PHP_RENDERER_BUNDLE_PATH, content: envPhpRendererSource(), mode: 0o644 },
    { path: '.platform/hooks/predeploy/10-permissions.sh', content: permissions(props), mode: executable },
    { path: '.platform/hooks/postdeploy/10-warm-up.sh', content: script('warm-up.sh', []), mode: executable },
    {
      path: '.platform/hooks/postdeploy/20-install-cron.sh',
      content: script('install-cron.sh', [assign('MAGENTO_WEB_USER', MAGENTO_WEB_USER)]),
      mode: executable,
    },
    { path: CRON_WRAPPER_BUNDLE_PATH, content: cronWrapper(props), mode: executable },
  ];
}
