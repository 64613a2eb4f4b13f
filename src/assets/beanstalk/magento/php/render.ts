// Magento's PHP settings on the Beanstalk PHP platform, in the three places PHP reads them:
// - the `aws:elasticbeanstalk:container:php:phpini` options, which the platform writes into its
//   php.ini for php-fpm and the CLI alike (document_root among them);
// - pub/.user.ini, the file the document's deploy job adjusts ("Adjust RAM limitations"), read by
//   php-fpm for every script under the document root; it may only hold PHP_INI_PERDIR and
//   PHP_INI_ALL settings;
// - a system ini file for what only php.ini may set (PHP_INI_SYSTEM: OPcache, the realpath cache).
// Free of aws-cdk-lib.

/** PHP's own limits for the Magento instances. Sizes use PHP's shorthand: `2G`, `64M`, `512K`. */
export interface PhpSettings {
  /** memory_limit for a request (and for bin/magento, which reads the same php.ini). */
  readonly memoryLimit: string;
  /**
   * max_execution_time of a web request. The CLI is not bound by it: PHP's CLI always runs with
   * max_execution_time 0, so cron, indexers and setup:upgrade are unaffected.
   */
  readonly maxExecutionTimeSeconds: number;
  /** upload_max_filesize: the largest file in an upload (product images, imports). */
  readonly uploadMaxFilesize: string;
  /** post_max_size: the largest request body; at least uploadMaxFilesize. */
  readonly postMaxSize: string;
  /** max_input_vars: admin forms (configuration scopes, large attribute sets) exceed PHP's 1000. */
  readonly maxInputVars: number;
  /** realpath_cache_size (system): Magento resolves tens of thousands of paths per request. */
  readonly realpathCacheSize: string;
  /** realpath_cache_ttl (system), in seconds. */
  readonly realpathCacheTtlSeconds: number;
  /** opcache.memory_consumption (system), in megabytes. */
  readonly opcacheMemoryMb: number;
  /** opcache.max_accelerated_files (system): Magento with vendor/ and generated/ has ~50,000 files. */
  readonly opcacheMaxAcceleratedFiles: number;
  /** opcache.interned_strings_buffer (system), in megabytes. */
  readonly opcacheInternedStringsBufferMb: number;
  /** zlib.output_compression: off, because nginx compresses PHP's responses (and would do it twice). */
  readonly zlibOutputCompression: boolean;
  /** display_errors: never on a store; errors go to the logs and Magento's report pages. */
  readonly displayErrors: boolean;
  /** allow_url_fopen: the platform's default (on), kept for third-party modules that fetch URLs. */
  readonly allowUrlFopen: boolean;
}

/**
 * Magento 2.4's recommendations for production, with storestack's choices where they leave room:
 * - memory_limit 2G: Adobe's production value; a storefront request stays far below it, but the
 *   back office's imports and exports, which run on the same bundle, need the room.
 * - max_execution_time 600 for web requests (Magento's nginx sample waits 600 s for php-fpm, and the
 *   nginx rules' fastcgi_read_timeout defaults to the same); the CLI has no limit (see above).
 * - upload and post 64M: the client's catalogue images and admin imports; nginx's
 *   client_max_body_size should be the same (64m).
 * - realpath cache 10M / 7200 s and OPcache 512 MB / 60,000 files / save_comments (which Magento
 *   requires for its annotations): Adobe's performance guide.
 */
export const DEFAULT_PHP_SETTINGS: PhpSettings = {
  memoryLimit: '2G',
  maxExecutionTimeSeconds: 600,
  uploadMaxFilesize: '64M',
  postMaxSize: '64M',
  maxInputVars: 10000,
  realpathCacheSize: '10M',
  realpathCacheTtlSeconds: 7200,
  opcacheMemoryMb: 512,
  opcacheMaxAcceleratedFiles: 60000,
  opcacheInternedStringsBufferMb: 32,
  zlibOutputCompression: false,
  displayErrors: false,
  allowUrlFopen: true,
};

/** The Beanstalk option namespace for the PHP platform's php.ini settings. */
export const PHPINI_NAMESPACE = 'aws:elasticbeanstalk:container:php:phpini';
/** Magento 2.4 serves from pub/: the platform's nginx root becomes /var/app/current/pub. */
export const MAGENTO_DOCUMENT_ROOT = '/pub';
/** Where renderUserIni's content goes in the release (php-fpm reads it below the document root). */
export const USER_INI_PATH = 'pub/.user.ini';
/**
 * Where renderSystemPhpIni's content goes on the instance: the platform's PHP scans /etc/php.d/ in
 * name order, so a late name wins over the platform's own files.
 */
export const SYSTEM_PHP_INI_PATH = '/etc/php.d/99-storestack-magento.ini';

/** One Beanstalk option setting; the shape src/infra's OptionSetting takes. */
export interface PhpIniOptionSetting {
  readonly namespace: typeof PHPINI_NAMESPACE;
  readonly optionName: string;
  readonly value: string;
}

const PHP_SIZE = /^([1-9][0-9]*)([KMG]?)$/i;
const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * The bytes a PHP size shorthand stands for (`2G`, `64M`, `512K`, `1048576`), or undefined when it
 * is not one. `-1` (no limit) and `0` are refused: storestack never runs PHP unbounded.
 */
export function phpSizeBytes(value: string): number | undefined {
  const match = typeof value === 'string' ? PHP_SIZE.exec(value) : null;
  if (!match) return undefined;
  const [, digits = '', unit = ''] = match;
  const bytes = Number(digits) * (UNIT[unit.toUpperCase()] ?? Number.NaN);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

function validate(settings: PhpSettings): string[] {
  const errors: string[] = [];
  const sizes = {} as Record<string, number | undefined>;
  for (const name of ['memoryLimit', 'uploadMaxFilesize', 'postMaxSize', 'realpathCacheSize'] as const) {
    const value = settings[name];
    sizes[name] = phpSizeBytes(value);
    if (sizes[name] === undefined) {
      errors.push(
        `${name} ${JSON.stringify(value)} is not a PHP size: a whole number above zero with an optional K, M or G, ` +
          'e.g. 64M (-1, unlimited, is refused)',
      );
    }
  }
  const positive: [keyof PhpSettings, number][] = [
    ['maxExecutionTimeSeconds', 1],
    ['maxInputVars', 1000],
    ['realpathCacheTtlSeconds', 1],
    ['opcacheMemoryMb', 64],
    ['opcacheMaxAcceleratedFiles', 1000],
    ['opcacheInternedStringsBufferMb', 8],
  ];
  for (const [name, minimum] of positive) {
    const value = settings[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      errors.push(`${name} must be a whole number of at least ${minimum} (got ${JSON.stringify(value)})`);
    }
  }
  for (const name of ['zlibOutputCompression', 'displayErrors', 'allowUrlFopen'] as const) {
    if (typeof settings[name] !== 'boolean') {
      errors.push(`${name} must be true or false (got ${JSON.stringify(settings[name])})`);
    }
  }
  const { memoryLimit, uploadMaxFilesize, postMaxSize } = sizes;
  if (uploadMaxFilesize !== undefined && postMaxSize !== undefined && postMaxSize < uploadMaxFilesize) {
    errors.push(
      `postMaxSize ${settings.postMaxSize} is below uploadMaxFilesize ${settings.uploadMaxFilesize}: ` +
        'an upload that size would be dropped whole',
    );
  }
  if (memoryLimit !== undefined && postMaxSize !== undefined && memoryLimit < postMaxSize) {
    errors.push(
      `memoryLimit ${settings.memoryLimit} is below postMaxSize ${settings.postMaxSize}: ` +
        'PHP could not hold the largest request it accepts',
    );
  }
  return errors;
}

function checked(settings: PhpSettings): PhpSettings {
  const errors = validate(settings);
  if (errors.length > 0) {
    throw new Error(`Invalid PHP settings:\n  - ${errors.join('\n  - ')}`);
  }
  return settings;
}

const onOff = (value: boolean): string => (value ? 'On' : 'Off');

/**
 * pub/.user.ini: the per-request limits, beside Magento's own entry points. Only settings PHP
 * accepts in a .user.ini (PHP_INI_PERDIR or PHP_INI_ALL); php-fpm re-reads it every 300 s
 * (user_ini.cache_ttl), so a changed file applies without a restart. Throws on invalid settings.
 */
export function renderUserIni(settings: PhpSettings): string {
  const s = checked(settings);
  return [
    "; storestack: PHP limits for Magento's web entry points, generated by",
    '; src/assets/beanstalk/magento/php/render.ts. php-fpm reads this file for every script under',
    '; the document root (pub/). The CLI ignores it and reads php.ini.',
    `memory_limit = ${s.memoryLimit}`,
    `max_execution_time = ${s.maxExecutionTimeSeconds}`,
    `upload_max_filesize = ${s.uploadMaxFilesize}`,
    `post_max_size = ${s.postMaxSize}`,
    `max_input_vars = ${s.maxInputVars}`,
    `zlib.output_compression = ${onOff(s.zlibOutputCompression)}`,
    `display_errors = ${onOff(s.displayErrors)}`,
    // Magento manages its sessions itself (its own pub/.user.ini says the same).
    'session.auto_start = Off',
    '',
  ].join('\n');
}

/**
 * The Beanstalk options of the PHP platform: document_root `/pub` (Magento 2.4's document root)
 * and the settings the platform writes into its php.ini, which bin/magento reads too.
 * Throws on invalid settings.
 */
export function renderPhpIniOptionSettings(settings: PhpSettings): readonly PhpIniOptionSetting[] {
  const s = checked(settings);
  const options: [string, string][] = [
    ['document_root', MAGENTO_DOCUMENT_ROOT],
    ['memory_limit', s.memoryLimit],
    ['max_execution_time', String(s.maxExecutionTimeSeconds)],
    ['zlib.output_compression', onOff(s.zlibOutputCompression)],
    ['display_errors', onOff(s.displayErrors)],
    ['allow_url_fopen', onOff(s.allowUrlFopen)],
  ];
  return options.map(([optionName, value]) => ({ namespace: PHPINI_NAMESPACE, optionName, value }));
}

/**
 * The system ini file for SYSTEM_PHP_INI_PATH: settings only php.ini may set. php-fpm reads it when
 * it starts, so it must be in place before the platform (re)starts php-fpm for a deploy.
 * Throws on invalid settings.
 */
export function renderSystemPhpIni(settings: PhpSettings): string {
  const s = checked(settings);
  return [
    "; storestack: Magento's PHP_INI_SYSTEM settings, generated by",
    '; src/assets/beanstalk/magento/php/render.ts.',
    `realpath_cache_size = ${s.realpathCacheSize}`,
    `realpath_cache_ttl = ${s.realpathCacheTtlSeconds}`,
    'opcache.enable = 1',
    `opcache.memory_consumption = ${s.opcacheMemoryMb}`,
    `opcache.max_accelerated_files = ${s.opcacheMaxAcceleratedFiles}`,
    `opcache.interned_strings_buffer = ${s.opcacheInternedStringsBufferMb}`,
    // Magento reads its plugins' and its API's annotations at run time.
    'opcache.save_comments = 1',
    // Kept on: a deploy replaces /var/app/current under the same paths, and a php-fpm that kept
    // serving the previous release's bytecode would mix releases. Checked every 2 s, not per request.
    'opcache.validate_timestamps = 1',
    'opcache.revalidate_freq = 2',
    '',
  ].join('\n');
}
