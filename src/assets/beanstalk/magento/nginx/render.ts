// The Magento instances' nginx rules on Beanstalk's Amazon Linux 2023 PHP platform, generated here
// (no template file to find at run time). Free of aws-cdk-lib.
//
// Where they go: the platform's nginx.conf includes conf.d/elasticbeanstalk/*.conf inside its one
// server {} block (AWS's proxy guide), and the PHP platform writes its own php.conf there: `root`
// from the document_root option, an index, and `location ~ \.(php|phar)(/.*)?$` passing EVERY .php
// file to php-fpm (the upstream `php-fpm` of conf.d/php-fpm.conf). A bundle file of the same name,
// .platform/nginx/conf.d/elasticbeanstalk/php.conf, replaces it when the platform copies
// .platform/nginx over /etc/nginx. So the rules ship under that name: beside the platform's file
// they would leave its run-any-.php handler in place, one `location` away from serving evil.php.
//
// Every location sets its own `root`, and nothing is set at server level: the snippet then loads
// whether the platform's root sits in the server block or in the php.conf this file replaces, and
// never collides with a server-level directive of the platform's (a duplicate fails `nginx -t`, and
// Beanstalk then fails the deploy).
//
// The rules, learnt from Magento 2.4's nginx.conf.sample and changed where storestack differs:
// - /static/version<N>/... and /pub/static/version<N>/... are served from <staticsRoot>/version<N>/
//   WITHOUT stripping the version (DESIGN "Static files"): every instance serves every published
//   release, and a missing file is a plain 404, never another release's file, never static.php.
// - /static/... without a version is the release's own pub/static, falling back to static.php as
//   Magento does; /media/... is served straight from the media share, falling back to get.php only
//   for resized product images (catalog/product/cache), which get.php generates on demand.
// - PHP runs only for Magento's entry points (exact-match locations); any other .php, .phtml or
//   .phar is a 404, never executed and never sent as source. Dotfiles, Magento's code and data
//   directories and the media directories Magento keeps private are 404s too (404, not 403: a
//   prober learns nothing about what exists).

import {
  DEFAULT_HEALTH_CHECK_PATH,
  healthCheckPathProblem,
  MAGENTO_PHP_ENTRY_POINTS,
} from '../../../../config/magento-schema.ts';

export { DEFAULT_HEALTH_CHECK_PATH, MAGENTO_PHP_ENTRY_POINTS };

/** A file of the Beanstalk source bundle: its path from the bundle's root, and its content. */
export interface BundleFile {
  readonly path: string;
  readonly content: string;
}

export interface MagentoNginxProps {
  /**
   * Mount point of the statics share, holding one `version<N>/` directory per published release,
   * e.g. `/mnt/storestack/magento-statics`.
   */
  readonly staticsRoot: string;
  /** Mount point of the media share, e.g. `/mnt/storestack/client-media`. */
  readonly mediaRoot: string;
  /**
   * The load balancer's health check path (document 8: `/pub/health_check.php`). It runs
   * pub/health_check.php, and so does `/health_check.php` whatever this is.
   */
  readonly healthCheckPath: string;
  /** php-fpm's unix socket; on the Amazon Linux 2023 PHP platform `/run/php-fpm/www.sock`. */
  readonly phpFpmSocket: string;
  /** Largest request body PHP receives (uploads, imports), in nginx's size syntax: `64m`, `512k`. */
  readonly clientMaxBodySize: string;
  /**
   * nginx's root for the release: the release's `pub/`, where the platform puts the current release
   * and the `document_root: /pub` option points.
   * @default '/var/app/current/pub'
   */
  readonly documentRoot?: string;
  /**
   * How long nginx waits for php-fpm's answer; keep it at PHP's max_execution_time for web requests.
   * @default 600
   */
  readonly fastcgiReadTimeoutSeconds?: number;
}

/** Where the rules go in the bundle: the name that replaces the platform's own php.conf. */
export const MAGENTO_NGINX_SNIPPET_PATH = '.platform/nginx/conf.d/elasticbeanstalk/php.conf';
export const DEFAULT_DOCUMENT_ROOT = '/var/app/current/pub';
export const DEFAULT_FASTCGI_READ_TIMEOUT_SECONDS = 600;

// Plain path characters only: nginx would need quoting for anything else.
const ABSOLUTE_PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;
const NGINX_SIZE = /^[1-9][0-9]*[kKmMgG]?$/;

/** Immutable by construction: a published `version<N>/` directory never changes (DESIGN "Static files"). */
const ONE_YEAR = 'public, max-age=31536000, immutable';
/**
 * Unversioned static URLs change meaning with each release, so caches keep them briefly. Magento
 * signs static URLs by default; these are rare.
 */
const UNVERSIONED_STATIC_CACHE = 'public, max-age=300';
/**
 * Media URLs are effectively immutable: Magento renames an upload that would overwrite a file
 * (product images, wysiwyg), and resized images live under a hash of their parameters.
 */
const MEDIA_CACHE = 'public, max-age=31536000';
/** Magento's sample: archives and data files in media are never cached. */
const MEDIA_NO_STORE_EXTENSIONS = 'zip|gz|gzip|bz2|csv|xml';
/** The media directories Magento keeps private (its sample denies them). */
const PRIVATE_MEDIA = 'customer|downloadable|import|custom_options';
/** Magento's code and data directories, and its retired setup and update applications. */
const PRIVATE_ROOTS = 'app|bin|dev|generated|lib|phpserver|setup|update|var|vendor';

/** The parameters nginx's fastcgi_params holds, written out: the snippet depends on no other file. */
const FASTCGI_PARAMS: readonly (readonly [string, string])[] = [
  ['QUERY_STRING', '$query_string'],
  ['REQUEST_METHOD', '$request_method'],
  ['CONTENT_TYPE', '$content_type'],
  ['CONTENT_LENGTH', '$content_length'],
  ['SCRIPT_NAME', '$fastcgi_script_name'],
  ['REQUEST_URI', '$request_uri'],
  ['DOCUMENT_URI', '$document_uri'],
  ['DOCUMENT_ROOT', '$document_root'],
  ['SERVER_PROTOCOL', '$server_protocol'],
  ['REQUEST_SCHEME', '$scheme'],
  ['HTTPS', '$https if_not_empty'],
  ['GATEWAY_INTERFACE', 'CGI/1.1'],
  ['SERVER_SOFTWARE', 'nginx/$nginx_version'],
  ['REMOTE_ADDR', '$remote_addr'],
  ['REMOTE_PORT', '$remote_port'],
  ['SERVER_ADDR', '$server_addr'],
  ['SERVER_PORT', '$server_port'],
  ['SERVER_NAME', '$server_name'],
  ['REDIRECT_STATUS', '200'],
  ['SCRIPT_FILENAME', '$document_root$fastcgi_script_name'],
];

// gzip is off in the platform's server block; a location may turn it on. `gzip_proxied any`
// because requests arrive through the load balancer and CloudFront, which nginx would otherwise
// leave uncompressed.
const GZIP = [
  'gzip on;',
  'gzip_vary on;',
  'gzip_proxied any;',
  'gzip_comp_level 6;',
  'gzip_min_length 1100;',
  'gzip_types text/plain text/css text/xml text/javascript application/javascript application/x-javascript ' +
    'application/json application/xml image/svg+xml;',
];

function isPlainPath(value: string): boolean {
  return ABSOLUTE_PATH.test(value) && !value.split('/').some((part) => part === '.' || part === '..');
}

function checkPath(errors: string[], name: string, value: string): void {
  if (typeof value !== 'string' || value === '') {
    errors.push(`${name} is required (an absolute path)`);
  } else if (!value.startsWith('/')) {
    errors.push(`${name} ${JSON.stringify(value)} must be an absolute path`);
  } else if (!isPlainPath(value)) {
    errors.push(
      `${name} ${JSON.stringify(value)} must be a plain absolute path: letters, digits, ".", "_", "-" between ` +
        'single slashes, no trailing slash, no . or .. parts',
    );
  }
}

function validate(props: MagentoNginxProps, documentRoot: string, timeout: number): string[] {
  const errors: string[] = [];
  checkPath(errors, 'staticsRoot', props.staticsRoot);
  checkPath(errors, 'mediaRoot', props.mediaRoot);
  checkPath(errors, 'phpFpmSocket', props.phpFpmSocket);
  checkPath(errors, 'documentRoot', documentRoot);
  if (errors.length === 0) {
    const roots: [string, string][] = [
      ['staticsRoot', props.staticsRoot],
      ['mediaRoot', props.mediaRoot],
      ['documentRoot', documentRoot],
    ];
    for (const [i, [name, value]] of roots.entries()) {
      for (const [otherName, other] of roots.slice(i + 1)) {
        if (value === other || value.startsWith(`${other}/`) || other.startsWith(`${value}/`)) {
          errors.push(
            `${name} ${value} and ${otherName} ${other} must be separate directories, neither inside the other`,
          );
        }
      }
    }
  }

  const healthProblem = healthCheckPathProblem(props.healthCheckPath);
  if (healthProblem) errors.push(`healthCheckPath ${healthProblem}`);

  const size = props.clientMaxBodySize;
  if (typeof size !== 'string' || !NGINX_SIZE.test(size)) {
    errors.push(
      `clientMaxBodySize ${JSON.stringify(size)} must be an nginx size above zero: digits with an optional ` +
        'k, m or g, e.g. 64m',
    );
  }
  if (!Number.isSafeInteger(timeout) || timeout <= 0) {
    errors.push(`fastcgiReadTimeoutSeconds must be a positive whole number of seconds (got ${timeout})`);
  }
  return errors;
}

function indent(lines: readonly string[], depth = 1): string[] {
  const pad = '    '.repeat(depth);
  return lines.map((line) => (line === '' ? '' : `${pad}${line}`));
}

function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...indent(body), '}'];
}

/** What every location that runs PHP says: the script's root, php-fpm, limits and parameters. */
function fastcgi(
  documentRoot: string,
  props: MagentoNginxProps,
  timeout: number,
  overrides: Record<string, string> = {},
): string[] {
  const params = FASTCGI_PARAMS.map(([name, value]) => `fastcgi_param ${name} ${overrides[name] ?? value};`);
  return [
    `root ${documentRoot};`,
    `client_max_body_size ${props.clientMaxBodySize};`,
    `fastcgi_pass unix:${props.phpFpmSocket};`,
    `fastcgi_read_timeout ${timeout}s;`,
    `fastcgi_send_timeout ${timeout}s;`,
    // Magento's pages carry large headers (cookies, cache tags); nginx's defaults answer 502.
    'fastcgi_buffer_size 32k;',
    'fastcgi_buffers 16 16k;',
    ...GZIP,
    ...params,
  ];
}

function render(props: MagentoNginxProps, documentRoot: string, timeout: number): string {
  const { staticsRoot, mediaRoot, healthCheckPath } = props;
  const out: string[] = [
    '# storestack: the Magento rules for the Beanstalk PHP platform (Amazon Linux 2023), generated by',
    "# src/assets/beanstalk/magento/nginx/render.ts. Replaces the platform's php.conf, which would run",
    "# any .php file. Included inside the platform's server block; every location sets its own root.",
    '',
    "# PHP runs only for Magento's entry points. Exact matches win over every regex below.",
  ];
  for (const entry of MAGENTO_PHP_ENTRY_POINTS) {
    // try_files: a missing script is nginx's 404, not php-fpm's "No input file specified".
    out.push(...block(`location = ${entry}`, ['try_files $uri =404;', ...fastcgi(documentRoot, props, timeout)]));
  }
  if (healthCheckPath !== '/health_check.php') {
    out.push(
      '',
      "# The load balancer's health check path runs pub/health_check.php.",
      ...block(`location = ${healthCheckPath}`, ['rewrite ^ /health_check.php last;']),
    );
  }

  out.push(
    '',
    '# Any other PHP-like file, anywhere (the release, the statics, the media share): never executed,',
    '# never sent as source.',
    ...block('location ~* "\\.(?:php[0-9]*|phtml|phar|pht|phps)(?:/|$)"', ['return 404;']),
    '',
    "# Dotfiles and dot-directories (.htaccess, .user.ini, .git, ...), except the media share's",
    '# .renditions/, where Magento 2.4 keeps the wysiwyg images that storefront pages link to.',
    ...block('location ~ "/\\.(?!renditions/)|(?<!^/media)(?<!^/pub/media)/\\."', ['return 404;']),
    '',
    "# Magento's code and data, outside the document root anyway: answered alike whatever exists.",
    ...block(`location ~ "^/(?:${PRIVATE_ROOTS})(?:/|$)"`, ['return 404;']),
    '',
    "# What Magento's sample keeps private: customer and downloadable files, imports, custom option",
    "# uploads, theme customization files, and the error pages' configuration (local.xml).",
    ...block(`location ~ "^/(?:pub/)?media/(?:(?:${PRIVATE_MEDIA})/|theme_customization/.*\\.xml$)"`, ['return 404;']),
    ...block('location ~ "^/errors/.*\\.xml$"', ['return 404;']),
    '',
    "# Versioned statics, from the requested release's version<N>/ directory on the statics share, without",
    "# stripping the version. A missing file is a 404: never another release's file, never static.php.",
    ...block('location ~ "^/(?:pub/)?static/(?<storestack_static_file>version[0-9]+/.+)$"', [
      `root ${staticsRoot};`,
      'try_files /$storestack_static_file =404;',
      `add_header Cache-Control "${ONE_YEAR}";`,
      ...staticHeaders(),
      ...GZIP,
    ]),
    '',
    "# Unversioned statics: the release's pub/static (a link to the share), else Magento's static.php.",
    ...block('location ~ "^/(?:pub/)?static/(?<storestack_static_resource>.+)$"', [
      `root ${documentRoot};`,
      'try_files /static/$storestack_static_resource /static.php?resource=$storestack_static_resource;',
      `add_header Cache-Control "${UNVERSIONED_STATIC_CACHE}";`,
      ...staticHeaders(),
      ...GZIP,
    ]),
    '',
    "# Media, straight from the media share rather than through the release's pub/media link: it does",
    '# not depend on the link a deploy hook makes, nor on /var/app/current while Beanstalk swaps it.',
    '# Only a missing resized product image goes to get.php, which generates it (as Magento does).',
    ...block('location ~ "^/(?:pub/)?media/(?<storestack_media_file>catalog/product/cache/.+)$"', [
      `root ${mediaRoot};`,
      'try_files /$storestack_media_file @storestack_media_resize;',
      `add_header Cache-Control "${MEDIA_CACHE}";`,
      'add_header X-Content-Type-Options "nosniff";',
    ]),
    ...block(`location ~* "^/(?:pub/)?media/(?<storestack_media_file>.+\\.(?:${MEDIA_NO_STORE_EXTENSIONS}))$"`, [
      `root ${mediaRoot};`,
      'try_files /$storestack_media_file =404;',
      'add_header Cache-Control "no-store";',
      'add_header X-Content-Type-Options "nosniff";',
    ]),
    ...block('location ~ "^/(?:pub/)?media/(?<storestack_media_file>.+)$"', [
      `root ${mediaRoot};`,
      'try_files /$storestack_media_file =404;',
      `add_header Cache-Control "${MEDIA_CACHE}";`,
      // Media holds uploads: a browser must not sniff one into HTML or script.
      'add_header X-Content-Type-Options "nosniff";',
      ...GZIP,
    ]),
    '',
    "# get.php finds the file from the request path relative to pub/; CloudFront's origin path is",
    '# /pub/media, so get.php is told the /media/... form of the request.',
    ...block('location @storestack_media_resize', [
      ...fastcgi(documentRoot, props, timeout, {
        SCRIPT_FILENAME: '$document_root/get.php',
        SCRIPT_NAME: '/get.php',
        DOCUMENT_URI: '/get.php',
        REQUEST_URI: '/media/$storestack_media_file$is_args$args',
      }),
    ]),
    '',
    '# Everything else: a file of pub/ (error page skins, robots.txt), else the front controller.',
    ...block('location /', [
      `root ${documentRoot};`,
      // Checked here too: nginx answers 413 in the first location, before try_files hands a form
      // post on a storefront URL to index.php.
      `client_max_body_size ${props.clientMaxBodySize};`,
      'try_files $uri /index.php$is_args$args;',
    ]),
    '',
  );
  return out.join('\n');
}

function staticHeaders(): string[] {
  return [
    // Pages on the store's names load fonts and scripts from the statics' CloudFront name: browsers
    // refuse cross-origin fonts without this. The files are public.
    'add_header Access-Control-Allow-Origin "*";',
    'add_header X-Content-Type-Options "nosniff";',
  ];
}

/**
 * The nginx rules of the Magento bundle, as files for `.platform/nginx/conf.d/elasticbeanstalk/`
 * (one today, `php.conf`). Throws one error listing every invalid prop.
 */
export function renderMagentoNginx(props: MagentoNginxProps): readonly BundleFile[] {
  const documentRoot = props.documentRoot ?? DEFAULT_DOCUMENT_ROOT;
  const timeout = props.fastcgiReadTimeoutSeconds ?? DEFAULT_FASTCGI_READ_TIMEOUT_SECONDS;
  const errors = validate(props, documentRoot, timeout);
  if (errors.length > 0) {
    throw new Error(`Invalid Magento nginx props:\n  - ${errors.join('\n  - ')}`);
  }
  return [{ path: MAGENTO_NGINX_SNIPPET_PATH, content: render(props, documentRoot, timeout) }];
}
