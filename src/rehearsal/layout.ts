// Where everything of a release rehearsal lives: one directory on the machine, loopback
// addresses and ports derived from one base port. The daemons (daemons.ts), the fixture
// application, the rehearsal's platform adapter and the CLI all find things through this.
//
//   <dir>/state.json                     what runs (pids), written by `rehearse up`
//   <dir>/haproxy/                       the load balancer: config, runtime socket, maintenance map/ACL
//   <dir>/mariadb/ <dir>/redis-*/        the database and the two Redis (cache, sessions)
//   <dir>/shares/<share>/                the NFS shares (statics with version<N>/, media, ...)
//   <dir>/artifacts/<bucket>/<key>       the release artifacts bucket
//   <dir>/versions/<application>/<label>.json   Beanstalk's application versions
//   <dir>/parameters/                    Parameter Store (and the release locks)
//   <dir>/snapshots/                     database snapshots (mysqldump)
//   <dir>/instances/<id>/                an instance's root: var/app/current, var/log/eb-engine.log, nginx, php-fpm
import { join } from 'node:path';

/** The environment name `storestack release magento --env rehearsal` targets. */
export const REHEARSAL_ENVIRONMENT = 'rehearsal';
export const DEFAULT_FRONTENDS = 4;
export const DEFAULT_BASE_PORT = 18000;

export type InstanceRole = 'frontend' | 'backOffice';

export interface RehearsalInstance {
  /** An EC2-like id (`i-` and 17 hex digits), as Beanstalk's events and SSM name instances. */
  readonly id: string;
  readonly role: InstanceRole;
  /** 1-based, within its role. */
  readonly index: number;
  /** `frontend 1`, `backOffice 1`: what the fixture shows and the drills name. */
  readonly name: string;
  /**
   * The environment's additional batch: out of service until a deployment brings it in first
   * with the new version and takes it out last (Beanstalk's RollingWithAdditionalBatch, which
   * the stacks configure: capacity never drops, even for the one back office).
   */
  readonly spare: boolean;
  /** The instance's own loopback address (127.0.10.<n> front ends, 127.0.20.<n> back office). */
  readonly address: string;
  readonly port: number;
  /** Its private root: what is `/` on a real instance. */
  readonly root: string;
  /** `/var/app` on a real instance: `current` (a link), `releases/<label>/`. */
  readonly appRoot: string;
  /** The live release: a symbolic link to `releases/<label>`. */
  readonly current: string;
  readonly releases: string;
  /** `/var/log/eb-engine.log`: what a failed release shows the tail of. */
  readonly engineLog: string;
  readonly phpFpmSocket: string;
  readonly nginxConfig: string;
  readonly phpFpmConfig: string;
  readonly run: string;
  readonly logs: string;
}

export interface RedisService {
  readonly port: number;
  readonly dir: string;
  readonly pidFile: string;
  readonly log: string;
}

export interface RehearsalLayout {
  readonly dir: string;
  readonly stateFile: string;
  readonly basePort: number;
  /** The load balancer's listener (HTTP: the rehearsal has no certificate). */
  readonly alb: { readonly address: string; readonly port: number; readonly url: string };
  readonly haproxy: {
    readonly dir: string;
    readonly config: string;
    /** The runtime API (`level admin`): drain, health, maintenance. */
    readonly socket: string;
    /** Maintenance is on while this map holds the key `on`. */
    readonly maintenanceMap: string;
    /** Source addresses that bypass maintenance (the release's exempt CIDRs). */
    readonly exemptAcl: string;
    /** The 503 page. */
    readonly page: string;
    readonly pidFile: string;
    readonly log: string;
  };
  readonly mariadb: {
    readonly dir: string;
    readonly datadir: string;
    readonly socket: string;
    readonly port: number;
    readonly pidFile: string;
    readonly log: string;
    readonly database: string;
    readonly user: string;
    readonly password: string;
  };
  readonly redis: { readonly cache: RedisService; readonly sessions: RedisService };
  readonly shares: {
    readonly root: string;
    readonly statics: string;
    readonly media: string;
    readonly client: string;
    readonly sitemap: string;
  };
  readonly artifacts: string;
  readonly versions: string;
  readonly parameters: string;
  readonly snapshots: string;
  /** Git repositories of the fixture application (the code the rehearsal's builds check out). */
  readonly repositories: string;
  readonly instances: readonly RehearsalInstance[];
}

/** The rehearsal's HAProxy backends, by role. */
export const HAPROXY_BACKENDS: Record<InstanceRole, string> = { frontend: 'frontend', backOffice: 'backoffice' };

export function instanceId(role: InstanceRole, index: number): string {
  const prefix = role === 'frontend' ? 0xf00000 : 0xb00000;
  return `i-${(prefix + index).toString(16).padStart(17, '0')}`;
}

/** The layout of a rehearsal in `dir` with `frontends` front-end instances and one back office. */
export function rehearsalLayout(
  dir: string,
  options: { readonly frontends?: number; readonly basePort?: number } = {},
): RehearsalLayout {
  const frontends = options.frontends ?? DEFAULT_FRONTENDS;
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(frontends) || frontends < 1 || frontends > 50) {
    throw new Error(`--frontends ${frontends}: between 1 and 50 front-end instances`);
  }
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65000) {
    throw new Error(`the base port ${basePort} must be between 1024 and 65000`);
  }
  const instancePort = basePort + 80;
  const instance = (role: InstanceRole, index: number, spare = false): RehearsalInstance => {
    const id = instanceId(role, index);
    const root = join(dir, 'instances', id);
    const appRoot = join(root, 'var/app');
    return {
      id,
      role,
      index,
      name: spare ? `${role} ${index} (additional batch)` : `${role} ${index}`,
      spare,
      address: role === 'frontend' ? `127.0.10.${index}` : `127.0.20.${index}`,
      port: instancePort,
      root,
      appRoot,
      current: join(appRoot, 'current'),
      releases: join(appRoot, 'releases'),
      engineLog: join(root, 'var/log/eb-engine.log'),
      phpFpmSocket: join(root, 'run/php-fpm.sock'),
      nginxConfig: join(root, 'etc/nginx/nginx.conf'),
      phpFpmConfig: join(root, 'etc/php-fpm.conf'),
      run: join(root, 'run'),
      logs: join(root, 'var/log'),
    };
  };
  const redis = (name: string, port: number): RedisService => ({
    port,
    dir: join(dir, `redis-${name}`),
    pidFile: join(dir, `redis-${name}/redis.pid`),
    log: join(dir, `redis-${name}/redis.log`),
  });
  const shares = join(dir, 'shares');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    basePort,
    alb: { address: '127.0.0.1', port: basePort, url: `http://127.0.0.1:${basePort}` },
    haproxy: {
      dir: join(dir, 'haproxy'),
      config: join(dir, 'haproxy/haproxy.cfg'),
      socket: join(dir, 'haproxy/admin.sock'),
      maintenanceMap: join(dir, 'haproxy/maintenance.map'),
      exemptAcl: join(dir, 'haproxy/exempt.acl'),
      page: join(dir, 'haproxy/maintenance.http'),
      pidFile: join(dir, 'haproxy/haproxy.pid'),
      log: join(dir, 'haproxy/haproxy.log'),
    },
    mariadb: {
      dir: join(dir, 'mariadb'),
      datadir: join(dir, 'mariadb/data'),
      socket: join(dir, 'mariadb/mariadb.sock'),
      port: basePort + 6,
      pidFile: join(dir, 'mariadb/mariadb.pid'),
      log: join(dir, 'mariadb/mariadb.log'),
      database: 'magento',
      user: 'magento',
      password: 'rehearsal',
    },
    // One port for both, on two addresses (services.ts): env.php has one Redis port (STORESTACK_REDIS_PORT).
    redis: { cache: redis('cache', basePort + 7), sessions: redis('sessions', basePort + 7) },
    shares: {
      root: shares,
      statics: join(shares, 'magento-statics'),
      media: join(shares, 'client-media'),
      client: join(shares, 'magento-client'),
      sitemap: join(shares, 'magento-sitemap'),
    },
    artifacts: join(dir, 'artifacts'),
    versions: join(dir, 'versions'),
    parameters: join(dir, 'parameters'),
    snapshots: join(dir, 'snapshots'),
    repositories: join(dir, 'repositories'),
    instances: [
      ...Array.from({ length: frontends }, (_, index) => instance('frontend', index + 1)),
      instance('frontend', frontends + 1, true),
      instance('backOffice', 1),
      instance('backOffice', 2, true),
    ],
  };
}
