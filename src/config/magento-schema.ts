// The Magento web tier's settings (document section 1): the pinned Beanstalk platform, the load
// balancer's health check and connection draining, deployment timeouts, PHP's limits and the
// instances' log retention. Every field has a default except the platform pin.
import { z } from 'zod';
import { logRetentionDays } from './fields.ts';

const PHP_SIZE = /^([1-9][0-9]*)([KMG]?)$/i;
const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * The bytes a PHP size shorthand stands for (`2G`, `64M`, `512K`, `1048576`), or undefined when it
 * is not one. `-1` (no limit) and `0` are refused: storestack never runs PHP unbounded.
 */
export function phpSizeBytes(value: unknown): number | undefined {
  const match = typeof value === 'string' ? PHP_SIZE.exec(value) : null;
  if (!match) return undefined;
  const [, digits = '', unit = ''] = match;
  const bytes = Number(digits) * (UNIT[unit.toUpperCase()] ?? Number.NaN);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const phpSize = (defaultValue: string, description: string) =>
  z
    .custom<string>((value) => phpSizeBytes(value) !== undefined, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a PHP size: a whole number above zero with an optional K, M or G, e.g. 64M (-1, unlimited, is refused)`,
    })
    .default(defaultValue)
    .describe(`${description} Default: ${defaultValue}.`);

const wholeNumber = (minimum: number, defaultValue: number, description: string) =>
  z
    .custom<number>((value) => typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum, {
      error: (issue) => `must be a whole number of at least ${minimum} (got ${JSON.stringify(issue.input)})`,
    })
    .default(defaultValue)
    .describe(`${description} Default: ${defaultValue}.`);

const onOff = (defaultValue: boolean, description: string) =>
  z
    .custom<boolean>((value) => typeof value === 'boolean', {
      error: (issue) => `must be true or false (got ${JSON.stringify(issue.input)})`,
    })
    .default(defaultValue)
    .describe(`${description} Default: ${defaultValue}.`);

/**
 * PHP's limits for the Magento instances (the document's deploy job adjusts them: "Adjust RAM
 * limitations"). The defaults are Magento 2.4's production recommendations, with storestack's
 * choices where they leave room:
 * - memory_limit 2G: Adobe's production value; a storefront request stays far below it, but the
 *   back office's imports and exports, which run on the same bundle, need the room.
 * - max_execution_time 600 for web requests (Magento's nginx sample waits 600 s for php-fpm, and
 *   the nginx rules' fastcgi_read_timeout defaults to the same); PHP's CLI has no limit.
 * - upload and post 64M: the client's catalogue images and admin imports; nginx's
 *   client_max_body_size follows post_max_size.
 * - realpath cache 10M / 7200 s and OPcache 512 MB / 60,000 files: Adobe's performance guide.
 */
export const phpSettingsSchema = z
  .strictObject({
    memoryLimit: phpSize('2G', 'memory_limit of a request and of bin/magento (the same php.ini).'),
    maxExecutionTimeSeconds: wholeNumber(1, 600, 'max_execution_time of a web request (the CLI is not bound by it).'),
    uploadMaxFilesize: phpSize('64M', 'upload_max_filesize: the largest file in an upload.'),
    postMaxSize: phpSize('64M', 'post_max_size: the largest request body; at least uploadMaxFilesize.'),
    maxInputVars: wholeNumber(1000, 10000, "max_input_vars: admin forms exceed PHP's 1000."),
    realpathCacheSize: phpSize('10M', 'realpath_cache_size (php.ini only).'),
    realpathCacheTtlSeconds: wholeNumber(1, 7200, 'realpath_cache_ttl (php.ini only), in seconds.'),
    opcacheMemoryMb: wholeNumber(64, 512, 'opcache.memory_consumption (php.ini only), in megabytes.'),
    opcacheMaxAcceleratedFiles: wholeNumber(1000, 60000, 'opcache.max_accelerated_files (php.ini only).'),
    opcacheInternedStringsBufferMb: wholeNumber(8, 32, 'opcache.interned_strings_buffer (php.ini only), in MB.'),
    zlibOutputCompression: onOff(false, 'zlib.output_compression: off, nginx compresses (twice would be wasted).'),
    displayErrors: onOff(false, 'display_errors: never on a store; errors go to the logs.'),
    allowUrlFopen: onOff(true, "allow_url_fopen: the platform's default, kept for modules that fetch URLs."),
  })
  .superRefine((settings, ctx) => {
    const upload = phpSizeBytes(settings.uploadMaxFilesize);
    const post = phpSizeBytes(settings.postMaxSize);
    const memory = phpSizeBytes(settings.memoryLimit);
    if (upload !== undefined && post !== undefined && post < upload) {
      ctx.addIssue({
        code: 'custom',
        path: ['postMaxSize'],
        message: `${settings.postMaxSize} is below uploadMaxFilesize ${settings.uploadMaxFilesize}: an upload that size would be dropped whole`,
      });
    }
    if (memory !== undefined && post !== undefined && memory < post) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryLimit'],
        message: `${settings.memoryLimit} is below postMaxSize ${settings.postMaxSize}: PHP could not hold the largest request it accepts`,
      });
    }
  });

/** PHP's limits for the Magento instances, every one set. */
export type PhpSettings = z.output<typeof phpSettingsSchema>;

/** The document's health check path (7.F: "an HTTP GET on the page /pub/health_check.php"). */
export const DEFAULT_HEALTH_CHECK_PATH = '/pub/health_check.php';

/** The PHP files in Magento 2.4's pub/ that nginx may run; everything else .php is a 404. */
export const MAGENTO_PHP_ENTRY_POINTS: readonly string[] = [
  '/index.php',
  '/get.php',
  '/static.php',
  '/health_check.php',
  // Magento's error pages, as its sample allows: report.php?id=<n> shows a saved error report and
  // hosts the "send report" form; 404.php and 503.php render the error skin. They only render
  // templates, and the application also includes them directly for its own error pages.
  '/errors/report.php',
  '/errors/404.php',
  '/errors/503.php',
];

const URL_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/**
 * Why `path` cannot be the load balancer's health check (the nginx rules send it to Magento's
 * health_check.php), or undefined when it can: a sentence to follow the setting's name.
 */
export function healthCheckPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') {
    return `is required (the load balancer's health check path, e.g. ${DEFAULT_HEALTH_CHECK_PATH})`;
  }
  if (!URL_PATH.test(path) || path.split('/').some((part) => part === '.' || part === '..')) {
    return (
      `${JSON.stringify(path)} must be a plain URL path like ${DEFAULT_HEALTH_CHECK_PATH}: ` +
      'letters, digits, ".", "_", "~", "-" between single slashes, no query, no trailing slash'
    );
  }
  if (path !== '/health_check.php' && MAGENTO_PHP_ENTRY_POINTS.includes(path)) {
    return `${path} is another Magento entry point; use ${DEFAULT_HEALTH_CHECK_PATH}`;
  }
  if (/^\/(?:pub\/)?(?:static|media)\//.test(path)) {
    return `${path} must not be under /static/ or /media/, which serve files`;
  }
  return undefined;
}

/** `64bit Amazon Linux 2023 v4.7.5 running PHP 8.3`: the platforms the bundle's file layout is for. */
const SOLUTION_STACK = /^64bit Amazon Linux 2023 v\d+\.\d+\.\d+ running PHP \d+\.\d+$/;

/** The settings of the Magento web tier shared by every environment. */
export const magentoTierSchema = z.strictObject({
  /**
   * The pinned Beanstalk platform (document 1: Beanstalk; storestack's bundle is written for the
   * Amazon Linux 2023 PHP platforms' file layout). Synth never looks it up: `npm run
   * refresh-platform` moves the pin on purpose, within the same PHP branch.
   */
  solutionStackName: z.string().regex(SOLUTION_STACK, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not an Amazon Linux 2023 PHP platform such as "64bit Amazon Linux 2023 v4.7.5 running PHP 8.3" (the bundle's nginx and hook layout is that platform's)`,
  }),
  healthCheck: z
    .strictObject({
      path: z
        .string()
        .superRefine((path, ctx) => {
          const problem = healthCheckPathProblem(path);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .default(DEFAULT_HEALTH_CHECK_PATH)
        .describe(
          "The load balancer's health check (document 7.F: Magento's health_check.php, 500 when MySQL or Redis is missing). Default: /pub/health_check.php.",
        ),
      deregistrationDelaySeconds: z
        .number()
        .int()
        .min(0)
        .max(3600)
        .default(120)
        .describe(
          'Connection draining: how long a leaving instance finishes its requests (document 1: "waits for connections to drain"). Default: 120.',
        ),
    })
    .prefault({}),
  deployment: z
    .strictObject({
      timeoutSeconds: z
        .number()
        .int()
        .min(600)
        .max(3600)
        .default(1800)
        .describe(
          "How long Beanstalk waits for one batch's deploy commands before failing it (Beanstalk's own default, 600 s, is short for a Magento release's hooks). Default: 1800.",
        ),
    })
    .prefault({}),
  php: phpSettingsSchema.prefault({}),
  logRetentionDays: logRetentionDays
    .default(365)
    .describe("Days CloudWatch Logs keeps the instances' logs and health events. Default: 365 (PCI DSS 10.7)."),
});
