// The rehearsal's load balancer: HAProxy standing in for the Application Load Balancer, and a client
// of its runtime API (the admin socket) for what the ALB's API does during a release.
//
// What it copies from the ALB (src/aws/load-balancer.ts, src/release/maintenance.ts):
// - the listener's routing: `/backend` and `/backend/*` to the back office's target group (backend
//   `backoffice`), everything else to the front end's (backend `frontend`);
// - the target groups' health checks: GET <healthCheckPath> every <healthIntervalMs>, healthy on a
//   200, two failures to mark a target unhealthy and two successes to bring it back; an unhealthy
//   target gets no new requests;
// - registration: a server (each at start, any leaving maintenance) takes no request until two
//   health checks have passed, as a new target stays "initial" until healthy;
// - deregistration with a delay (draining): `drain` stops new requests to a server while the ones
//   in flight finish, `deregister()` then waits up to the delay and takes the server out;
// - storestack's maintenance rules: while the map file holds the key `on`, every request gets the
//   fixed 503 page, except those from an exempt source (the ACL file) and those for /static/,
//   /pub/static/, /media/ and /pub/media/, which still reach the instances. The runtime API changes
//   the map and the ACL in memory, at once, as the ALB applies rule changes.
//
// Where it differs: HAProxy retries a request whose connection to the instance failed (on another
// instance when it can: `retries`, `option redispatch`), where an ALB would answer 502; set
// `retries: 0` for the ALB's behaviour. With no healthy server HAProxy answers 503, where an ALB
// "fails open" and sends to every registered target.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, isIP } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { HAPROXY_BACKENDS, type InstanceRole, type RehearsalLayout, rehearsalLayout } from './layout.ts';
import { type RunningDaemon, startDaemon, stopDaemon } from './process.ts';
import { requireProgram } from './programs.ts';

/** The paths that maintenance still serves to everyone (src/release/maintenance.ts's ALWAYS_SERVED_PATHS). */
export const MAINTENANCE_ALWAYS_SERVED_PREFIXES = ['/static/', '/pub/static/', '/media/', '/pub/media/'] as const;
/** The back office's paths: `/backend` itself and everything under `/backend/`. */
export const BACK_OFFICE_PREFIX = '/backend';

export interface HaproxyOptions {
  /** The target groups' health check path, e.g. `/pub/health_check.php`. */
  readonly healthCheckPath: string;
  /** Time between two health checks of a server. */
  readonly healthIntervalMs: number;
  /**
   * The deregistration delay: how long a deregistered server may finish its requests. HAProxy has
   * no such timer; `HaproxyRuntime.deregister()` applies it.
   */
  readonly drainSeconds: number;
  /**
   * The maintenance page (HTML), served with a 503. At most 1024 bytes on an ALB; HAProxy takes up
   * to 8 KiB. Read when HAProxy starts: another page needs a restart.
   */
  readonly maintenancePage: string;
  /**
   * How long a health check may take. Defaults to the interval, at most 5 s (the ALB's default).
   */
  readonly healthTimeoutMs?: number;
  /**
   * Retries of a request whose connection to a server failed, the last one on another server.
   * An ALB does not retry: 0 makes such a request fail as it would there.
   * @default 2
   */
  readonly retries?: number;
  /** The ALB's idle timeout: how long a connection may stay silent. @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** How long HAProxy waits for an instance to accept a connection. @default 2000 */
  readonly connectTimeoutMs?: number;
}

const PAGE_LIMIT_BYTES = 8192;
// HAProxy's configuration and its runtime API split words on blanks (and the API commands on `;`):
// the files they name must not hold any.
const PLAIN_PATH = /^\/[A-Za-z0-9._/+-]+$/;
const URL_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

function checkPlainPath(what: string, path: string): void {
  if (!PLAIN_PATH.test(path)) {
    throw new Error(
      `HAProxy's ${what} ${JSON.stringify(path)} must be an absolute path of letters, digits and ./_+- only ` +
        '(HAProxy splits its configuration and commands on blanks)',
    );
  }
}

function checkOptions(options: HaproxyOptions): void {
  const errors: string[] = [];
  if (!URL_PATH.test(options.healthCheckPath)) {
    errors.push(`healthCheckPath ${JSON.stringify(options.healthCheckPath)} must be a plain URL path`);
  }
  const positive: [string, number | undefined][] = [
    ['healthIntervalMs', options.healthIntervalMs],
    ['healthTimeoutMs', options.healthTimeoutMs],
    ['idleTimeoutSeconds', options.idleTimeoutSeconds],
    ['connectTimeoutMs', options.connectTimeoutMs],
  ];
  for (const [name, value] of positive) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      errors.push(`${name} must be a positive whole number (got ${value})`);
    }
  }
  for (const [name, value] of [
    ['drainSeconds', options.drainSeconds],
    ['retries', options.retries],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      errors.push(`${name} must be a whole number, 0 or more (got ${value})`);
    }
  }
  const bytes = Buffer.byteLength(options.maintenancePage ?? '');
  if (bytes > PAGE_LIMIT_BYTES)
    errors.push(`the maintenance page is ${bytes} bytes; HAProxy takes ${PAGE_LIMIT_BYTES}`);
  if (errors.length > 0) throw new Error(`Invalid HAProxy options:\n  - ${errors.join('\n  - ')}`);
}

/**
 * The maintenance page as an HTTP response file (HAProxy's `errorfile` format): status line,
 * headers, the page. The ALB's fixed response is `text/html`, never cached.
 */
export function renderMaintenanceResponse(page: string): string {
  return [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: text/html; charset=utf-8',
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(page)}`,
    'Connection: close',
    '',
    page,
  ].join('\r\n');
}

/** HAProxy's configuration for the rehearsal's layout. Throws one error listing every invalid option. */
export function renderHaproxyConfig(layout: RehearsalLayout, options: HaproxyOptions): string {
  checkOptions(options);
  const { haproxy } = layout;
  checkPlainPath('socket', haproxy.socket);
  checkPlainPath('maintenance map', haproxy.maintenanceMap);
  checkPlainPath('exempt ACL', haproxy.exemptAcl);
  checkPlainPath('maintenance page', haproxy.page);
  checkPlainPath('pid file', haproxy.pidFile);
  const interval = options.healthIntervalMs;
  const checkTimeout = options.healthTimeoutMs ?? Math.min(interval, 5000);
  const idle = options.idleTimeoutSeconds ?? 60;
  const retries = options.retries ?? 2;

  const backend = (role: InstanceRole): string[] => {
    const servers = layout.instances.filter((instance) => instance.role === role);
    return [
      `backend ${HAPROXY_BACKENDS[role]}`,
      '    balance roundrobin',
      '    option httpchk',
      // HTTP/1.1 with a Host, as the ALB's checker sends them (nginx has no server_name to match).
      `    http-check send meth GET uri ${options.healthCheckPath} ver HTTP/1.1 hdr Host rehearsal hdr User-Agent ELB-HealthChecker/2.0`,
      '    http-check expect status 200',
      `    timeout check ${checkTimeout}ms`,
      // The ALB's thresholds here are 2 and 2: an instance is out after two failed checks, back
      // after two good ones. `set server ... state drain` keeps a server's requests in flight and
      // sends it no new ones; `maint` takes it out.
      `    default-server check inter ${interval} fastinter ${interval} downinter ${interval} fall 2 rise 2`,
      // `disabled`: in maintenance at start. startHaproxy then registers each (HaproxyRuntime.setState),
      // DOWN until two good checks, as an ALB's new target is "initial" until healthy; HAProxy
      // alone would assume it UP and send it requests before any check.
      ...servers.map((instance) => `    server ${instance.id} ${instance.address}:${instance.port} disabled`),
      '',
    ];
  };

  const always = MAINTENANCE_ALWAYS_SERVED_PREFIXES.join(' ');
  return [
    '# The rehearsal load balancer, generated by src/rehearsal/haproxy.ts. Runs in the foreground (-db).',
    'global',
    `    stats socket ${haproxy.socket} mode 600 level admin expose-fd listeners`,
    `    pidfile ${haproxy.pidFile}`,
    '    log stdout format raw local0 info',
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlognull',
    '    option forwardfor',
    '    option redispatch 1',
    `    retries ${retries}`,
    `    timeout connect ${options.connectTimeoutMs ?? 2000}ms`,
    `    timeout client ${idle}s`,
    `    timeout server ${idle}s`,
    `    timeout http-keep-alive ${idle}s`,
    '    timeout http-request 10s',
    `    # deregistration delay: ${options.drainSeconds} s (applied by HaproxyRuntime.deregister)`,
    '',
    'frontend alb',
    `    bind ${layout.alb.address}:${layout.alb.port}`,
    // The map is looked up for the key `on`: no key, no value, no match.
    `    acl maintenance_on str(on),map(${haproxy.maintenanceMap}) -m found`,
    `    acl exempt_source src -f ${haproxy.exemptAcl}`,
    `    acl always_served path_beg ${always}`,
    `    http-request return status 503 errorfile ${haproxy.page} if maintenance_on !exempt_source !always_served`,
    // Two lines of one ACL: either matches.
    `    acl back_office path ${BACK_OFFICE_PREFIX}`,
    `    acl back_office path_beg ${BACK_OFFICE_PREFIX}/`,
    `    use_backend ${HAPROXY_BACKENDS.backOffice} if back_office`,
    `    default_backend ${HAPROXY_BACKENDS.frontend}`,
    '',
    ...backend('frontend'),
    ...backend('backOffice'),
  ].join('\n');
}

/** HAProxy's binary, or an error naming the Debian package to install. */
export function requireHaproxy(): string {
  return requireProgram('haproxy');
}

/**
 * Writes HAProxy's files: the configuration, the empty maintenance map and exempt ACL (maintenance
 * off; the runtime API fills them) and the maintenance page. Then checks the configuration with
 * `haproxy -c`, failing with its output.
 */
export function writeHaproxyConfig(layout: RehearsalLayout, options: HaproxyOptions): void {
  const config = renderHaproxyConfig(layout, options);
  const { haproxy } = layout;
  mkdirSync(haproxy.dir, { recursive: true });
  writeFileSync(haproxy.config, `${config}\n`);
  writeFileSync(haproxy.maintenanceMap, '');
  writeFileSync(haproxy.exemptAcl, '');
  writeFileSync(haproxy.page, renderMaintenanceResponse(options.maintenancePage));
  const check = spawnSync(requireHaproxy(), ['-c', '-f', haproxy.config], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(
      `haproxy -c -f ${haproxy.config} failed (${check.error?.message ?? `exit ${check.status}`}):\n` +
        `${check.stdout ?? ''}${check.stderr ?? ''}`.trimEnd(),
    );
  }
}

/**
 * Writes and checks the configuration (writeHaproxyConfig), then starts HAProxy in the foreground
 * (`-db`), ready once its runtime API answers `show info`, and registers every server but the additional-batch ones: each takes
 * requests once two health checks have passed.
 */
export async function startHaproxy(layout: RehearsalLayout, options: HaproxyOptions): Promise<RunningDaemon> {
  writeHaproxyConfig(layout, options);
  const runtime = new HaproxyRuntime(layout, { drainSeconds: options.drainSeconds });
  const daemon = await startDaemon({
    name: 'haproxy',
    command: requireHaproxy(),
    args: ['-db', '-f', layout.haproxy.config],
    log: layout.haproxy.log,
    cwd: layout.haproxy.dir,
    ready: async () => {
      try {
        return (await runtime.command('show info')).includes('Name: HAProxy');
      } catch {
        return false;
      }
    },
  });
  // In the foreground HAProxy writes no pid file (`pidfile` is for daemon and master-worker modes).
  writeFileSync(layout.haproxy.pidFile, `${daemon.pid}\n`);
  try {
    // The additional-batch instances stay out until a deployment brings them in.
    for (const instance of layout.instances.filter((candidate) => !candidate.spare)) {
      await runtime.register(HAPROXY_BACKENDS[instance.role], instance.id);
    }
  } catch (error) {
    await stopDaemon(daemon);
    throw error;
  }
  return daemon;
}

/** Stops HAProxy (TERM: connections in flight are cut, as when an ALB is deleted). */
export async function stopHaproxy(daemon: RunningDaemon): Promise<void> {
  await stopDaemon(daemon);
}

/** A server's administrative state, as `set server ... state` sets it. */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

export interface ServerStatus {
  /** The instance id. */
  readonly name: string;
  readonly state: ServerAdminState;
  /**
   * What the health checks say, after the rise/fall thresholds: `UP`, `DOWN`, or `UP 1/2` style
   * transitions reduced to where the server stands (`UP` until it falls). `MAINT` while in maintenance
   * (HAProxy does not report health then).
   */
  readonly health: 'UP' | 'DOWN' | 'MAINT';
  /** HAProxy's own status column: `UP`, `DOWN 1/2`, `DRAIN`, `MAINT`, ... */
  readonly status: string;
  /** The last check's result: `L7OK`, `L7STS`, `L4CON`, ... (empty when none ran yet). */
  readonly checkStatus: string;
  /** Requests in flight on the server (`scur`). */
  readonly sessions: number;
  /** Requests it was sent since the start (`stot`). */
  readonly totalSessions: number;
}

export interface MaintenanceState {
  readonly on: boolean;
  /** The exempt sources, as HAProxy holds them (`127.0.0.1/32`, or a plain address). */
  readonly exempt: string[];
}

/**
 * Admin-state flags of `show servers state` (srv_admin_state): maintenance forced, inherited, by DNS
 * resolution, by a hostname; drain forced, inherited. Not 0x04: it marks a server configured
 * `disabled`, and stays when the server is made ready.
 */
const ADMIN_MAINT = 0x01 | 0x02 | 0x20 | 0x40;
const ADMIN_DRAIN = 0x08 | 0x10;

/** Splits one CSV line of `show stat` (HAProxy quotes no field of the server lines). */
function csvFields(line: string): string[] {
  return line.split(',');
}

function checkCidr(cidr: string): void {
  const [address, prefix, extra] = cidr.split('/');
  const family = isIP(address ?? '');
  const max = family === 6 ? 128 : 32;
  const prefixOk = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= max);
  if (family === 0 || !prefixOk || extra !== undefined) {
    throw new Error(`exempt CIDR ${JSON.stringify(cidr)} is not an IPv4 or IPv6 address or CIDR`);
  }
}

/** The layout whose admin socket is `socket`; throws when the path is not where a layout puts it. */
function layoutOfSocket(socket: string): RehearsalLayout {
  const layout = rehearsalLayout(dirname(dirname(socket)));
  if (layout.haproxy.socket !== socket) {
    throw new Error(`${socket} is not a rehearsal's HAProxy socket (<dir>/haproxy/admin.sock): pass the layout`);
  }
  return layout;
}

/**
 * HAProxy's runtime API over its admin socket. Each command opens a connection, sends one line,
 * reads the answer until HAProxy closes it.
 */
export class HaproxyRuntime {
  readonly socket: string;
  private readonly maintenanceMap: string;
  private readonly exemptAcl: string;
  private readonly drainSeconds: number;

  /**
   * @param at the rehearsal's layout, or the path of its admin socket (`<dir>/haproxy/admin.sock`),
   *   from which the layout's maintenance map and exempt ACL are found.
   */
  constructor(at: RehearsalLayout | string, options: { readonly drainSeconds?: number } = {}) {
    const haproxy = typeof at === 'string' ? layoutOfSocket(at).haproxy : at.haproxy;
    this.socket = haproxy.socket;
    this.maintenanceMap = haproxy.maintenanceMap;
    this.exemptAcl = haproxy.exemptAcl;
    this.drainSeconds = options.drainSeconds ?? 0;
  }

  /** Sends one command line, resolves with HAProxy's whole answer. */
  command(cmd: string, timeoutMs = 5000): Promise<string> {
    if (/[\n\r]/.test(cmd)) return Promise.reject(new Error(`HAProxy command ${JSON.stringify(cmd)} spans lines`));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const client = connect({ path: this.socket });
      const fail = (message: string) => {
        client.destroy();
        reject(new Error(`HAProxy runtime API (${this.socket}), command "${cmd}": ${message}`));
      };
      client.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
      client.once('error', (error) => fail(error.message));
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.once('end', () => {
        client.destroy();
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      client.once('connect', () => client.write(`${cmd}\n`));
    });
  }

  /** Sends a command whose success is an empty answer; throws with HAProxy's answer otherwise. */
  private async silent(cmd: string): Promise<void> {
    const answer = (await this.command(cmd)).trim();
    if (answer !== '') throw new Error(`HAProxy refused "${cmd}": ${answer}`);
  }

  /** Every server of a backend, with its admin state, health and requests in flight. */
  async servers(backend: string): Promise<ServerStatus[]> {
    const stat = await this.command(`show stat ${backend} 4 -1`);
    const lines = stat.split('\n').filter((line) => line.trim() !== '');
    const header = lines[0];
    if (!header?.startsWith('# ')) {
      throw new Error(
        `HAProxy has no backend ${backend} ("show stat" answered ${JSON.stringify(stat.trim().slice(0, 200))})`,
      );
    }
    const columns = csvFields(header.slice(2));
    const column = (name: string) => {
      const index = columns.indexOf(name);
      if (index < 0) throw new Error(`HAProxy's "show stat" has no ${name} column`);
      return index;
    };
    const [px, sv, scur, stot, status, checkStatus] = [
      'pxname',
      'svname',
      'scur',
      'stot',
      'status',
      'check_status',
    ].map(column) as [number, number, number, number, number, number];
    const admin = await this.adminStates(backend);
    const servers: ServerStatus[] = [];
    for (const line of lines.slice(1)) {
      const fields = csvFields(line);
      if (fields[px] !== backend) continue;
      const name = fields[sv] ?? '';
      const raw = fields[status] ?? '';
      const flags = admin.get(name) ?? 0;
      const state: ServerAdminState = flags & ADMIN_MAINT ? 'maint' : flags & ADMIN_DRAIN ? 'drain' : 'ready';
      // `UP 1/2`: up, one failed check on the way down; `DOWN 1/2`: down, one good check on the way up.
      const health = raw.startsWith('MAINT') ? 'MAINT' : raw.startsWith('DOWN') ? 'DOWN' : 'UP';
      servers.push({
        name,
        state,
        health,
        status: raw,
        checkStatus: (fields[checkStatus] ?? '').replace(/^\* /, ''),
        sessions: Number(fields[scur] ?? 0),
        totalSessions: Number(fields[stot] ?? 0),
      });
    }
    if (servers.length === 0) throw new Error(`HAProxy has no backend ${backend} or it has no server`);
    return servers;
  }

  /** srv_admin_state of `show servers state <backend>`, by server name. */
  private async adminStates(backend: string): Promise<Map<string, number>> {
    const answer = await this.command(`show servers state ${backend}`);
    const lines = answer.split('\n');
    const header = lines.find((line) => line.startsWith('# '));
    if (!header) throw new Error(`HAProxy's "show servers state ${backend}" answered ${JSON.stringify(answer)}`);
    const columns = header.slice(2).trim().split(/\s+/);
    const nameAt = columns.indexOf('srv_name');
    const adminAt = columns.indexOf('srv_admin_state');
    const states = new Map<string, number>();
    for (const line of lines) {
      if (line.startsWith('#') || !/^\d+ /.test(line)) continue;
      const fields = line.trim().split(/\s+/);
      const name = fields[nameAt];
      if (name !== undefined) states.set(name, Number(fields[adminAt] ?? 0));
    }
    return states;
  }

  /** One server's status; throws when the backend has no such server. */
  async server(backend: string, server: string): Promise<ServerStatus> {
    const found = (await this.servers(backend)).find((candidate) => candidate.name === server);
    if (!found) throw new Error(`HAProxy's backend ${backend} has no server ${server}`);
    return found;
  }

  /** `set server <backend>/<server> state <state>`. */
  /**
   * `set server <backend>/<server> state <state>`. A server leaving maintenance (`maint` to `ready`
   * or `drain`) starts DOWN and takes requests once `rise` checks (2) pass, as a target registered
   * with an ALB; HAProxy alone would assume it UP. Weight 0 while that is set keeps the server out
   * of the balancing in between.
   */
  async setState(backend: string, server: string, state: ServerAdminState): Promise<void> {
    const target = `${backend}/${server}`;
    if (state !== 'maint' && (await this.server(backend, server)).state === 'maint') {
      await this.silent(`set weight ${target} 0`);
      await this.silent(`set server ${target} state ${state}`);
      await this.silent(`set server ${target} health down`);
      await this.silent(`set weight ${target} 100%`);
      return;
    }
    await this.silent(`set server ${target} state ${state}`);
  }

  /** Polls the server's status until `predicate` holds; throws with the last status after `timeoutMs`. */
  async waitFor(
    backend: string,
    server: string,
    predicate: (status: ServerStatus) => boolean,
    timeoutMs: number,
  ): Promise<ServerStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.server(backend, server);
      if (predicate(status)) return status;
      if (Date.now() > deadline) {
        throw new Error(
          `HAProxy's ${backend}/${server} did not reach the expected state within ${timeoutMs} ms: ` +
            `${status.state}, ${status.status}, check ${status.checkStatus || 'none'}, ${status.sessions} in flight`,
        );
      }
      await delay(50);
    }
  }

  /**
   * Deregisters a server as an ALB does: no new requests (drain), then waits for its requests in
   * flight to end, at most the deregistration delay, and takes it out (maint), cutting what remains.
   * Resolves with the number of requests cut.
   */
  async deregister(backend: string, server: string, drainSeconds = this.drainSeconds): Promise<number> {
    const remaining = await this.drain(backend, server, drainSeconds);
    await this.setState(backend, server, 'maint');
    if (remaining > 0) await this.silent(`shutdown sessions server ${backend}/${server}`);
    return remaining;
  }

  /**
   * Drains a server (no new requests) and waits for its requests in flight to end, at most
   * `drainSeconds`; resolves with the number still in flight. The server stays in `drain`.
   */
  async drain(backend: string, server: string, drainSeconds = this.drainSeconds): Promise<number> {
    await this.setState(backend, server, 'drain');
    const deadline = Date.now() + drainSeconds * 1000;
    let status = await this.server(backend, server);
    while (status.sessions > 0 && Date.now() < deadline) {
      await delay(50);
      status = await this.server(backend, server);
    }
    return status.sessions;
  }

  /** Registers a server (ready); it takes requests once two health checks have passed. */
  async register(backend: string, server: string): Promise<void> {
    await this.setState(backend, server, 'ready');
  }

  /**
   * Turns maintenance on, or changes its exempt sources: the new sources are added to the ACL, the
   * map gets the key `on`, then the sources no longer exempt are removed. No source exempt before
   * and after sees the page in between; no request from a new exempt source sees it after this.
   */
  async maintenanceOn(exemptCidrs: readonly string[]): Promise<void> {
    for (const cidr of exemptCidrs) checkCidr(cidr);
    const wanted = new Set(exemptCidrs);
    const before = await this.maintenanceState();
    for (const cidr of wanted)
      if (!before.exempt.includes(cidr)) await this.silent(`add acl ${this.exemptAcl} ${cidr}`);
    if (!before.on) await this.silent(`add map ${this.maintenanceMap} on 1`);
    // By reference: HAProxy does not find an address pattern again by its text (`Key not found`).
    for (const [reference, cidr] of await this.exemptEntries()) {
      if (!wanted.has(cidr)) await this.silent(`del acl ${this.exemptAcl} #${reference}`);
    }
  }

  /** The exempt ACL's entries: reference and pattern. */
  private async exemptEntries(): Promise<[string, string][]> {
    const answer = await this.command(`show acl ${this.exemptAcl}`);
    return answer
      .split('\n')
      .filter((line) => /^0x[0-9a-f]+ /.test(line))
      .map((line) => {
        const [reference = '', pattern = ''] = line.split(' ');
        return [reference, pattern];
      });
  }

  /** Turns maintenance off (the map first: nobody sees the page once this starts), then empties the ACL. */
  async maintenanceOff(): Promise<void> {
    await this.silent(`clear map ${this.maintenanceMap}`);
    await this.silent(`clear acl ${this.exemptAcl}`);
  }

  /** Whether maintenance is on, and the exempt sources. */
  async maintenanceState(): Promise<MaintenanceState> {
    const map = await this.command(`show map ${this.maintenanceMap}`);
    const acl = await this.command(`show acl ${this.exemptAcl}`);
    const entries = (answer: string, what: string) => {
      const lines = answer.split('\n').filter((line) => line.trim() !== '');
      // Each entry: `0x55d0c8a1b2c0 <key> [<value>]`; anything else is an error message.
      const bad = lines.find((line) => !/^0x[0-9a-f]+ /.test(line));
      if (bad) throw new Error(`HAProxy's ${what}: ${bad}`);
      return lines.map((line) => line.split(' ').slice(1));
    };
    return {
      on: entries(map, `show map ${this.maintenanceMap}`).some(([key]) => key === 'on'),
      exempt: entries(acl, `show acl ${this.exemptAcl}`).map(([value]) => value ?? ''),
    };
  }
}
