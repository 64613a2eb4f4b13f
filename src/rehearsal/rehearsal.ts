// `storestack rehearse up|down|status`: the miniature of a Magento environment on one machine,
// started from the configuration. `up` starts every daemon (MariaDB, the two Redis, HAProxy as
// the load balancer, an nginx + php-fpm pair per instance), creates the fixture application's
// repository, builds its first release with `storestack build`'s builder and rolls it out through
// the rehearsal's platform adapter, so the first real release finds an environment in service.
// A failure during `up` stops whatever had started: nothing is left running.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  httpsListenerParameter,
  magentoApplicationName,
  magentoEnvironmentNames,
  natAddressesParameter,
  releaseArtifactsParameter,
} from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import { magentoArtifactKey, staticsDirectory, staticsPublishScript } from '../release/magento-release.ts';
import { createFixtureRepository } from './fixture-repository.ts';
import { HaproxyRuntime, startHaproxy } from './haproxy.ts';
import { pointCurrentAt, startInstance } from './instances.ts';
import {
  DEFAULT_BASE_PORT,
  DEFAULT_FRONTENDS,
  HAPROXY_BACKENDS,
  REHEARSAL_ENVIRONMENT,
  type RehearsalLayout,
  rehearsalLayout,
} from './layout.ts';
import {
  DirectoryArtifactStore,
  FileParameters,
  installRelease,
  RehearsalCommands,
  type RolloutSettings,
  writeEnvironmentsVersion,
  writeInitialEnvironments,
} from './platform.ts';
import { isAlive, portOpen, type RunningDaemon, stopDaemon } from './process.ts';
import { missingPackages } from './programs.ts';
import { startDataServices } from './services.ts';

/** What `rehearse up` records: enough for `down`, `status` and the commands that target it. */
export interface RehearsalState {
  readonly dir: string;
  readonly frontends: number;
  readonly basePort: number;
  readonly startedAt: string;
  readonly rollout: RolloutSettings;
  readonly daemons: readonly RunningDaemon[];
}

export interface UpOptions {
  readonly dir: string;
  readonly frontends?: number;
  readonly basePort?: number;
  readonly rollout?: Partial<RolloutSettings>;
  readonly progress?: (line: string) => void;
}

/** The bucket, listener and NAT address the miniature publishes in its Parameter Store. */
export const REHEARSAL_BUCKET = 'rehearsal-release-artifacts';
export const REHEARSAL_LISTENER = 'rehearsal:listener/alb';
/** The "NAT gateway" the release's smoke test comes from: exempt from maintenance. */
export const REHEARSAL_NAT_ADDRESS = '127.0.0.2';
const DEFAULT_ROLLOUT: RolloutSettings = { drainSeconds: 5, healthTimeoutSeconds: 30 };

/** Thrown when `up` finds a rehearsal running: the state names it. */
export class RehearsalRunningError extends Error {
  constructor(readonly state: RehearsalState) {
    super(
      `a rehearsal is already running in ${state.dir} since ${state.startedAt} (${state.daemons.length} daemons, ${state.frontends} front ends): storestack rehearse down first`,
    );
    this.name = 'RehearsalRunningError';
  }
}

export function readState(dir: string): RehearsalState | undefined {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RehearsalState;
}

/** The rehearsal in `dir`, when one is running; its layout and state. */
export function runningRehearsal(dir: string): { state: RehearsalState; layout: RehearsalLayout } | undefined {
  const state = readState(dir);
  if (!state?.daemons.some((daemon) => isAlive(daemon.pid))) return undefined;
  return { state, layout: rehearsalLayout(state.dir, { frontends: state.frontends, basePort: state.basePort }) };
}

/**
 * The configuration as the rehearsal runs it: the production environment's Magento settings as a
 * `rehearsal` environment with the miniature's instance count, the fixture repository as the
 * code, its build command, and no staff addresses (the probe must see maintenance).
 */
export function rehearsalPlatform(platform: Platform, layout: RehearsalLayout): Platform {
  const production =
    platform.environments.find((environment) => environment.name === platform.edge.environment) ??
    platform.environments[0];
  if (!production) throw new Error('the configuration has no environment to rehearse');
  const frontends = layout.instances.filter((instance) => instance.role === 'frontend' && !instance.spare).length;
  const magento = platform.release.applications.magento;
  return {
    ...platform,
    environments: [
      ...platform.environments.filter((environment) => environment.name !== REHEARSAL_ENVIRONMENT),
      {
        ...production,
        name: REHEARSAL_ENVIRONMENT,
        magento: {
          ...production.magento,
          frontend: { ...production.magento.frontend, instances: frontends },
          backOffice: { ...production.magento.backOffice, instances: 1 },
          hostNames: [`${layout.alb.address}`],
        },
      },
    ],
    release: {
      ...platform.release,
      applications: {
        ...platform.release.applications,
        magento: {
          ...magento,
          repository: join(layout.repositories, 'magento'),
          configRepository: undefined,
          buildCommands: ['php bin/magento setup:di:compile'],
        },
      },
      maintenance: { ...platform.release.maintenance, staffCidrs: [] },
    },
  };
}

export async function rehearseUp(platform: Platform, options: UpOptions): Promise<RehearsalState> {
  const progress = options.progress ?? (() => {});
  const running = runningRehearsal(options.dir);
  if (running) throw new RehearsalRunningError(running.state);
  if (process.getuid?.() !== 0) {
    throw new Error("the rehearsal runs its instances' commands in mount namespaces: run it as root (CI does)");
  }
  const missing = missingPackages();
  if (missing.length > 0) {
    throw new Error(
      `the rehearsal needs ${missing.join(', ')}: run scripts/rehearsal-packages.sh (apt-get install ${missing.join(' ')})`,
    );
  }
  const layout = rehearsalLayout(options.dir, { frontends: options.frontends, basePort: options.basePort });
  const taken = await takenPorts(layout);
  if (taken.length > 0) throw new Error(`ports in use: ${taken.join(', ')} (choose another --base-port)`);

  // A stale directory (a rehearsal whose daemons are gone) is replaced whole.
  rmSync(layout.dir, { recursive: true, force: true });
  mkdirSync(layout.dir, { recursive: true });
  const rollout = { ...DEFAULT_ROLLOUT, ...options.rollout };
  const rehearsal = rehearsalPlatform(platform, layout);
  const daemons: RunningDaemon[] = [];
  const state = (): RehearsalState => ({
    dir: layout.dir,
    frontends: layout.instances.filter((instance) => instance.role === 'frontend' && !instance.spare).length,
    basePort: layout.basePort,
    startedAt: new Date().toISOString(),
    rollout,
    daemons,
  });
  try {
    progress('starting MariaDB and Redis (cache, sessions)');
    daemons.push(...(await startDataServices(layout)));
    writeFileSync(layout.stateFile, JSON.stringify(state(), null, 2));
    for (const share of Object.values(layout.shares)) mkdirSync(share, { recursive: true });
    const parameters = new FileParameters(layout.parameters);
    parameters.put(releaseArtifactsParameter(rehearsal), REHEARSAL_BUCKET);
    parameters.put(httpsListenerParameter(rehearsal, REHEARSAL_ENVIRONMENT), REHEARSAL_LISTENER);
    parameters.put(natAddressesParameter(rehearsal), REHEARSAL_NAT_ADDRESS);
    const names = magentoEnvironmentNames(rehearsal, REHEARSAL_ENVIRONMENT);
    writeInitialEnvironments(layout, magentoApplicationName(rehearsal), names);

    progress('starting HAProxy (the load balancer)');
    daemons.push(
      await startHaproxy(layout, {
        healthCheckPath: rehearsal.magento.healthCheck.path,
        healthIntervalMs: 500,
        drainSeconds: rollout.drainSeconds,
        maintenancePage: rehearsal.release.maintenance.page,
      }),
    );
    for (const instance of layout.instances) {
      progress(`starting nginx and php-fpm on ${instance.address}:${instance.port} (${instance.name}, ${instance.id})`);
      daemons.push(...(await startInstance(layout, instance, instanceOptions(rehearsal))));
      writeFileSync(layout.stateFile, JSON.stringify(state(), null, 2));
    }

    progress('creating the fixture application repository and building its first release');
    createFixtureRepository(join(layout.repositories, 'magento'));
    const artifact = await buildFixtureRelease(rehearsal, layout, 'release-1');
    await bootstrap(rehearsal, layout, artifact, progress);
    const result = state();
    writeFileSync(layout.stateFile, JSON.stringify(result, null, 2));
    return result;
  } catch (error) {
    for (const daemon of [...daemons].reverse()) await stopDaemon(daemon).catch(() => {});
    rmSync(layout.stateFile, { force: true });
    throw error;
  }
}

/** How the instances serve: the configured health check and PHP limits. */
export function instanceOptions(platform: Platform) {
  return {
    healthCheckPath: platform.magento.healthCheck.path,
    clientMaxBodySize: platform.magento.php.postMaxSize.toLowerCase(),
  };
}

/** Builds a release of the fixture repository at `ref`, as `storestack build` does, into `<dir>/releases`. */
export async function buildFixtureRelease(
  platform: Platform,
  layout: RehearsalLayout,
  ref: string,
): Promise<{ file: string; sha256: string; releaseId: string }> {
  const { ReleaseBuilder } = await import('../release/build.ts');
  const result = await new ReleaseBuilder(platform, { progress: () => {} }).build({
    application: 'magento',
    environment: REHEARSAL_ENVIRONMENT,
    ref,
    outDir: join(layout.dir, 'releases'),
  });
  return { file: result.zip, sha256: result.sha256, releaseId: result.releaseId };
}

/**
 * The environment's first release, put in place directly (no traffic yet, nothing to drain): on
 * every instance, the database installed from the back office, the statics published; then the
 * load balancer must see every instance healthy.
 */
async function bootstrap(
  platform: Platform,
  layout: RehearsalLayout,
  artifact: { file: string; sha256: string; releaseId: string },
  progress: (line: string) => void,
): Promise<void> {
  const key = magentoArtifactKey(artifact.releaseId);
  await new DirectoryArtifactStore(layout.artifacts).upload(REHEARSAL_BUCKET, key, artifact.file, artifact.sha256);
  const commands = new RehearsalCommands(layout);
  for (const instance of layout.instances) {
    await installRelease(layout, platform, instance, artifact.releaseId, join(layout.artifacts, REHEARSAL_BUCKET, key));
    pointCurrentAt(instance, artifact.releaseId);
  }
  const [backOffice] = layout.instances.filter((instance) => instance.role === 'backOffice' && !instance.spare);
  if (!backOffice) throw new Error('the rehearsal has no back-office instance');
  progress(`installing the database from ${backOffice.name}`);
  const install = await commands.run(backOffice.id, 'php /var/app/current/bin/magento setup:install', {
    comment: 'setup:install',
    timeoutSeconds: 120,
  });
  if (install.exitCode !== 0) throw new Error(`setup:install failed: ${install.stderr || install.stdout}`);
  const publish = await commands.run(
    backOffice.id,
    staticsPublishScript({
      staticsDir: staticsDirectory(platform),
      releaseId: artifact.releaseId,
      source: `s3://${REHEARSAL_BUCKET}/${key}`,
      keep: platform.release.keepStaticVersions,
    }),
    { comment: 'publish statics', timeoutSeconds: 120 },
  );
  if (publish.exitCode !== 0) throw new Error(`publishing the statics failed: ${publish.stderr || publish.stdout}`);
  // Beanstalk's view: every instance runs the first release.
  writeEnvironmentsVersion(layout, artifact.releaseId);
  const haproxy = new HaproxyRuntime(layout.haproxy.socket);
  for (const instance of layout.instances.filter((candidate) => !candidate.spare)) {
    await haproxy.waitFor(HAPROXY_BACKENDS[instance.role], instance.id, (server) => server.health === 'UP', 30_000);
  }
  const serving = layout.instances.filter((instance) => !instance.spare).length;
  progress(`release ${artifact.releaseId} in service on ${serving} instances behind ${layout.alb.url}`);
}

async function takenPorts(layout: RehearsalLayout): Promise<string[]> {
  const endpoints: [string, number][] = [
    [layout.alb.address, layout.alb.port],
    ['127.0.0.1', layout.mariadb.port],
    ['127.0.0.3', layout.redis.cache.port],
    ['127.0.0.4', layout.redis.cache.port],
    ...layout.instances.map((instance): [string, number] => [instance.address, instance.port]),
  ];
  const taken: string[] = [];
  for (const [host, port] of endpoints) if (await portOpen(host, port)) taken.push(`${host}:${port}`);
  return taken;
}

/** Stops every daemon of the rehearsal in `dir` and removes its directory; resolves to what was stopped. */
export async function rehearseDown(dir: string): Promise<RunningDaemon[]> {
  const state = readState(dir);
  if (!state) return [];
  const stopped: RunningDaemon[] = [];
  for (const daemon of [...state.daemons].reverse()) {
    await stopDaemon(daemon);
    stopped.push(daemon);
  }
  const layout = rehearsalLayout(state.dir, { frontends: state.frontends, basePort: state.basePort });
  for (let attempt = 0; attempt < 40 && (await takenPorts(layout)).length > 0; attempt++) await delay(50);
  const left = await takenPorts(layout);
  if (left.length > 0) throw new Error(`the rehearsal is stopped but these ports still answer: ${left.join(', ')}`);
  rmSync(state.dir, { recursive: true, force: true });
  return stopped;
}

export { DEFAULT_BASE_PORT, DEFAULT_FRONTENDS, REHEARSAL_ENVIRONMENT };
