// The HAProxy gateways (hosting document, section 6.D): "an instance running HAProxy. It provides
// public access for certain services, without completely exposing the instance". One gateway per
// `gateway.servers[]` entry forwards its TCP services, port for port, to `<backend>.<internal
// domain>`, to the whitelisted sources only. This renders its haproxy.cfg and its user data
// (setup-gateway.sh behind a header holding the configuration). Free of aws-cdk-lib.

import { parseCidr, parseIpv4 } from '../../config/cidr.ts';
import type { Platform } from '../../config/schema.ts';
import { readAssetFile } from '../asset-files.ts';

/** The VPC's DNS resolver (Amazon's, at the same address in every VPC). */
export const VPC_RESOLVER = '169.254.169.253:53';
/** Where Amazon Linux 2023's haproxy package reads its configuration. */
export const HAPROXY_CONFIG_PATH = '/etc/haproxy/haproxy.cfg';

/** A TCP service the gateway forwards: every port of `ports`, each to the same port of the backend. */
export interface GatewayService {
  /** `[a-z][a-z0-9-]{0,30}`, unique: the name of its `frontend` section. */
  readonly name: string;
  /** Both ends included. `to` defaults to `from` (one port). */
  readonly ports: { readonly from: number; readonly to?: number };
}

/** Timeouts, in whole seconds. */
export interface HaproxyTimeouts {
  /** To open the connection to the backend. Default: 5. */
  readonly connectSeconds?: number;
  /** Idle time allowed on the client's side: RDP and FTP sessions sit idle. Default: 3600. */
  readonly clientSeconds?: number;
  /** Idle time allowed on the backend's side. Default: 3600. */
  readonly serverSeconds?: number;
}

export interface HaproxyConfigProps {
  /** The only sources accepted (IPv4 CIDR blocks), checked again at each connection beside the security group. */
  readonly whitelist: readonly string[];
  /** Where every service goes: a DNS name (e.g. `windows.internal-client.url`) or an IPv4 address. */
  readonly backendHost: string;
  readonly services: readonly GatewayService[];
  /**
   * `address:port` of the DNS server that resolves a backend name at run time, so that the gateway
   * follows the backend when it changes address. Default: the VPC resolver, {@link VPC_RESOLVER}.
   * `null`: none, only for an IPv4 backend (an IPv4 backend never uses one).
   */
  readonly resolver?: string | null;
  /** The IPv4 address the services listen on. Default: every address of the instance. */
  readonly bindAddress?: string;
  /** HAProxy's `maxconn`, globally and per service. Default: 4096. */
  readonly maxConnections?: number;
  readonly timeouts?: HaproxyTimeouts;
}

/** A rendered file of a gateway. */
export interface GatewayFile {
  /** Relative to the output directory: `haproxy.cfg`, `user-data.sh`. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** The props of a gateway are wrong; `problems` lists every one. */
export class InvalidGatewayError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid HAProxy gateway:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidGatewayError';
  }
}

/** A gateway name the configuration does not have. */
export class UnknownGatewayError extends Error {
  constructor(
    readonly gateway: string,
    readonly known: readonly string[],
  ) {
    super(`${gateway} is not a gateway of the configuration (known: ${known.join(', ')})`);
    this.name = 'UnknownGatewayError';
  }
}

const DEFAULT_MAX_CONNECTIONS = 4096;
const DEFAULT_TIMEOUTS: Required<HaproxyTimeouts> = { connectSeconds: 5, clientSeconds: 3600, serverSeconds: 3600 };
/** The backend section every service forwards to, and its one server. */
const BACKEND = 'forward';
const SERVER = 'target';
const RESOLVERS = 'dns';

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const LOOKS_NUMERIC = /^[0-9.]+$/;
const ADDRESS_AND_PORT = /^([0-9.]+):([0-9]{1,5})$/;

const SCRIPT_NAME = 'setup-gateway.sh';
const SCRIPT_IN_PROJECT = `src/assets/gateway/${SCRIPT_NAME}`;
const HEREDOC_END = 'STORESTACK_HAPROXY_CFG';

const isPort = (value: number): boolean => Number.isSafeInteger(value) && value >= 1 && value <= 65535;
const isPositiveWhole = (value: number): boolean => Number.isSafeInteger(value) && value > 0;
const lastPort = (service: GatewayService): number => service.ports.to ?? service.ports.from;
const showPorts = (service: GatewayService): string =>
  lastPort(service) === service.ports.from ? `${service.ports.from}` : `${service.ports.from}-${lastPort(service)}`;

/** Seconds in HAProxy's time format, in the largest whole unit: `1h`, `5m`, `90s`. */
function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

function validate(props: HaproxyConfigProps): string[] {
  const errors: string[] = [];

  if (props.whitelist.length === 0) errors.push('whitelist must list at least one CIDR block: nobody could connect');
  const seenCidrs = new Set<string>();
  props.whitelist.forEach((text, index) => {
    const at = `whitelist[${index}]`;
    const parsed = parseCidr(text);
    if (!parsed.ok) {
      errors.push(`${at} ${JSON.stringify(text)} ${parsed.reason}`);
    } else if (parsed.cidr.prefix === 0) {
      errors.push(`${at} ${text} would open the gateway to the whole internet; list the client's addresses`);
    } else if (seenCidrs.has(text)) {
      errors.push(`${at} ${text} is listed twice`);
    }
    seenCidrs.add(text);
  });

  const host = props.backendHost;
  const hostIsAddress = isIpv4(host);
  if (!hostIsAddress && (LOOKS_NUMERIC.test(host) || !HOST_NAME.test(host))) {
    errors.push(
      `backendHost ${JSON.stringify(host)} is neither an IPv4 address nor a lower-case DNS name such as windows.internal-client.url`,
    );
  }

  if (props.resolver === null) {
    if (!hostIsAddress && HOST_NAME.test(host) && !LOOKS_NUMERIC.test(host)) {
      errors.push(
        `resolver is null but backendHost ${host} is a name: resolved once at start, the gateway would not follow the backend when it changes address`,
      );
    }
  } else if (props.resolver !== undefined) {
    const match = ADDRESS_AND_PORT.exec(props.resolver);
    if (!match || !isIpv4(match[1] ?? '') || !isPort(Number(match[2]))) {
      errors.push(`resolver ${JSON.stringify(props.resolver)} is not an IPv4 address and port such as ${VPC_RESOLVER}`);
    }
  }

  if (props.bindAddress !== undefined && !isIpv4(props.bindAddress)) {
    errors.push(`bindAddress ${JSON.stringify(props.bindAddress)} is not an IPv4 address`);
  }

  if (props.services.length === 0) errors.push('services must list at least one service');
  const names = new Map<string, number>();
  const validRanges: { index: number; service: GatewayService }[] = [];
  props.services.forEach((service, index) => {
    const at = `services[${index}]`;
    if (!SERVICE_NAME.test(service.name)) {
      errors.push(`${at}.name ${JSON.stringify(service.name)} must match [a-z][a-z0-9-]{0,30}`);
    } else if (names.has(service.name)) {
      errors.push(`${at}.name ${service.name} is already the name of services[${names.get(service.name)}]`);
    } else {
      names.set(service.name, index);
    }
    const { from, to } = service.ports;
    let valid = true;
    if (!isPort(from)) {
      errors.push(`${at}.ports.from ${JSON.stringify(from)} is not a TCP port (1-65535)`);
      valid = false;
    }
    if (to !== undefined && !isPort(to)) {
      errors.push(`${at}.ports.to ${JSON.stringify(to)} is not a TCP port (1-65535)`);
      valid = false;
    }
    if (valid && to !== undefined && to < from) {
      errors.push(`${at}.ports ${from}-${to} ends below its start (${service.name}): to must not be below from`);
      valid = false;
    }
    if (!valid) return;
    for (const other of validRanges) {
      if (other.service.ports.from <= lastPort(service) && from <= lastPort(other.service)) {
        errors.push(
          `${at}.ports ${showPorts(service)} (${service.name}) overlaps services[${other.index}].ports ` +
            `${showPorts(other.service)} (${other.service.name}): a port is forwarded once`,
        );
      }
    }
    validRanges.push({ index, service });
  });

  if (props.maxConnections !== undefined && !isPositiveWhole(props.maxConnections)) {
    errors.push(`maxConnections must be a positive whole number (got ${props.maxConnections})`);
  }
  for (const [key, value] of Object.entries(props.timeouts ?? {})) {
    if (value !== undefined && !isPositiveWhole(value)) {
      errors.push(`timeouts.${key} must be a positive whole number of seconds (got ${value})`);
    }
  }
  return errors;
}

function check(props: HaproxyConfigProps): void {
  const errors = validate(props);
  if (errors.length > 0) throw new InvalidGatewayError(errors);
}

/** The `resolver` HAProxy uses for the backend's name, or undefined when the backend is an address. */
function runtimeResolver(props: HaproxyConfigProps): string | undefined {
  if (isIpv4(props.backendHost)) return undefined;
  return props.resolver ?? VPC_RESOLVER;
}

function renderConfig(props: HaproxyConfigProps): string {
  const maxconn = props.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...props.timeouts };
  const resolver = runtimeResolver(props);
  const whitelist = props.whitelist.join(' ');
  const lines = [
    '# HAProxy gateway (hosting document 6.D), generated by storestack (src/assets/gateway/render.ts).',
    "# Do not edit: change the configuration's gateway section and render it again.",
    `# Forwards each service, port for port, to ${props.backendHost}; accepts only ${whitelist}.`,
    '',
    'global',
    // journald's socket on Amazon Linux 2023 (no chroot, so that HAProxy can reach it).
    '  log /dev/log local0',
    `  maxconn ${maxconn}`,
    '  user haproxy',
    '  group haproxy',
    '',
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    // Keep-alives on both sides: an idle RDP or FTP session whose peer vanished is noticed.
    '  option tcpka',
    `  maxconn ${maxconn}`,
    `  timeout connect ${duration(timeouts.connectSeconds)}`,
    `  timeout client ${duration(timeouts.clientSeconds)}`,
    `  timeout server ${duration(timeouts.serverSeconds)}`,
    '  timeout client-fin 30s',
    '  timeout server-fin 30s',
    '',
  ];
  if (resolver !== undefined) {
    lines.push(
      // The backend re-registers its name when it boots: resolve it at run time, every second, and
      // keep a good answer only briefly.
      `resolvers ${RESOLVERS}`,
      `  nameserver ${RESOLVERS} ${resolver}`,
      '  resolve_retries 3',
      '  timeout resolve 1s',
      '  timeout retry 1s',
      '  hold valid 10s',
      '',
    );
  }
  for (const service of props.services) {
    const ports = showPorts(service);
    lines.push(
      `frontend ${service.name}`,
      `  bind ${props.bindAddress ?? ''}:${ports}`,
      // Defence in depth beside the security group: anyone else is closed on at once.
      `  tcp-request connection reject unless { src ${whitelist} }`,
      `  default_backend ${BACKEND}`,
      '',
    );
  }
  // No port on the server: each connection goes to the port it came in on (port for port).
  const server = [`  server ${SERVER} ${props.backendHost}`];
  if (resolver !== undefined) {
    // init-addr: start even while the name does not resolve yet; the resolvers fill it in later.
    server.push(`resolvers ${RESOLVERS}`, 'resolve-prefer ipv4', 'init-addr last,libc,none');
  }
  lines.push(`backend ${BACKEND}`, server.join(' '));
  return `${lines.join('\n')}\n`;
}

/** The haproxy.cfg of a gateway. Throws an {@link InvalidGatewayError} listing every problem of `props`. */
export function renderHaproxyConfig(props: HaproxyConfigProps): string {
  check(props);
  return renderConfig(props);
}

/**
 * The gateway's user data for Amazon Linux 2023: `#!/bin/bash`, a header holding the haproxy.cfg,
 * then setup-gateway.sh without its own shebang line. Throws as {@link renderHaproxyConfig} does.
 */
export function renderGatewayUserData(props: HaproxyConfigProps): string {
  const config = renderHaproxyConfig(props);
  const body = readAssetFile(import.meta.dirname, SCRIPT_IN_PROJECT).replace(/^#!.*\n/, '');
  const header = [
    '#!/bin/bash',
    '# storestack HAProxy gateway (hosting document 6.D), generated by src/assets/gateway/render.ts.',
    `# The configuration HAProxy runs with, written to ${HAPROXY_CONFIG_PATH} once haproxy -c accepts it.`,
    `HAPROXY_CONFIG="$(cat <<'${HEREDOC_END}'`,
    config.trimEnd(),
    HEREDOC_END,
    ')"',
    '',
  ].join('\n');
  return `${header}${body}`;
}

/** The props of the gateway `name` of the configuration. Throws an {@link UnknownGatewayError}. */
export function gatewayProps(platform: Platform, name: string): HaproxyConfigProps {
  const servers = platform.gateway.servers;
  const server = servers.find((candidate) => candidate.name === name);
  if (!server) {
    throw new UnknownGatewayError(
      name,
      servers.map((candidate) => candidate.name),
    );
  }
  return {
    whitelist: platform.gateway.whitelist,
    backendHost: `${server.backend}.${platform.domains.internal}`,
    services: server.services,
  };
}

/** The files of the gateway `name`: `haproxy.cfg` (0644) and `user-data.sh` (0755), sorted by path. */
export function renderGateway(platform: Platform, name: string): GatewayFile[] {
  const props = gatewayProps(platform, name);
  return [
    { path: 'haproxy.cfg', content: renderHaproxyConfig(props), mode: 0o644 },
    { path: 'user-data.sh', content: renderGatewayUserData(props), mode: 0o755 },
  ];
}
