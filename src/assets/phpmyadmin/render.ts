// phpMyAdmin on an Amazon Linux 2023 instance in a private subnet (hosting document: "phpMyAdmin
// is hosted on AWS EC2"), reachable from the VPC and the VPN only, for the three databases: prod
// Magento, preprod Magento and the apps database. Cookie login: no password is stored anywhere.
//
// One generator writes config.inc.php: `renderPhpMyAdminConfig` fills it with literal values,
// and the user data embeds the same text with its data read from a small JSON file that the
// script writes at boot (the endpoints come from SSM parameters, the secret is generated once).
// Free of aws-cdk-lib.

import { readAssetFile } from '../asset-files.ts';

/** Where phpMyAdmin's pinned releases are published; `{version}` is replaced by the version. */
export const PHPMYADMIN_DOWNLOAD_URL =
  'https://files.phpmyadmin.net/phpMyAdmin/{version}/phpMyAdmin-{version}-all-languages.tar.gz';
/** The RDS certificate authorities, every region. */
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
/** Where the user data keeps the RDS CA bundle; every server's `ssl_ca`. */
export const RDS_CA_BUNDLE_PATH = '/etc/pki/rds/global-bundle.pem';
/** phpMyAdmin's temporary directory (twig cache, uploads), writable by php-fpm only. */
export const PHPMYADMIN_TEMP_DIR = '/var/lib/phpmyadmin/tmp';
/** The symlink to the live release; each release is unpacked beside it as `phpmyadmin-<version>`. */
export const PHPMYADMIN_ROOT = '/usr/share/phpmyadmin';
/** What the user data writes at boot for config.inc.php: the servers and the secret, JSON. */
export const PHPMYADMIN_SETTINGS_PATH = '/etc/storestack/phpmyadmin/settings.json';
/** The root-only copy of the secret (64 hex digits), generated once so that restarts keep the sessions. */
export const PHPMYADMIN_SECRET_PATH = '/etc/storestack/phpmyadmin/blowfish-secret';
/** The nginx server the user data writes. */
export const PHPMYADMIN_NGINX_PATH = '/etc/nginx/conf.d/phpmyadmin.conf';
/** php-fpm's default pool socket on Amazon Linux 2023. */
export const PHP_FPM_SOCKET = '/run/php-fpm/www.sock';
/** The MySQL port, when an endpoint does not name one. */
export const MYSQL_PORT = 3306;

/** A database server phpMyAdmin offers, with a literal host (see {@link renderPhpMyAdminConfig}). */
export interface PhpMyAdminConfigServer {
  /** Shown in the login form's server list, e.g. `Magento prod`. */
  readonly label: string;
  /** The database endpoint, a DNS name or an IPv4 address. */
  readonly host: string;
  /** Default: 3306. */
  readonly port?: number;
}

export interface PhpMyAdminConfigProps {
  readonly servers: readonly PhpMyAdminConfigServer[];
  /** The cookie encryption secret: 32 bytes, as 64 hexadecimal digits. */
  readonly blowfishSecretHex: string;
  /** Default: {@link RDS_CA_BUNDLE_PATH}. */
  readonly sslCaPath?: string;
  /** Default: {@link PHPMYADMIN_TEMP_DIR}. */
  readonly tempDir?: string;
}

/** A database server of the user data: its endpoint is read at boot from an SSM parameter. */
export interface PhpMyAdminServer {
  /** Shown in the login form's server list, e.g. `Magento prod`. */
  readonly label: string;
  /** The SSM parameter holding the endpoint, `host` or `host:port`, e.g. `/storestack/prod/magento/db-endpoint`. */
  readonly endpointParameter: string;
}

export interface PhpMyAdminUserDataProps {
  /** The pinned phpMyAdmin release, e.g. `5.2.1`. */
  readonly version: string;
  /** The SHA-256 of that release's tarball, 64 hexadecimal digits. */
  readonly sha256?: string;
  /** The tarball's https URL; `{version}` is replaced by `version`. Default: {@link PHPMYADMIN_DOWNLOAD_URL}. */
  readonly downloadUrl?: string;
  readonly servers: readonly PhpMyAdminServer[];
  /** The region of the SSM parameters, e.g. `eu-west-3`. */
  readonly region: string;
  /** The port nginx serves phpMyAdmin on. Default: 80. */
  readonly port?: number;
  /** Where the RDS CA bundle is downloaded from. Default: {@link RDS_CA_BUNDLE_URL}. */
  readonly caBundleUrl?: string;
}

export interface PhpMyAdminNginxProps {
  /** Default: 80. */
  readonly port?: number;
  /** Default: {@link PHPMYADMIN_ROOT}. */
  readonly root?: string;
  /** Default: {@link PHP_FPM_SOCKET}. */
  readonly phpFpmSocket?: string;
}

/** The props of phpMyAdmin are wrong; `problems` lists every one. */
export class InvalidPhpMyAdminError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid phpMyAdmin props:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidPhpMyAdminError';
  }
}

const SCRIPT_IN_PROJECT = 'src/assets/phpmyadmin/setup-phpmyadmin.sh';
const CONFIG_END = 'STORESTACK_PHPMYADMIN_CONFIG';
const NGINX_END = 'STORESTACK_PHPMYADMIN_NGINX';

// Also written into JSON by the script, unescaped: no quote, no backslash.
const LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}$/;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SSM_NAME = /^(?:\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/;
const HEX_SECRET = /^[0-9a-fA-F]{64}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const VERSION = /^[0-9]+(?:\.[0-9]+){1,3}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-[0-9]$/;
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(?::[0-9]+)?\/[A-Za-z0-9._~/%+=&?{}-]*$/;
const PLAIN_PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;

const isPort = (value: number): boolean => Number.isSafeInteger(value) && value >= 1 && value <= 65535;

/** A PHP single-quoted string literal. */
function phpString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Single-quotes a value for bash. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function checkLabels(labels: readonly string[], errors: string[]): void {
  if (labels.length === 0) errors.push('servers must list at least one database server');
  const seen = new Map<string, number>();
  labels.forEach((label, index) => {
    const at = `servers[${index}].label`;
    if (!LABEL.test(label)) {
      errors.push(
        `${at} ${JSON.stringify(label)} must be 1 to 64 letters, digits, spaces or . _ ( ) -, starting with a letter or digit`,
      );
    } else if (seen.has(label)) {
      errors.push(`${at} ${JSON.stringify(label)} is already the label of servers[${seen.get(label)}]`);
    } else {
      seen.set(label, index);
    }
  });
}

function checkPath(name: string, value: string | undefined, errors: string[]): void {
  if (value !== undefined && !PLAIN_PATH.test(value)) {
    errors.push(`${name} ${JSON.stringify(value)} must be a plain absolute path`);
  }
}

function validateConfig(props: PhpMyAdminConfigProps): string[] {
  const errors: string[] = [];
  checkLabels(
    props.servers.map((server) => server.label),
    errors,
  );
  props.servers.forEach((server, index) => {
    const valid = /^[0-9.]+$/.test(server.host) ? isIpv4(server.host) : HOST_NAME.test(server.host);
    if (!valid) {
      errors.push(`servers[${index}].host ${JSON.stringify(server.host)} is neither a DNS name nor an IPv4 address`);
    }
    if (server.port !== undefined && !isPort(server.port)) {
      errors.push(`servers[${index}].port ${JSON.stringify(server.port)} is not a TCP port (1-65535)`);
    }
  });
  if (!HEX_SECRET.test(props.blowfishSecretHex)) {
    errors.push('blowfishSecretHex must be 64 hexadecimal digits (32 random bytes)');
  }
  checkPath('sslCaPath', props.sslCaPath, errors);
  checkPath('tempDir', props.tempDir, errors);
  return errors;
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255);
}

function validateNginx(props: PhpMyAdminNginxProps): string[] {
  const errors: string[] = [];
  if (props.port !== undefined && !isPort(props.port)) {
    errors.push(`port ${JSON.stringify(props.port)} is not a TCP port (1-65535)`);
  }
  checkPath('root', props.root, errors);
  checkPath('phpFpmSocket', props.phpFpmSocket, errors);
  return errors;
}

function validateUserData(props: PhpMyAdminUserDataProps): string[] {
  const errors: string[] = [];
  if (!VERSION.test(props.version)) {
    errors.push(`version ${JSON.stringify(props.version)} must be a release number such as 5.2.1`);
  }
  if (props.sha256 !== undefined && !SHA256.test(props.sha256)) {
    errors.push(`sha256 ${JSON.stringify(props.sha256)} must be 64 lower-case hexadecimal digits`);
  }
  for (const [name, url] of [
    ['downloadUrl', props.downloadUrl],
    ['caBundleUrl', props.caBundleUrl],
  ] as const) {
    if (url !== undefined && !HTTPS_URL.test(url)) {
      errors.push(`${name} ${JSON.stringify(url)} must be an https URL without spaces or quotes`);
    }
  }
  checkLabels(
    props.servers.map((server) => server.label),
    errors,
  );
  const parameters = new Map<string, number>();
  props.servers.forEach((server, index) => {
    const at = `servers[${index}].endpointParameter`;
    if (!SSM_NAME.test(server.endpointParameter) || server.endpointParameter.length > 1011) {
      errors.push(`${at} ${JSON.stringify(server.endpointParameter)} is not an SSM parameter name such as /a/b/c`);
    } else if (parameters.has(server.endpointParameter)) {
      errors.push(
        `${at} ${server.endpointParameter} is already the parameter of servers[${parameters.get(server.endpointParameter)}]`,
      );
    } else {
      parameters.set(server.endpointParameter, index);
    }
  });
  if (!REGION.test(props.region)) {
    errors.push(`region ${JSON.stringify(props.region)} is not an AWS region such as eu-west-3`);
  }
  errors.push(...validateNginx({ port: props.port }));
  return errors;
}

function check(errors: string[]): void {
  if (errors.length > 0) throw new InvalidPhpMyAdminError(errors);
}

/**
 * config.inc.php around `data`, a PHP expression giving `['blowfishSecret' => <64 hex digits>,
 * 'servers' => [['label' => ..., 'host' => ..., 'port' => ...], ...]]`.
 */
function configText(data: string, sslCaPath: string, tempDir: string): string {
  return [
    '<?php',
    '// phpMyAdmin configuration, generated by storestack (src/assets/phpmyadmin/render.ts). Do not edit.',
    '// Cookie login against each server: no password is stored here, and there is no control user.',
    'declare(strict_types=1);',
    '',
    `$storestack = ${data};`,
    '',
    "$cfg['blowfish_secret'] = hex2bin($storestack['blowfishSecret']);",
    `$cfg['TempDir'] = ${phpString(tempDir)};`,
    "$cfg['UploadDir'] = '';",
    "$cfg['SaveDir'] = '';",
    "$cfg['AllowArbitraryServer'] = false;",
    "$cfg['VersionCheck'] = false;",
    "$cfg['SendErrorReports'] = 'never';",
    "$cfg['ServerDefault'] = 1;",
    '',
    '$i = 0;',
    "foreach ($storestack['servers'] as $server) {",
    '    $i++;',
    "    $cfg['Servers'][$i]['verbose'] = (string) $server['label'];",
    "    $cfg['Servers'][$i]['host'] = (string) $server['host'];",
    "    $cfg['Servers'][$i]['port'] = (string) $server['port'];",
    "    $cfg['Servers'][$i]['auth_type'] = 'cookie';",
    "    $cfg['Servers'][$i]['AllowNoPassword'] = false;",
    "    $cfg['Servers'][$i]['ssl'] = true;",
    `    $cfg['Servers'][$i]['ssl_ca'] = ${phpString(sslCaPath)};`,
    "    $cfg['Servers'][$i]['ssl_verify'] = true;",
    '}',
    'unset($storestack, $server, $i);',
    '',
  ].join('\n');
}

/** config.inc.php for literal servers and secret. Throws an {@link InvalidPhpMyAdminError}. */
export function renderPhpMyAdminConfig(props: PhpMyAdminConfigProps): string {
  check(validateConfig(props));
  const servers = props.servers.map(
    (server) =>
      `        ['label' => ${phpString(server.label)}, 'host' => ${phpString(server.host)}, 'port' => ${server.port ?? MYSQL_PORT}],`,
  );
  const data = [
    '[',
    `    'blowfishSecret' => ${phpString(props.blowfishSecretHex.toLowerCase())},`,
    "    'servers' => [",
    ...servers,
    '    ],',
    ']',
  ].join('\n');
  return configText(data, props.sslCaPath ?? RDS_CA_BUNDLE_PATH, props.tempDir ?? PHPMYADMIN_TEMP_DIR);
}

/** config.inc.php as the user data installs it: its data read from {@link PHPMYADMIN_SETTINGS_PATH}. */
function bootConfig(): string {
  const data = `json_decode((string) file_get_contents(${phpString(PHPMYADMIN_SETTINGS_PATH)}), true, 8, JSON_THROW_ON_ERROR)`;
  return configText(data, RDS_CA_BUNDLE_PATH, PHPMYADMIN_TEMP_DIR);
}

/** The nginx server serving phpMyAdmin through php-fpm (a conf.d file, inside `http {}`). */
export function renderPhpMyAdminNginxServer(props: PhpMyAdminNginxProps = {}): string {
  check(validateNginx(props));
  return [
    '# phpMyAdmin, generated by storestack (src/assets/phpmyadmin/render.ts). Do not edit.',
    '# Reachable from the VPC and the VPN only: the security group admits nobody else.',
    'server {',
    `    listen ${props.port ?? 80} default_server;`,
    '    server_name _;',
    `    root ${props.root ?? PHPMYADMIN_ROOT};`,
    '    index index.php;',
    '    server_tokens off;',
    '    client_max_body_size 64m;',
    '',
    "    # phpMyAdmin's set-up wizard, its code and its templates are never served.",
    '    location ~ ^/(?:setup|libraries|templates|vendor|sql|tmp)(?:/|$) {',
    '        deny all;',
    '    }',
    '    location ~ /\\. {',
    '        deny all;',
    '    }',
    '',
    '    location ~ \\.php$ {',
    '        try_files $uri =404;',
    '        include fastcgi_params;',
    // The resolved path: the root is a symlink switched to the next release on upgrade.
    '        fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;',
    '        fastcgi_param DOCUMENT_ROOT $realpath_root;',
    '        fastcgi_read_timeout 300s;',
    `        fastcgi_pass unix:${props.phpFpmSocket ?? PHP_FPM_SOCKET};`,
    '    }',
    '',
    '    location / {',
    '        try_files $uri $uri/ =404;',
    '    }',
    '}',
    '',
  ].join('\n');
}

/**
 * The phpMyAdmin instance's user data for Amazon Linux 2023: `#!/bin/bash`, a header holding the
 * settings, config.inc.php and the nginx server, then setup-phpmyadmin.sh without its shebang.
 * Throws an {@link InvalidPhpMyAdminError} listing every problem of `props`.
 */
export function renderPhpMyAdminUserData(props: PhpMyAdminUserDataProps): string {
  check(validateUserData(props));
  const url = (props.downloadUrl ?? PHPMYADMIN_DOWNLOAD_URL).replaceAll('{version}', props.version);
  const body = readAssetFile(import.meta.dirname, SCRIPT_IN_PROJECT).replace(/^#!.*\n/, '');
  const header = [
    '#!/bin/bash',
    '# storestack phpMyAdmin, generated by src/assets/phpmyadmin/render.ts.',
    `PMA_VERSION=${shellQuote(props.version)}`,
    `PMA_SHA256=${shellQuote(props.sha256 ?? '')}`,
    `PMA_URL=${shellQuote(url)}`,
    `PMA_REGION=${shellQuote(props.region)}`,
    '# Each server: its label, and the SSM parameter holding its endpoint (host or host:port).',
    `PMA_SERVER_LABELS=(${props.servers.map((server) => shellQuote(server.label)).join(' ')})`,
    `PMA_SERVER_PARAMETERS=(${props.servers.map((server) => shellQuote(server.endpointParameter)).join(' ')})`,
    `PMA_CA_BUNDLE_URL=${shellQuote(props.caBundleUrl ?? RDS_CA_BUNDLE_URL)}`,
    `PMA_CA_BUNDLE=${shellQuote(RDS_CA_BUNDLE_PATH)}`,
    `PMA_ROOT=${shellQuote(PHPMYADMIN_ROOT)}`,
    `PMA_TEMP_DIR=${shellQuote(PHPMYADMIN_TEMP_DIR)}`,
    `PMA_SETTINGS=${shellQuote(PHPMYADMIN_SETTINGS_PATH)}`,
    `PMA_SECRET=${shellQuote(PHPMYADMIN_SECRET_PATH)}`,
    `PMA_NGINX_CONF=${shellQuote(PHPMYADMIN_NGINX_PATH)}`,
    `PMA_DEFAULT_PORT=${MYSQL_PORT}`,
    `PMA_CONFIG="$(cat <<'${CONFIG_END}'`,
    bootConfig().trimEnd(),
    CONFIG_END,
    ')"',
    `PMA_NGINX_SERVER="$(cat <<'${NGINX_END}'`,
    renderPhpMyAdminNginxServer({ port: props.port }).trimEnd(),
    NGINX_END,
    ')"',
    '',
  ].join('\n');
  return `${header}${body}`;
}
