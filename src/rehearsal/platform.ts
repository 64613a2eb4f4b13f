// The rehearsal's side of the release engine's platform interface (src/aws/operations.ts): what
// Beanstalk, Systems Manager, Parameter Store, the load balancer, S3 and RDS do for a release,
// done on the miniature. The engine (src/release) runs unchanged against it: same plan, same
// scripts, same locks and failure handling.
//
// - Beanstalk: application versions are files; a deployment rolls through the environment's
//   instances one at a time as the document describes: the instance is drained at HAProxy, the
//   new release is unpacked and linked to the shares, env.php is written by the bundle's own
//   renderer, `current` is switched, the instance must answer its health check before it is put
//   back (else the deployment stops and the instance stays out, as Beanstalk leaves it).
// - Systems Manager: a script runs as root "on" an instance: in a private mount namespace where
//   the instance's own directories are /var/app and /var/log and the shares are /mnt/storestack,
//   with `aws s3 cp` (from the artifact directory), `sudo -u` and `chown webapp` stand-ins on PATH.
// - The listener rules live in a file; their effect is applied to HAProxy through its runtime API.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Alarms } from '../aws/alarms.ts';
import type { ArtifactStore } from '../aws/artifacts.ts';
import type {
  BeanstalkEnvironments,
  EnvironmentInstance,
  EnvironmentState,
  RolloutProgress,
} from '../aws/beanstalk.ts';
import type { CommandResult, CommandRunner } from '../aws/commands.ts';
import type { DatabaseSnapshots } from '../aws/database.ts';
import { BeanstalkDeploymentError } from '../aws/errors.ts';
import type { ListenerRule, ListenerRules, NewRule } from '../aws/load-balancer.ts';
import type { OperationsAws } from '../aws/operations.ts';
import type { LockOwner, Locks, Parameters } from '../aws/parameters.ts';
import { MOUNTS_ROOT } from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import { ALWAYS_SERVED_PATHS, BACK_OFFICE_PATH } from '../release/maintenance.ts';
import { writeEnvPhp } from './env-php.ts';
import { HaproxyRuntime } from './haproxy.ts';
import { pointCurrentAt } from './instances.ts';
import { HAPROXY_BACKENDS, type RehearsalInstance, type RehearsalLayout } from './layout.ts';
import { dumpDatabase } from './services.ts';

/** How the miniature's rollouts behave; the bench shortens them. */
export interface RolloutSettings {
  /** The longest a drained instance waits for its in-flight requests (the deregistration delay). */
  readonly drainSeconds: number;
  /** How long a switched instance has to answer its health check with 200. */
  readonly healthTimeoutSeconds: number;
}

/** What the rehearsal's Beanstalk environments hold: their instances and the versions they run. */
interface EnvironmentsFile {
  readonly applicationName: string;
  /** `spare`: the environment's additional-batch instance (RollingWithAdditionalBatch). */
  readonly environments: Record<string, { versionLabel?: string; instances: string[]; spare?: string }>;
  readonly instances: Record<string, { versionLabel?: string; healthStatus: string; launchedAt: string }>;
}

/** The rehearsal's operations: the engine's platform interface over the miniature. */
export function rehearsalOperations(
  layout: RehearsalLayout,
  platform: Platform,
  rollout: RolloutSettings,
): OperationsAws {
  const haproxy = new HaproxyRuntime(layout.haproxy.socket);
  const commands = new RehearsalCommands(layout);
  return {
    beanstalk: new RehearsalBeanstalk(layout, platform, haproxy, rollout),
    commands,
    parameters: new FileParameters(layout.parameters),
    listenerRules: new RehearsalListenerRules(layout, haproxy),
    artifacts: new DirectoryArtifactStore(layout.artifacts),
    snapshots: new DumpSnapshots(layout),
    alarms: noAlarms,
  };
}

/** The miniature has no CloudWatch: nothing is ever in alarm. */
const noAlarms: Alarms = {
  async firing() {
    return [];
  },
};

/** The environments file: the rehearsal's Beanstalk state, written whole each time. */
export function environmentsFile(layout: RehearsalLayout): string {
  return join(layout.dir, 'environments.json');
}

function readEnvironments(layout: RehearsalLayout): EnvironmentsFile {
  const file = environmentsFile(layout);
  if (!existsSync(file)) throw new Error(`${file} is missing: is the rehearsal up (storestack rehearse up)?`);
  return JSON.parse(readFileSync(file, 'utf8')) as EnvironmentsFile;
}

function writeJsonAtomically(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Records the environments of a fresh rehearsal: every instance of a role in its environment. */
export function writeInitialEnvironments(
  layout: RehearsalLayout,
  applicationName: string,
  names: { readonly frontend: string; readonly backOffice: string },
): void {
  const launchedAt = new Date().toISOString();
  const environment = (role: 'frontend' | 'backOffice') => {
    const instances = layout.instances.filter((instance) => instance.role === role);
    return {
      instances: instances.filter((instance) => !instance.spare).map((instance) => instance.id),
      spare: instances.find((instance) => instance.spare)?.id,
    };
  };
  writeJsonAtomically(environmentsFile(layout), {
    applicationName,
    environments: {
      [names.frontend]: environment('frontend'),
      [names.backOffice]: environment('backOffice'),
    },
    instances: Object.fromEntries(
      layout.instances.map((instance) => [instance.id, { healthStatus: 'Pending', launchedAt }]),
    ),
  } satisfies EnvironmentsFile);
}

/** Records that every environment and instance runs `versionLabel` (the rehearsal's first release). */
export function writeEnvironmentsVersion(layout: RehearsalLayout, versionLabel: string): void {
  const file = readEnvironments(layout);
  for (const environment of Object.values(file.environments)) environment.versionLabel = versionLabel;
  for (const instance of Object.values(file.instances)) {
    instance.versionLabel = versionLabel;
    instance.healthStatus = 'Ok';
  }
  writeJsonAtomically(environmentsFile(layout), file);
}

function instanceById(layout: RehearsalLayout, id: string): RehearsalInstance {
  const instance = layout.instances.find((candidate) => candidate.id === id);
  if (!instance) throw new Error(`${id} is not an instance of the rehearsal`);
  return instance;
}

/** A line in the instance's eb-engine.log, as Beanstalk's engine writes them. */
function engineLog(instance: RehearsalInstance, level: 'INFO' | 'ERROR', message: string): void {
  mkdirSync(dirname(instance.engineLog), { recursive: true });
  const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '');
  writeFileSync(instance.engineLog, `${stamp} [${level}] ${message}\n`, { flag: 'a' });
}

export class RehearsalBeanstalk implements BeanstalkEnvironments {
  constructor(
    private readonly layout: RehearsalLayout,
    private readonly platform: Platform,
    private readonly haproxy: HaproxyRuntime,
    private readonly rollout: RolloutSettings,
  ) {}

  async describe(environmentName: string): Promise<EnvironmentState> {
    const state = readEnvironments(this.layout);
    const environment = state.environments[environmentName];
    if (!environment) throw new Error(`Elastic Beanstalk environment ${environmentName} does not exist (rehearsal)`);
    const healthy = environment.instances.every((id) => state.instances[id]?.healthStatus === 'Ok');
    return {
      name: environmentName,
      applicationName: state.applicationName,
      status: 'Ready',
      health: healthy ? 'Green' : 'Red',
      healthStatus: healthy ? 'Ok' : 'Severe',
      versionLabel: environment.versionLabel,
    };
  }

  async instances(environmentName: string): Promise<EnvironmentInstance[]> {
    const state = readEnvironments(this.layout);
    const environment = state.environments[environmentName];
    if (!environment) throw new Error(`Elastic Beanstalk environment ${environmentName} does not exist (rehearsal)`);
    return environment.instances.map((id) => ({
      id,
      healthStatus: state.instances[id]?.healthStatus ?? 'Unknown',
      versionLabel: state.instances[id]?.versionLabel,
      launchedAt: new Date(state.instances[id]?.launchedAt ?? 0),
    }));
  }

  private versionFile(applicationName: string, versionLabel: string): string {
    return join(this.layout.versions, applicationName, `${versionLabel}.json`);
  }

  async hasVersion(applicationName: string, versionLabel: string): Promise<boolean> {
    return existsSync(this.versionFile(applicationName, versionLabel));
  }

  async createVersion(
    applicationName: string,
    versionLabel: string,
    bucket: string,
    key: string,
    description: string,
  ): Promise<void> {
    if (!existsSync(join(this.layout.artifacts, bucket, key))) {
      throw new Error(`s3://${bucket}/${key} does not exist: cannot create version ${versionLabel}`);
    }
    writeJsonAtomically(this.versionFile(applicationName, versionLabel), { bucket, key, description });
  }

  async events(): Promise<string[]> {
    return [];
  }

  /** Rolls the version through the environment's instances, one at a time. */
  async deploy(
    environmentName: string,
    versionLabel: string,
    timeoutSeconds: number,
    progress: RolloutProgress,
  ): Promise<void> {
    const state = readEnvironments(this.layout);
    const environment = state.environments[environmentName];
    if (!environment) throw new Error(`Elastic Beanstalk environment ${environmentName} does not exist (rehearsal)`);
    const versionFile = this.versionFile(state.applicationName, versionLabel);
    if (!existsSync(versionFile)) throw new Error(`${state.applicationName} has no version ${versionLabel}`);
    const { bucket, key } = JSON.parse(readFileSync(versionFile, 'utf8')) as { bucket: string; key: string };
    const deadline = Date.now() + timeoutSeconds * 1000;
    const events: string[] = [];
    const event = (message: string) => {
      events.push(`${new Date().toISOString()} INFO ${message}`);
      progress(message);
    };
    const artifact = join(this.layout.artifacts, bucket, key);
    event(`Environment update is starting: version ${versionLabel}, one instance at a time, with an additional batch.`);
    const spare = environment.spare ? instanceById(this.layout, environment.spare) : undefined;
    try {
      if (spare) {
        // The additional batch first: capacity never drops below the environment's.
        event(`${spare.id}: launching the additional batch on ${versionLabel}`);
        await this.deployTo(spare, environmentName, versionLabel, artifact, event, events);
      }
      for (const id of environment.instances) {
        if (Date.now() > deadline) {
          throw new BeanstalkDeploymentError(
            `${environmentName}: the deployment outlived ${timeoutSeconds} s`,
            environmentName,
            id,
            events,
          );
        }
        await this.deployTo(instanceById(this.layout, id), environmentName, versionLabel, artifact, event, events);
        this.record((file) => {
          const record = file.instances[id];
          if (record) {
            record.versionLabel = versionLabel;
            record.healthStatus = 'Ok';
          }
        });
      }
    } finally {
      if (spare) {
        event(`${spare.id}: terminating the additional batch`);
        await this.haproxy.deregister(HAPROXY_BACKENDS[spare.role], spare.id, this.rollout.drainSeconds);
      }
    }
    this.record((file) => {
      const target = file.environments[environmentName];
      if (target) target.versionLabel = versionLabel;
    });
    event(`Environment update completed successfully: ${environmentName} runs ${versionLabel}.`);
  }

  private record(change: (file: EnvironmentsFile) => void): void {
    const file = readEnvironments(this.layout);
    change(file);
    writeJsonAtomically(environmentsFile(this.layout), file);
  }

  private async deployTo(
    instance: RehearsalInstance,
    environmentName: string,
    versionLabel: string,
    artifact: string,
    event: (message: string) => void,
    events: string[],
  ): Promise<void> {
    const backend = HAPROXY_BACKENDS[instance.role];
    const fail = (message: string): never => {
      engineLog(instance, 'ERROR', message);
      events.push(`${new Date().toISOString()} ERROR [Instance: ${instance.id}] ${message}`);
      this.record((file) => {
        const record = file.instances[instance.id];
        if (record) record.healthStatus = 'Severe';
      });
      throw new BeanstalkDeploymentError(
        `${environmentName}: [Instance: ${instance.id}] ${message}`,
        environmentName,
        instance.id,
        events,
      );
    };
    engineLog(instance, 'INFO', `Starting deployment of version ${versionLabel}`);
    if (!instance.spare) {
      event(`${instance.id}: deregistering from the load balancer, draining`);
      await this.haproxy.drain(backend, instance.id, this.rollout.drainSeconds);
    }

    engineLog(instance, 'INFO', 'Executing instruction: StageApplication');
    try {
      await installRelease(this.layout, this.platform, instance, versionLabel, artifact);
    } catch (error) {
      fail(`Instance deployment failed: ${(error as Error).message}`);
    }
    engineLog(instance, 'INFO', `Executing instruction: FlipApplication (current -> releases/${versionLabel})`);
    pointCurrentAt(instance, versionLabel);

    engineLog(instance, 'INFO', `Waiting for ${this.platform.magento.healthCheck.path} to answer 200`);
    const health = await waitForHealth(
      instance,
      this.platform.magento.healthCheck.path,
      this.rollout.healthTimeoutSeconds,
    );
    if (!health.ok) {
      // Left out of the load balancer, as Beanstalk leaves a failed instance for debugging.
      fail(
        `Instance has not passed health checks within ${this.rollout.healthTimeoutSeconds} s: ${health.detail}. The instance is left out of the load balancer.`,
      );
    }
    engineLog(instance, 'INFO', 'Instance deployment completed successfully.');
    event(`${instance.id}: healthy on ${versionLabel}, registering with the load balancer`);
    await this.haproxy.register(backend, instance.id);
    await this.haproxy.waitFor(backend, instance.id, (server) => server.health === 'UP', 10_000);
  }
}

/**
 * Unpacks a release on an instance, beside the others (`releases/<label>`), as Beanstalk's
 * staging does: the bundle's links to the shares, env.php from the bundle's own renderer.
 */
export async function installRelease(
  layout: RehearsalLayout,
  platform: Platform,
  instance: RehearsalInstance,
  versionLabel: string,
  artifact: string,
): Promise<void> {
  const target = join(instance.releases, versionLabel);
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await run('unzip', ['-q', artifact, '-d', staging]);
  // The mounts: each release path a link to its share (mount-shares.sh does the same on AWS).
  for (const mount of platform.magento.mounts) {
    const link = join(staging, mount.path);
    rmSync(link, { recursive: true, force: true });
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(layout.shares.root, mount.share), link);
  }
  await writeEnvPhp(layout, instance, staging);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
}

async function waitForHealth(
  instance: RehearsalInstance,
  path: string,
  timeoutSeconds: number,
): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let detail = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://${instance.address}:${instance.port}${path}`, {
        signal: AbortSignal.timeout(2000),
      });
      const body = (await response.text()).trim().slice(0, 200);
      if (response.status === 200) return { ok: true, detail: body };
      detail = `${path} answered ${response.status}: ${body}`;
    } catch (error) {
      detail = `${path}: ${(error as Error).message}`;
    }
    await delay(200);
  }
  return { ok: false, detail };
}

function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { env: options.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs scripts "on" an instance: as root, in a private mount namespace in which the instance's
 * directories are /var/app and /var/log and the shares /mnt/storestack, so the engine's scripts
 * run unchanged. `aws s3 cp`, `sudo -u <user>` and `chown webapp` have stand-ins on PATH.
 */
export class RehearsalCommands implements CommandRunner {
  constructor(private readonly layout: RehearsalLayout) {}

  async run(
    instanceId: string,
    script: string,
    options: { readonly comment: string; readonly timeoutSeconds: number },
  ): Promise<CommandResult> {
    const instance = instanceById(this.layout, instanceId);
    const shims = writeShims(this.layout);
    const inside = [
      'set -e',
      `mount --bind ${quote(instance.appRoot)} /var/app`,
      `mount --bind ${quote(join(instance.root, 'var/log'))} /var/log`,
      `mkdir -p ${MOUNTS_ROOT} && mount --bind ${quote(this.layout.shares.root)} ${MOUNTS_ROOT}`,
      `exec bash -c ${quote(`set -euo pipefail\n${script}`)}`,
    ].join('\n');
    return new Promise((resolve, reject) => {
      execFile(
        'unshare',
        ['--mount', '--propagation', 'private', 'bash', '-c', inside],
        {
          env: { ...process.env, PATH: `${shims}:${process.env.PATH ?? '/usr/bin:/bin'}` },
          timeout: options.timeoutSeconds * 1000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error && (error as { killed?: boolean }).killed) {
            reject(new Error(`${options.comment} on ${instanceId} outlived ${options.timeoutSeconds} s`));
            return;
          }
          const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
          resolve({
            instanceId,
            status: code === 0 ? 'Success' : 'Failed',
            exitCode: Number.isFinite(code) ? code : 1,
            stdout,
            stderr,
          });
        },
      );
    });
  }

  async privateIp(instanceId: string): Promise<string | undefined> {
    return instanceById(this.layout, instanceId).address;
  }
}

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** The stand-ins a script finds first on PATH; rewritten when missing. */
function writeShims(layout: RehearsalLayout): string {
  const dir = join(layout.dir, 'bin');
  const shims: Record<string, string> = {
    aws: [
      '#!/usr/bin/env bash',
      '# The rehearsal stand-in for the AWS CLI: `aws s3 cp s3://<bucket>/<key> <file>` from the artifact directory.',
      'set -euo pipefail',
      'args=()',
      'for arg in "$@"; do [[ $arg == --only-show-errors ]] || args+=("$arg"); done',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own expansions
      'if [[ ${args[0]:-} == s3 && ${args[1]:-} == cp && ${args[2]:-} == s3://* ]]; then',
      `  exec cp -- ${quote(layout.artifacts)}/"\${args[2]#s3://}" "\${args[3]}"`,
      'fi',
      'echo "aws (rehearsal): only s3 cp from s3:// is available, not: $*" >&2',
      'exit 2',
    ].join('\n'),
    sudo: [
      '#!/usr/bin/env bash',
      '# The rehearsal stand-in for sudo: every instance user is the rehearsal user; `-u <user>` is dropped.',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own expansion
      'if [[ ${1:-} == -u ]]; then shift 2; fi',
      'exec "$@"',
    ].join('\n'),
    chown: [
      '#!/usr/bin/env bash',
      '# The rehearsal has no webapp user: files stay with the rehearsal user; other owners are set.',
      'for arg in "$@"; do if [[ $arg == webapp* ]]; then exit 0; fi; done',
      'exec /bin/chown "$@"',
    ].join('\n'),
  };
  for (const [name, content] of Object.entries(shims)) {
    const file = join(dir, name);
    if (existsSync(file) && readFileSync(file, 'utf8') === `${content}\n`) continue;
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${content}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

/** Parameter Store as files (names encoded), and the locks as files created exclusively. */
export class FileParameters implements Parameters, Locks {
  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, encodeURIComponent(name));
  }

  async get(name: string): Promise<string> {
    const file = this.file(name);
    if (!existsSync(file)) throw new Error(`SSM parameter ${name} does not exist (rehearsal: ${file})`);
    return readFileSync(file, 'utf8');
  }

  put(name: string, value: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file(name), value);
  }

  async acquire(name: string, owner: LockOwner): Promise<LockOwner | undefined> {
    mkdirSync(this.dir, { recursive: true });
    try {
      writeFileSync(this.file(name), JSON.stringify(owner), { flag: 'wx' });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as LockOwner;
    }
  }

  async release(name: string): Promise<void> {
    rmSync(this.file(name), { force: true });
  }
}

/**
 * The listener's rules, kept in a file with the shape the engine reads: Beanstalk's two rules
 * (`/backend/*` to the back office, the rest to the front end) and the maintenance rules the
 * engine adds. Each change is applied to HAProxy: maintenance is on while a fixed 503 rule exists,
 * and the exempt sources are the source-ip values of the rules that forward.
 */
export class RehearsalListenerRules implements ListenerRules {
  constructor(
    private readonly layout: RehearsalLayout,
    private readonly haproxy: HaproxyRuntime,
  ) {}

  private get file(): string {
    return join(this.layout.dir, 'listener-rules.json');
  }

  private read(): ListenerRule[] {
    if (!existsSync(this.file)) return beanstalkRules();
    return JSON.parse(readFileSync(this.file, 'utf8')) as ListenerRule[];
  }

  private async write(rules: ListenerRule[]): Promise<void> {
    writeJsonAtomically(this.file, rules);
    await this.apply(rules);
  }

  async rules(): Promise<ListenerRule[]> {
    return this.read().sort((a, b) => order(a) - order(b));
  }

  async createMaintenanceRule(_listenerArn: string, environment: string, rule: NewRule): Promise<string> {
    const arn = `rehearsal:rule/${environment}/maintenance-${createHash('sha256').update(JSON.stringify(rule)).digest('hex').slice(0, 12)}`;
    const rules = this.read();
    if (rules.some((existing) => existing.priority === rule.priority)) {
      throw new Error(`PriorityInUse: a rule has priority ${rule.priority} already`);
    }
    rules.push({ arn, priority: rule.priority, conditions: rule.conditions, action: rule.action, maintenance: true });
    await this.write(rules);
    return arn;
  }

  async deleteRule(ruleArn: string): Promise<void> {
    await this.write(this.read().filter((rule) => rule.arn !== ruleArn));
  }

  async setPriorities(priorities: readonly { readonly arn: string; readonly priority: number }[]): Promise<void> {
    const moved = new Map(priorities.map(({ arn, priority }) => [arn, priority]));
    await this.write(this.read().map((rule) => ({ ...rule, priority: moved.get(rule.arn) ?? rule.priority })));
  }

  /**
   * HAProxy's state from the rules: the shapes storestack's maintenance uses, and nothing else
   * (a rule the miniature cannot express is an error, not a silent difference).
   */
  private async apply(rules: readonly ListenerRule[]): Promise<void> {
    const maintenance = rules.filter((rule) => rule.maintenance);
    const blocking = maintenance.filter((rule) => rule.action.type === 'fixed-response');
    const exempt = new Set<string>();
    for (const rule of maintenance) {
      const source = rule.conditions.find((condition) => condition.field === 'source-ip');
      const paths = rule.conditions.find((condition) => condition.field === 'path-pattern')?.values ?? [];
      const alwaysServed = paths.every((path) => (ALWAYS_SERVED_PATHS as readonly string[]).includes(path));
      const page = rule.action.type === 'fixed-response' && rule.action.statusCode === '503';
      if (rule.action.type === 'forward' && source) {
        for (const cidr of source.values) exempt.add(cidr);
      } else if (!(rule.action.type === 'forward' && alwaysServed) && !page) {
        throw new Error(
          `the rehearsal's load balancer cannot express the rule ${rule.arn} (${JSON.stringify(rule.conditions)})`,
        );
      }
    }
    if (blocking.length > 0) await this.haproxy.maintenanceOn([...exempt]);
    else await this.haproxy.maintenanceOff();
  }
}

function order(rule: ListenerRule): number {
  return rule.priority === 'default' ? Number.POSITIVE_INFINITY : rule.priority;
}

/** Beanstalk's rules on a fresh listener, as the shared load balancer has them. */
function beanstalkRules(): ListenerRule[] {
  return [
    {
      arn: 'rehearsal:rule/backoffice',
      priority: 1,
      conditions: [{ field: 'path-pattern', values: [BACK_OFFICE_PATH] }],
      action: { type: 'forward', targetGroupArn: `rehearsal:targetgroup/${HAPROXY_BACKENDS.backOffice}` },
      maintenance: false,
    },
    {
      arn: 'rehearsal:rule/frontend',
      priority: 2,
      conditions: [{ field: 'path-pattern', values: ['/*'] }],
      action: { type: 'forward', targetGroupArn: `rehearsal:targetgroup/${HAPROXY_BACKENDS.frontend}` },
      maintenance: false,
    },
    {
      arn: 'rehearsal:rule/default',
      priority: 'default',
      conditions: [],
      action: { type: 'fixed-response', statusCode: '404', contentType: 'text/plain', body: 'Not found' },
      maintenance: false,
    },
  ];
}

/** The artifact bucket as a directory: `<dir>/<bucket>/<key>`, checked by SHA-256 like the S3 store. */
export class DirectoryArtifactStore implements ArtifactStore {
  constructor(private readonly dir: string) {}

  async upload(bucket: string, key: string, file: string, sha256: string): Promise<void> {
    const target = join(this.dir, bucket, key);
    const recorded = `${target}.sha256`;
    if (existsSync(target)) {
      const existing = existsSync(recorded) ? readFileSync(recorded, 'utf8').trim() : 'unknown';
      if (existing === sha256) return;
      throw new Error(
        `s3://${bucket}/${key} exists with another content (sha256 ${existing}): a release id names one artifact`,
      );
    }
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, `${target}.part`);
    writeFileSync(recorded, sha256);
    renameSync(`${target}.part`, target);
  }
}

/** A database snapshot: mysqldump of the rehearsal's database into the snapshots directory. */
export class DumpSnapshots implements DatabaseSnapshots {
  constructor(private readonly layout: RehearsalLayout) {}

  async snapshot(_instanceIdentifier: string, snapshotId: string): Promise<void> {
    mkdirSync(this.layout.snapshots, { recursive: true });
    const file = join(this.layout.snapshots, `${snapshotId}.sql`);
    if (existsSync(file)) throw new Error(`DBSnapshotAlreadyExists: ${snapshotId}`);
    await dumpDatabase(this.layout, file);
  }
}

/** The snapshots taken so far, by id. */
export function snapshotsOf(layout: RehearsalLayout): string[] {
  if (!existsSync(layout.snapshots)) return [];
  return readdirSync(layout.snapshots)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => name.slice(0, -4));
}
