// The OpenVPN server (hosting document, section 6.A): "The client creation script is located in
// /root/client-configs/ The only parameter required by this script is a unique username." This
// renders the Amazon Linux 2023 user data that sets the server up, the server.conf it installs,
// and the two client scripts it installs in /root/client-configs/: make_config.sh <username> and
// revoke_client.sh <username>. The PKI (easy-rsa's directory and the tls-crypt key) is kept in one
// S3 object, so that a replaced instance keeps the same CA, the same server key and the same list
// of issued and revoked certificates. Each script is `#!/bin/bash`, a header of readonly settings,
// the shared functions of openvpn-common.sh, then its own body. Free of aws-cdk-lib: the bucket,
// the KMS key and the parameter may be CDK tokens (`${Token[...]}`), written out as text.

import {
  cidrContains,
  cidrsOverlap,
  type Ipv4Cidr,
  isPrivateAddress,
  parseCidr,
  parseIpv4,
} from '../../config/cidr.ts';
import { readAssetFile } from '../asset-files.ts';

/** Where the user data installs the client scripts (the document's path). */
export const CLIENT_CONFIGS_DIR = '/root/client-configs';
/** The working directory of Amazon Linux's openvpn-server@server unit, where server.conf goes. */
export const OPENVPN_SERVER_DIR = '/etc/openvpn/server';
/** The systemd unit that runs the server. */
export const OPENVPN_SERVICE = 'openvpn-server@server';

export type OpenVpnProtocol = 'udp' | 'tcp';

export interface OpenVpnProps {
  /** The clients' address pool, a private IPv4 block from /16 to /29, e.g. `10.8.0.0/24`. */
  readonly vpnCidr: string;
  /** The blocks pushed to the clients as routes through the VPN: the VPC CIDR(s). */
  readonly pushedRoutes: readonly string[];
  /** The DNS server pushed to the clients: the VPC resolver (VPC base + 2, e.g. `10.0.0.2`). */
  readonly dnsServer: string;
  /** The internal domain pushed to the clients as their search domain, e.g. `internal-client.url`. */
  readonly internalDomain: string;
  /** Default: 1194. */
  readonly port?: number;
  /** Default: `udp`. */
  readonly protocol?: OpenVpnProtocol;
  /** The SSM parameter holding the Elastic IP (or DNS name) the profiles connect to. */
  readonly publicHostParameter: string;
  readonly region: string;
  /** The versioned bucket that holds the PKI state. */
  readonly stateBucket: string;
  /** The object key of the PKI state (a tar.gz), e.g. `openvpn/pki.tar.gz`. */
  readonly stateKey: string;
  /** The KMS key the state is encrypted with (SSE-KMS). Default: S3's AWS-managed key (`aws/s3`). */
  readonly stateKmsKeyId?: string;
}

/** A rendered file: `path` relative to the output directory. */
export interface OpenVpnFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** The props are wrong; `problems` lists every one. */
export class InvalidOpenVpnError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid OpenVPN server:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidOpenVpnError';
  }
}

const DEFAULT_PORT = 1194;
const DEFAULT_PROTOCOL: OpenVpnProtocol = 'udp';
const TOKEN_MARKER = '${Token[';
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const SSM_NAME = /^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const OBJECT_KEY = /^[A-Za-z0-9!_.*'()-]+(?:\/[A-Za-z0-9!_.*'()-]+)*$/;
const KMS_KEY = /^[A-Za-z0-9:/_-]+$/;

const DIR = 'src/assets/openvpn';
const COMMON = 'openvpn-common.sh';
const SETUP = 'setup-openvpn-server.sh';
const MAKE_CONFIG = 'make_config.sh';
const REVOKE_CLIENT = 'revoke_client.sh';

const isToken = (value: string): boolean => value.includes(TOKEN_MARKER);

/** Single-quotes a value for bash. A CDK token inside stays as it is, for CDK to resolve. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function ipv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function netmask(prefix: number): string {
  return ipv4(2 ** 32 - 2 ** (32 - prefix));
}

function validate(props: OpenVpnProps): string[] {
  const errors: string[] = [];

  let pool: Ipv4Cidr | undefined;
  const parsedPool = parseCidr(props.vpnCidr);
  if (!parsedPool.ok) {
    errors.push(`vpnCidr ${JSON.stringify(props.vpnCidr)} ${parsedPool.reason}`);
  } else if (parsedPool.cidr.prefix < 16 || parsedPool.cidr.prefix > 29) {
    errors.push(`vpnCidr ${props.vpnCidr} must be a /16 to /29 block (OpenVPN's server pool)`);
  } else if (!isPrivateAddress(parsedPool.cidr.network)) {
    errors.push(`vpnCidr ${props.vpnCidr} must be a private (RFC 1918) block`);
  } else {
    pool = parsedPool.cidr;
  }

  const routes: Ipv4Cidr[] = [];
  if (props.pushedRoutes.length === 0) errors.push('pushedRoutes must list at least one block (the VPC CIDR)');
  const seen = new Set<string>();
  props.pushedRoutes.forEach((text, index) => {
    const at = `pushedRoutes[${index}]`;
    const parsed = parseCidr(text);
    if (!parsed.ok) {
      errors.push(`${at} ${JSON.stringify(text)} ${parsed.reason}`);
      return;
    }
    if (parsed.cidr.prefix === 0) {
      errors.push(`${at} ${text} would send all the clients' traffic through the VPN; list the VPC CIDR(s)`);
    } else if (seen.has(text)) {
      errors.push(`${at} ${text} is listed twice`);
    } else if (pool && cidrsOverlap(pool, parsed.cidr)) {
      errors.push(`${at} ${text} overlaps vpnCidr ${props.vpnCidr}`);
    }
    seen.add(text);
    if (parsed.cidr.prefix > 0) routes.push(parsed.cidr);
  });

  const dns = parseIpv4(props.dnsServer);
  if (dns === undefined) {
    errors.push(
      `dnsServer ${JSON.stringify(props.dnsServer)} is not an IPv4 address (the VPC resolver, e.g. 10.0.0.2)`,
    );
  } else if (
    routes.length > 0 &&
    !routes.some((route) => cidrContains(route, { text: '', network: dns, prefix: 32 }))
  ) {
    errors.push(`dnsServer ${props.dnsServer} is outside every pushed route: the clients could not reach it`);
  }

  if (!HOST_NAME.test(props.internalDomain)) {
    errors.push(
      `internalDomain ${JSON.stringify(props.internalDomain)} is not a lower-case DNS name such as internal-client.url`,
    );
  }
  const port = props.port ?? DEFAULT_PORT;
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    errors.push(`port ${JSON.stringify(port)} is not a port (1-65535)`);
  }
  const protocol = props.protocol ?? DEFAULT_PROTOCOL;
  if (protocol !== 'udp' && protocol !== 'tcp') {
    errors.push(`protocol ${JSON.stringify(protocol)} must be udp or tcp`);
  }
  if (!isToken(props.publicHostParameter) && !SSM_NAME.test(props.publicHostParameter)) {
    errors.push(`publicHostParameter ${JSON.stringify(props.publicHostParameter)} is not an SSM parameter name`);
  }
  if (!REGION.test(props.region)) {
    errors.push(`region ${JSON.stringify(props.region)} is not an AWS region such as eu-west-1`);
  }
  if (!isToken(props.stateBucket) && (!BUCKET.test(props.stateBucket) || props.stateBucket.includes('..'))) {
    errors.push(`stateBucket ${JSON.stringify(props.stateBucket)} is not an S3 bucket name`);
  }
  if (!OBJECT_KEY.test(props.stateKey) || props.stateKey.split('/').some((part) => part === '.' || part === '..')) {
    errors.push(
      `stateKey ${JSON.stringify(props.stateKey)} must be a plain object key such as openvpn/pki.tar.gz ` +
        "(letters, digits, !_.*'()- between single slashes, no leading or trailing slash)",
    );
  }
  const kms = props.stateKmsKeyId;
  if (kms !== undefined && !isToken(kms) && !KMS_KEY.test(kms)) {
    errors.push(`stateKmsKeyId ${JSON.stringify(kms)} is not a KMS key id, ARN or alias`);
  }
  return errors;
}

function check(props: OpenVpnProps): void {
  const errors = validate(props);
  if (errors.length > 0) throw new InvalidOpenVpnError(errors);
}

/**
 * The server's configuration. Every file it names is relative to its directory, the working
 * directory of openvpn-server@server ({@link OPENVPN_SERVER_DIR}).
 */
export function renderOpenVpnServerConfig(props: OpenVpnProps): string {
  check(props);
  const pool = parseCidr(props.vpnCidr);
  if (!pool.ok) throw new Error('unreachable');
  const protocol = props.protocol ?? DEFAULT_PROTOCOL;
  const routes = props.pushedRoutes.map((text) => {
    const route = parseCidr(text);
    if (!route.ok) throw new Error('unreachable');
    return `push "route ${ipv4(route.cidr.network)} ${netmask(route.cidr.prefix)}"`;
  });
  const lines = [
    '# OpenVPN server (hosting document 6.A), generated by storestack (src/assets/openvpn/render.ts).',
    '# Do not edit: change the configuration and render it again. Files are relative to this directory.',
    `port ${props.port ?? DEFAULT_PORT}`,
    `proto ${protocol}`,
    'dev tun',
    'topology subnet',
    `server ${ipv4(pool.cidr.network)} ${netmask(pool.cidr.prefix)}`,
    ...routes,
    `push "dhcp-option DNS ${props.dnsServer}"`,
    `push "dhcp-option DOMAIN ${props.internalDomain}"`,
    '',
    'ca ca.crt',
    'cert server.crt',
    'key server.key',
    // ECDHE only: the keys are elliptic, no Diffie-Hellman parameters to generate.
    'dh none',
    // Encrypts and authenticates the control channel: packets without the key are dropped unanswered.
    'tls-crypt ta.key',
    'crl-verify crl.pem',
    'verify-client-cert require',
    'remote-cert-tls client',
    'tls-version-min 1.2',
    'data-ciphers AES-256-GCM:AES-128-GCM',
    '',
    'keepalive 10 120',
    'user nobody',
    'group nobody',
    'persist-key',
    'persist-tun',
    ...(protocol === 'udp' ? ['explicit-exit-notify 1'] : []),
    'verb 3',
  ];
  return `${lines.join('\n')}\n`;
}

function body(name: string): string {
  return readAssetFile(import.meta.dirname, `${DIR}/${name}`).replace(/^#!.*\n/, '');
}

/** The settings every script reads (the state's location, the region). */
function stateSettings(props: OpenVpnProps): string[] {
  return [
    `readonly VPN_REGION=${shellQuote(props.region)}`,
    `readonly VPN_STATE_BUCKET=${shellQuote(props.stateBucket)}`,
    `readonly VPN_STATE_KEY=${shellQuote(props.stateKey)}`,
    `readonly VPN_STATE_KMS_KEY_ID=${shellQuote(props.stateKmsKeyId ?? '')}`,
  ];
}

function script(title: string, settings: readonly string[], name: string): string {
  return [
    '#!/bin/bash',
    `# ${title} (hosting document 6.A), generated by src/assets/openvpn/render.ts.`,
    ...settings,
    body(COMMON),
    body(name),
  ].join('\n');
}

/** A heredoc that sets `variable` to `content`, refusing content that holds its end marker. */
function heredoc(variable: string, marker: string, content: string): string[] {
  if (content.split('\n').includes(marker)) throw new Error(`${marker} appears inside the content of ${variable}`);
  return [`${variable}="$(cat <<'${marker}'`, content.replace(/\n$/, ''), marker, ')"'];
}

/** `/root/client-configs/make_config.sh <username>`: issues a client certificate and writes its profile. */
export function renderMakeConfig(props: OpenVpnProps): string {
  check(props);
  return script(
    'OpenVPN client creation',
    [
      ...stateSettings(props),
      `readonly VPN_PORT=${props.port ?? DEFAULT_PORT}`,
      `readonly VPN_PROTOCOL=${props.protocol ?? DEFAULT_PROTOCOL}`,
      `readonly VPN_PUBLIC_HOST_PARAMETER=${shellQuote(props.publicHostParameter)}`,
    ],
    MAKE_CONFIG,
  );
}

/** `/root/client-configs/revoke_client.sh <username>`: revokes a client's certificate. */
export function renderRevokeClient(props: OpenVpnProps): string {
  check(props);
  return script('OpenVPN client revocation', stateSettings(props), REVOKE_CLIENT);
}

/**
 * The user data for Amazon Linux 2023: the settings, server.conf and both client scripts in a
 * header, then the shared functions and setup-openvpn-server.sh. Throws an
 * {@link InvalidOpenVpnError} listing every problem of `props`.
 */
export function renderOpenVpnUserData(props: OpenVpnProps): string {
  check(props);
  return script(
    'OpenVPN server set-up',
    [
      ...stateSettings(props),
      `readonly VPN_CIDR=${shellQuote(props.vpnCidr)}`,
      '# server.conf, then the client scripts the set-up installs in the client configs directory.',
      ...heredoc('SERVER_CONF', 'STORESTACK_SERVER_CONF', renderOpenVpnServerConfig(props)),
      ...heredoc('MAKE_CONFIG_SCRIPT', 'STORESTACK_MAKE_CONFIG_SH', renderMakeConfig(props)),
      ...heredoc('REVOKE_CLIENT_SCRIPT', 'STORESTACK_REVOKE_CLIENT_SH', renderRevokeClient(props)),
    ],
    SETUP,
  );
}

/**
 * Every file: `user-data.sh` (0755), `server.conf` (0644, as the user data installs it) and the
 * client scripts as installed in {@link CLIENT_CONFIGS_DIR} (0700), sorted by path.
 */
export function renderOpenVpnFiles(props: OpenVpnProps): OpenVpnFile[] {
  return [
    { path: `client-configs/${MAKE_CONFIG}`, content: renderMakeConfig(props), mode: 0o700 },
    { path: `client-configs/${REVOKE_CLIENT}`, content: renderRevokeClient(props), mode: 0o700 },
    { path: 'server.conf', content: renderOpenVpnServerConfig(props), mode: 0o644 },
    { path: 'user-data.sh', content: renderOpenVpnUserData(props), mode: 0o755 },
  ];
}
