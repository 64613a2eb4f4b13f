// Releasing Magento (DESIGN.md, "Releasing Magento"; the document's "Deployment Process for the
// Production Environment" and "In Case of an Error", automated). A release is a plan: a list of
// steps, each saying what it touches and what the store looks like while it runs. `--dry-run`
// prints the plan; a release executes it, one step at a time, and on a failure stops, names the
// step, the instance and its address, shows the log tail, and says how to resume or roll back.
import type { EnvironmentInstance } from '../aws/beanstalk.ts';
import { BeanstalkDeploymentError } from '../aws/errors.ts';
import type { ReleasePlatform } from '../aws/operations.ts';
import type { LockOwner } from '../aws/parameters.ts';
import {
  httpsListenerParameter,
  MOUNTS_ROOT,
  magentoApplicationName,
  magentoDatabaseIdentifier,
  magentoEnvironmentNames,
  natAddressesParameter,
  releaseArtifactsParameter,
  releaseLockParameter,
} from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import { beanstalkTargetGroups, disableMaintenance, enableMaintenance } from './maintenance.ts';

export type Strategy = 'safe' | 'classic';
/** What users see while a step runs. */
export type StoreState = 'up' | 'up, rolling (old and new code behind the ALB)' | 'maintenance (503)';

/** One step of a plan. */
export interface PlanStep {
  readonly name: string;
  /** What the step reads or changes, e.g. `s3://client-release-artifacts/magento/1733.zip`. */
  readonly touches: string;
  readonly store: StoreState;
  /** The expected duration, for the dry run's windows. */
  readonly estimateSeconds: number;
}

/** A plan: for `safe`, the common part, then one branch per preflight outcome. */
export interface ReleasePlan {
  readonly strategy: Strategy;
  readonly releaseId: string;
  readonly steps: readonly PlanStep[];
  readonly ifNoUpgrade?: readonly PlanStep[];
  readonly ifUpgrade?: readonly PlanStep[];
}

export interface ReleaseArtifact {
  readonly file: string;
  readonly sha256: string;
  /** Numeric (Magento's static URL rewrite matches digits only). */
  readonly releaseId: string;
}

export interface ReleaseOptions {
  readonly platform: Platform;
  readonly environment: string;
  readonly strategy: Strategy;
  readonly artifact: ReleaseArtifact;
  /** Who releases (the lock's owner), e.g. `rundeck@ip-10-0-101-5`. */
  readonly owner: string;
  /** Progress lines (each step's start, end and elapsed time). */
  readonly progress: (line: string) => void;
  readonly now?: () => number;
  /** The smoke test: an HTTP GET of the store through the exempt path; resolves to the status. */
  readonly smokeTest?: (url: string) => Promise<number>;
}

/** A release that stopped: what failed, where, and what to do. */
export class ReleaseFailure extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
    readonly instance: { readonly id: string; readonly privateIp: string | undefined } | undefined,
    readonly logTail: string,
    /** Whether the store is left in maintenance (it is whenever the database was migrated). */
    readonly maintenanceLeftOn: boolean,
    readonly nextSteps: readonly string[],
  ) {
    super(`release failed at "${step}": ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ReleaseFailure';
  }
}

export interface ReleaseSummary {
  readonly releaseId: string;
  readonly strategy: Strategy;
  readonly upgrade: boolean | undefined;
  readonly steps: readonly { readonly name: string; readonly seconds: number }[];
  readonly maintenanceSeconds: number;
  readonly totalSeconds: number;
}

/** Rough durations of the steps whose length the config does not say (seconds). */
const ESTIMATES = { upload: 30, version: 20, statics: 90, preflight: 60, snapshot: 300, deployHooks: 240, smoke: 10 };
const SNAPSHOT_TIMEOUT_SECONDS = 3600;
/** Classic's migration: the document's deploy commands, run once from the new code. */
export const CLASSIC_UPGRADE_STEP = 'setup:upgrade from the new code, once (the document deploy commands)';
const COMMAND_TIMEOUT_SECONDS = 3600;
const LOG_LINES = 60;

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** The release of Magento to one environment. */
export class MagentoRelease {
  private readonly names: { frontend: string; backOffice: string };
  private readonly environmentConfig: Platform['environments'][number];
  private readonly now: () => number;

  constructor(
    private readonly options: ReleaseOptions,
    private readonly aws?: ReleasePlatform,
  ) {
    const environment = options.platform.environments.find(({ name }) => name === options.environment);
    if (!environment) {
      throw new Error(
        `${options.environment} is not an environment (${options.platform.environments.map(({ name }) => name).join(', ')})`,
      );
    }
    if (!/^\d{1,18}$/.test(options.artifact.releaseId)) {
      throw new Error(`the release id ${options.artifact.releaseId} is not numeric: Magento's static URLs need digits`);
    }
    this.environmentConfig = environment;
    this.names = magentoEnvironmentNames(options.platform, options.environment);
    this.now = options.now ?? Date.now;
  }

  private get releaseId(): string {
    return this.options.artifact.releaseId;
  }

  private get artifactKey(): string {
    return magentoArtifactKey(this.releaseId);
  }

  private get staticsDir(): string {
    return staticsDirectory(this.options.platform);
  }

  private get cronPauseFlag(): string {
    const share = this.options.platform.magento.mounts.find((mount) => mount.path === 'client')?.share;
    return `${MOUNTS_ROOT}/${share ?? 'magento-client'}/.cron.paused`;
  }

  private rolloutSeconds(instances: number): number {
    const drain = this.options.platform.magento.healthCheck.deregistrationDelaySeconds;
    // One instance at a time with an additional batch: launch, hooks, health, then drain the old one.
    return instances * (ESTIMATES.deployHooks + drain);
  }

  /** The plan, computed from the configuration alone (the dry run needs no AWS access). */
  plan(): ReleasePlan {
    const { platform, environment, strategy } = this.options;
    const frontend = this.environmentConfig.magento.frontend.instances;
    const backOffice = this.environmentConfig.magento.backOffice.instances;
    const migration = platform.release.migrationMinutesEstimate * 60;
    const rolling = 'up, rolling (old and new code behind the ALB)' as const;
    const common: PlanStep[] = [
      {
        name: 'take the release lock',
        touches: releaseLockParameter(platform, environment, 'magento'),
        store: 'up',
        estimateSeconds: 1,
      },
      {
        name: 'upload the artifact',
        touches: `release artifacts bucket, ${this.artifactKey}`,
        store: 'up',
        estimateSeconds: ESTIMATES.upload,
      },
      {
        name: 'create the application version',
        touches: `${magentoApplicationName(platform)} version ${this.releaseId}`,
        store: 'up',
        estimateSeconds: ESTIMATES.version,
      },
      {
        name: 'publish the static files',
        touches: `${this.staticsDir}/version${this.releaseId}/ (through the back office)`,
        store: 'up',
        estimateSeconds: ESTIMATES.statics,
      },
    ];
    const deployFrontend: PlanStep = {
      name: 'deploy the front end',
      touches: `${this.names.frontend} (${frontend} instances, one at a time)`,
      store: rolling,
      estimateSeconds: this.rolloutSeconds(frontend),
    };
    const deployBackOffice: PlanStep = {
      name: 'deploy the back office',
      touches: `${this.names.backOffice} (${backOffice} instance${backOffice > 1 ? 's' : ''})`,
      store: rolling,
      estimateSeconds: this.rolloutSeconds(backOffice),
    };
    if (strategy === 'classic') {
      const maintenance = 'maintenance (503)' as const;
      return {
        strategy,
        releaseId: this.releaseId,
        steps: [
          ...common.slice(0, 3),
          {
            name: 'maintenance:enable on every front-end instance',
            touches: `${this.names.frontend} instances (SSM)`,
            store: maintenance,
            estimateSeconds: 10,
          },
          {
            name: CLASSIC_UPGRADE_STEP,
            touches: `${magentoDatabaseIdentifier(platform, environment)} (from the back office)`,
            store: maintenance,
            estimateSeconds: ESTIMATES.preflight + migration,
          },
          { ...deployFrontend, store: maintenance },
          { ...deployBackOffice, store: maintenance },
          { ...(common[3] as PlanStep), name: 'generate the static files once', store: maintenance },
          {
            name: 'cache:flush on every instance',
            touches: `${this.names.frontend} and ${this.names.backOffice} instances (SSM)`,
            store: maintenance,
            estimateSeconds: 20,
          },
          {
            name: 'maintenance:disable on every instance',
            touches: `${this.names.frontend} and ${this.names.backOffice} instances (SSM)`,
            store: 'up',
            estimateSeconds: 10,
          },
          {
            name: 'release the lock',
            touches: releaseLockParameter(platform, environment, 'magento'),
            store: 'up',
            estimateSeconds: 1,
          },
        ],
      };
    }
    const maintenance = 'maintenance (503)' as const;
    return {
      strategy,
      releaseId: this.releaseId,
      steps: [
        ...common,
        {
          name: 'preflight: setup:db:status and app:config:status with the new code',
          touches: `${this.names.backOffice} instance (SSM)`,
          store: 'up',
          estimateSeconds: ESTIMATES.preflight,
        },
      ],
      ifNoUpgrade: [
        deployFrontend,
        deployBackOffice,
        {
          name: 'release the lock',
          touches: releaseLockParameter(platform, environment, 'magento'),
          store: 'up',
          estimateSeconds: 1,
        },
      ],
      ifUpgrade: [
        {
          name: 'maintenance on at the ALB (confirmed)',
          touches: `${httpsListenerParameter(platform, environment)} listener rules`,
          store: maintenance,
          estimateSeconds: 5,
        },
        { name: 'pause cron on the back office', touches: this.cronPauseFlag, store: maintenance, estimateSeconds: 5 },
        {
          name: 'snapshot the database',
          touches: `${magentoDatabaseIdentifier(platform, environment)} -> ${this.snapshotId}`,
          store: maintenance,
          estimateSeconds: ESTIMATES.snapshot,
        },
        {
          name: 'setup:upgrade --keep-generated (once)',
          touches: `${magentoDatabaseIdentifier(platform, environment)} (from the back office)`,
          store: maintenance,
          estimateSeconds: migration,
        },
        {
          name: 'cache:flush (once)',
          touches: 'Redis (from the back office)',
          store: maintenance,
          estimateSeconds: 10,
        },
        { ...deployFrontend, store: maintenance },
        { ...deployBackOffice, store: maintenance },
        {
          name: 'smoke test through the exempt path',
          touches: `https://${this.environmentConfig.magento.hostNames[0]}/`,
          store: maintenance,
          estimateSeconds: ESTIMATES.smoke,
        },
        { name: 'maintenance off', touches: 'listener rules', store: 'up', estimateSeconds: 5 },
        { name: 'resume cron', touches: this.cronPauseFlag, store: 'up', estimateSeconds: 5 },
        {
          name: 'release the lock',
          touches: releaseLockParameter(platform, environment, 'magento'),
          store: 'up',
          estimateSeconds: 1,
        },
      ],
    };
  }

  private get snapshotId(): string {
    return `${magentoDatabaseIdentifier(this.options.platform, this.options.environment)}-release-${this.releaseId}`;
  }

  /** Runs the release; resolves to its summary or rejects with a ReleaseFailure. */
  async execute(): Promise<ReleaseSummary> {
    const aws = this.aws;
    if (!aws) throw new Error('a release needs AWS access (only --dry-run runs without)');
    const { platform, environment, progress } = this.options;
    const started = this.now();
    const timings: { name: string; seconds: number }[] = [];
    const lock = releaseLockParameter(platform, environment, 'magento');
    let current = 'take the release lock';
    let instance: EnvironmentInstance | undefined;
    let migrated = false;
    let maintenanceOn = false;
    let maintenanceSince = 0;
    let maintenanceSeconds = 0;
    let upgrade: boolean | undefined;
    const previous = {
      frontend: (await aws.beanstalk.describe(this.names.frontend)).versionLabel,
      backOffice: (await aws.beanstalk.describe(this.names.backOffice)).versionLabel,
    };

    const step = async <T>(name: string, action: () => Promise<T>): Promise<T> => {
      current = name;
      const begin = this.now();
      progress(`[${elapsed(started, begin)}] ${name}...`);
      const result = await action();
      const seconds = (this.now() - begin) / 1000;
      timings.push({ name, seconds });
      progress(`[${elapsed(started, this.now())}] ${name}: done in ${seconds.toFixed(1)} s`);
      return result;
    };
    const onBackOffice = async (comment: string, script: string) => {
      const instances = await aws.beanstalk.instances(this.names.backOffice);
      instance = instances[0];
      if (!instance) throw new Error(`${this.names.backOffice} has no instance`);
      const result = await aws.commands.run(instance.id, script, { comment, timeoutSeconds: COMMAND_TIMEOUT_SECONDS });
      return result;
    };
    const requireSuccess = (what: string, result: { exitCode: number; stdout: string; stderr: string }) => {
      if (result.exitCode !== 0) {
        throw new Error(
          `${what} exited ${result.exitCode}: ${(result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n')}`,
        );
      }
    };

    await takeReleaseLock(aws, lock, {
      owner: this.options.owner,
      since: new Date(started).toISOString(),
      purpose: `release magento ${this.releaseId} to ${environment}`,
    });
    try {
      const bucket = await aws.parameters.get(releaseArtifactsParameter(platform));
      await step('upload the artifact', () =>
        aws.artifacts.upload(bucket, this.artifactKey, this.options.artifact.file, this.options.artifact.sha256),
      );
      await step('create the application version', async () => {
        const application = magentoApplicationName(platform);
        if (!(await aws.beanstalk.hasVersion(application, this.releaseId))) {
          await aws.beanstalk.createVersion(
            application,
            this.releaseId,
            bucket,
            this.artifactKey,
            `storestack release ${this.releaseId} (sha256 ${this.options.artifact.sha256})`,
          );
        }
      });
      const publishStatics = () =>
        onBackOffice(
          `publish statics ${this.releaseId}`,
          staticsPublishScript({
            staticsDir: this.staticsDir,
            releaseId: this.releaseId,
            source: `s3://${bucket}/${this.artifactKey}`,
            keep: platform.release.keepStaticVersions,
          }),
        ).then((result) => requireSuccess('publishing the static files', result));

      if (this.options.strategy === 'classic') {
        const everyInstance = async (comment: string, command: string, names: readonly string[]) => {
          for (const name of names) {
            for (const target of await aws.beanstalk.instances(name)) {
              instance = target;
              requireSuccess(comment, await aws.commands.run(target.id, command, { comment, timeoutSeconds: 600 }));
            }
          }
        };
        const magento = (command: string) => `sudo -u webapp php /var/app/current/bin/magento ${command}`;
        await step('maintenance:enable on every front-end instance', () =>
          everyInstance('maintenance:enable', magento('maintenance:enable'), [this.names.frontend]),
        );
        maintenanceOn = true;
        maintenanceSince = this.now();
        // The document's deploy commands "setup new database modules" on the first instance that
        // deploys; done here once, from the new code, before any instance runs it.
        upgrade = await step(CLASSIC_UPGRADE_STEP, async () => {
          if (!(await this.upgradeNeeded(onBackOffice, requireSuccess, bucket))) return false;
          migrated = true;
          requireSuccess('setup:upgrade', await onBackOffice(`setup:upgrade ${this.releaseId}`, this.upgradeScript()));
          return true;
        });
        await step('deploy the front end', () => this.deploy(aws, this.names.frontend, progress));
        await step('deploy the back office', () => this.deploy(aws, this.names.backOffice, progress));
        await step('generate the static files once', publishStatics);
        await step('cache:flush on every instance', () =>
          everyInstance('cache:flush', magento('cache:flush'), [this.names.frontend, this.names.backOffice]),
        );
        await step('maintenance:disable on every instance', () =>
          everyInstance('maintenance:disable', magento('maintenance:disable'), [
            this.names.frontend,
            this.names.backOffice,
          ]),
        );
        maintenanceOn = false;
        maintenanceSeconds = (this.now() - maintenanceSince) / 1000;
      } else {
        await step('publish the static files', publishStatics);
        upgrade = await step('preflight: setup:db:status and app:config:status with the new code', () =>
          this.upgradeNeeded(onBackOffice, requireSuccess, bucket),
        );
        if (!upgrade) {
          await step('deploy the front end', () => this.deploy(aws, this.names.frontend, progress));
          await step('deploy the back office', () => this.deploy(aws, this.names.backOffice, progress));
        } else {
          const listener = await aws.parameters.get(httpsListenerParameter(platform, environment));
          const nat = (await aws.parameters.get(natAddressesParameter(platform))).split(',').filter(Boolean);
          // Set before the rules go in: a failure half-way still lifts what was put (nothing migrated yet).
          maintenanceOn = true;
          await step('maintenance on at the ALB (confirmed)', async () => {
            const groups = beanstalkTargetGroups(await aws.listenerRules.rules(listener));
            await enableMaintenance(aws.listenerRules, listener, environment, {
              exemptCidrs: [...platform.release.maintenance.staffCidrs, ...nat.map((address) => `${address}/32`)],
              page: platform.release.maintenance.page,
              frontendTargetGroupArn: groups.frontend,
              backOfficeTargetGroupArn: groups.backOffice,
            });
          });
          maintenanceSince = this.now();
          await step('pause cron on the back office', () =>
            onBackOffice('pause cron', `touch ${shellQuote(this.cronPauseFlag)}`).then((r) =>
              requireSuccess('pausing cron', r),
            ),
          );
          await step('snapshot the database', () =>
            aws.snapshots.snapshot(
              magentoDatabaseIdentifier(platform, environment),
              this.snapshotId,
              SNAPSHOT_TIMEOUT_SECONDS,
            ),
          );
          // From here the database is the new code's: old code must not serve it.
          migrated = true;
          await step('setup:upgrade --keep-generated (once)', () =>
            onBackOffice(`setup:upgrade ${this.releaseId}`, this.upgradeScript()).then((r) =>
              requireSuccess('setup:upgrade', r),
            ),
          );
          await step('cache:flush (once)', () =>
            onBackOffice('cache:flush', 'sudo -u webapp php /var/app/current/bin/magento cache:flush').then((r) =>
              requireSuccess('cache:flush', r),
            ),
          );
          await step('deploy the front end', () => this.deploy(aws, this.names.frontend, progress));
          await step('deploy the back office', () => this.deploy(aws, this.names.backOffice, progress));
          await step('smoke test through the exempt path', async () => {
            const url = `https://${this.environmentConfig.magento.hostNames[0]}/`;
            const status = await (this.options.smokeTest ?? httpStatus)(url);
            if (status !== 200) throw new Error(`${url} answered ${status} through the exempt path`);
          });
          await step('maintenance off', () => disableMaintenance(aws.listenerRules, listener).then(() => undefined));
          maintenanceOn = false;
          maintenanceSeconds = (this.now() - maintenanceSince) / 1000;
          await step('resume cron', () =>
            onBackOffice('resume cron', `rm -f ${shellQuote(this.cronPauseFlag)}`).then((r) =>
              requireSuccess('resuming cron', r),
            ),
          );
        }
      }
    } catch (error) {
      throw await this.failure(aws, current, error, instance, { migrated, maintenanceOn, previous });
    } finally {
      await aws.parameters.release(lock);
    }
    return {
      releaseId: this.releaseId,
      strategy: this.options.strategy,
      upgrade,
      steps: timings,
      maintenanceSeconds,
      totalSeconds: (this.now() - started) / 1000,
    };
  }

  private async deploy(aws: ReleasePlatform, environmentName: string, progress: (line: string) => void): Promise<void> {
    const timeout =
      this.options.platform.magento.deployment.timeoutSeconds * (this.environmentConfig.magento.frontend.instances + 2);
    await aws.beanstalk.deploy(environmentName, this.releaseId, timeout, (event) =>
      progress(`  ${environmentName}: ${event}`),
    );
  }

  /**
   * The failure, with what the document's "In Case of an Error" asks for: the instance and its
   * private IP, the tail of its eb-engine.log, and what to do next. Maintenance set up by a
   * release that never migrated is lifted (old code and old database agree); after a migration
   * it stays on.
   */
  private async failure(
    aws: ReleasePlatform,
    step: string,
    error: unknown,
    known: EnvironmentInstance | undefined,
    state: { migrated: boolean; maintenanceOn: boolean; previous: { frontend?: string; backOffice?: string } },
  ): Promise<ReleaseFailure> {
    const { platform, environment } = this.options;
    const { instanceId, privateIp, logTail } = await failedInstance(aws, error, known);
    let maintenanceLeftOn = state.maintenanceOn;
    const nextSteps: string[] = [];
    if (state.maintenanceOn && !state.migrated && this.options.strategy === 'safe') {
      try {
        const listener = await aws.parameters.get(httpsListenerParameter(platform, environment));
        await disableMaintenance(aws.listenerRules, listener);
        maintenanceLeftOn = false;
      } catch {
        nextSteps.push(`lift maintenance: storestack maintenance off --env ${environment}`);
      }
    }
    if (state.migrated) {
      nextSteps.push(
        `the database was migrated to release ${this.releaseId}: maintenance stays ON so no old code serves it`,
        `fix the cause, then resume: storestack release magento --env ${environment} --artifact ${this.options.artifact.file}`,
        `or restore the snapshot ${this.snapshotId} and roll back (docs/runbooks/failed-release.md)`,
      );
    } else {
      nextSteps.push(
        `fix the cause, then run again: storestack release magento --env ${environment} --artifact ${this.options.artifact.file}`,
      );
      for (const [name, label] of [
        [magentoEnvironmentNames(platform, environment).frontend, state.previous.frontend],
        [magentoEnvironmentNames(platform, environment).backOffice, state.previous.backOffice],
      ] as const) {
        if (label)
          nextSteps.push(
            `roll back ${name}: aws elasticbeanstalk update-environment --environment-name ${name} --version-label ${label}`,
          );
      }
    }
    if (maintenanceLeftOn && !state.migrated && this.options.strategy === 'classic') {
      nextSteps.push(`the instances are in Magento maintenance: storestack maintenance status --env ${environment}`);
    }
    return new ReleaseFailure(
      step,
      error,
      instanceId ? { id: instanceId, privateIp } : undefined,
      logTail,
      maintenanceLeftOn,
      nextSteps,
    );
  }

  /** The preflight on the back office: whether the new code needs setup:upgrade. */
  private async upgradeNeeded(
    onBackOffice: (comment: string, script: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>,
    requireSuccess: (what: string, result: { exitCode: number; stdout: string; stderr: string }) => void,
    bucket: string,
  ): Promise<boolean> {
    const result = await onBackOffice(`preflight ${this.releaseId}`, this.preflightScript(bucket));
    const verdict = /^storestack-preflight: (upgrade|current)$/m.exec(result.stdout)?.[1];
    if (result.exitCode !== 0 || !verdict)
      requireSuccess('the preflight', { ...result, exitCode: result.exitCode || 1 });
    return verdict === 'upgrade';
  }

  /** Unpacks the release beside the current one and asks Magento whether the database needs it. */
  private preflightScript(bucket: string): string {
    const dir = `/var/app/storestack-preflight/${this.releaseId}`;
    return [
      `dir=${shellQuote(dir)}`,
      'rm -rf "$dir" && mkdir -p "$dir"',
      `aws s3 cp --only-show-errors ${shellQuote(`s3://${bucket}/${this.artifactKey}`)} "$dir.zip"`,
      'unzip -q "$dir.zip" -d "$dir" && rm -f "$dir.zip"',
      'cp /var/app/current/app/etc/env.php "$dir/app/etc/env.php"',
      'chown -R webapp:webapp "$dir"',
      'status=0',
      'sudo -u webapp php "$dir/bin/magento" setup:db:status || status=$?',
      'config=0',
      'sudo -u webapp php "$dir/bin/magento" app:config:status || config=$?',
      // Exit 2 is Magento's "upgrade needed"; anything else than 0 or 2 is a failure.
      'if (( status > 2 || config > 2 || status == 1 || config == 1 )); then echo "storestack-preflight: failed ($status, $config)" >&2; exit 1; fi',
      'if (( status == 2 || config == 2 )); then echo "storestack-preflight: upgrade"; else echo "storestack-preflight: current"; fi',
    ].join('\n');
  }

  /** setup:upgrade once, from the unpacked new code, with the database the release migrates. */
  private upgradeScript(): string {
    const dir = `/var/app/storestack-preflight/${this.releaseId}`;
    return `sudo -u webapp php ${shellQuote(`${dir}/bin/magento`)} setup:upgrade --keep-generated --no-interaction`;
  }
}

/**
 * Takes a release's lock, or stops the release naming who holds it, since when and for what
 * (a second release of the same environment while one runs is refused).
 */
export async function takeReleaseLock(aws: ReleasePlatform, lock: string, owner: LockOwner): Promise<void> {
  const holder = await aws.parameters.acquire(lock, owner);
  if (!holder) return;
  throw new ReleaseFailure(
    'take the release lock',
    new Error(`another release holds the lock ${lock}: ${holder.owner} since ${holder.since} (${holder.purpose})`),
    undefined,
    '',
    false,
    [`wait for it, or, if it is dead, remove the lock: aws ssm delete-parameter --name ${lock}`],
  );
}

/**
 * The instance a failure happened on (Beanstalk's events name it, else the one the step ran on),
 * its private IP and the tail of its /var/log/eb-engine.log (the document's "In Case of an Error").
 */
export async function failedInstance(
  aws: ReleasePlatform,
  error: unknown,
  known: { readonly id: string } | undefined,
): Promise<{ instanceId: string | undefined; privateIp: string | undefined; logTail: string }> {
  const instanceId = error instanceof BeanstalkDeploymentError ? (error.instanceId ?? known?.id) : known?.id;
  if (!instanceId) return { instanceId, privateIp: undefined, logTail: '' };
  try {
    const privateIp = await aws.commands.privateIp(instanceId);
    const tail = await aws.commands.run(instanceId, `tail -n ${LOG_LINES} /var/log/eb-engine.log`, {
      comment: 'eb-engine.log tail',
      timeoutSeconds: 60,
    });
    return { instanceId, privateIp, logTail: tail.stdout };
  } catch (reason) {
    return {
      instanceId,
      privateIp: undefined,
      logTail: `(the log could not be read: ${reason instanceof Error ? reason.message : String(reason)})`,
    };
  }
}

export function elapsed(start: number, at: number): string {
  const seconds = Math.round((at - start) / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** GET `url` and return the status (the CLI runs on Rundeck, behind a NAT gateway: the exempt path). */
async function httpStatus(url: string): Promise<number> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return response.status;
}

/** The windows the dry run reports, in seconds. */
export function planWindows(plan: ReleasePlan): { total: number; maintenance: number; branch?: string }[] {
  const sum = (steps: readonly PlanStep[]) => steps.reduce((total, step) => total + step.estimateSeconds, 0);
  const inMaintenance = (steps: readonly PlanStep[]) => sum(steps.filter((step) => step.store === 'maintenance (503)'));
  if (plan.ifUpgrade && plan.ifNoUpgrade) {
    return [
      { branch: 'no upgrade', total: sum(plan.steps) + sum(plan.ifNoUpgrade), maintenance: 0 },
      { branch: 'upgrade', total: sum(plan.steps) + sum(plan.ifUpgrade), maintenance: inMaintenance(plan.ifUpgrade) },
    ];
  }
  return [{ total: sum(plan.steps), maintenance: inMaintenance(plan.steps) }];
}

/** Where the instances mount the statics share, which holds one `version<N>/` per published release. */
export function staticsDirectory(platform: Platform): string {
  const share = platform.magento.mounts.find((mount) => mount.path === 'pub/static')?.share;
  return `${MOUNTS_ROOT}/${share ?? 'magento-statics'}`;
}

/** Where a release's artifact is kept in the release artifacts bucket. */
export function magentoArtifactKey(releaseId: string): string {
  return `magento/${releaseId}.zip`;
}

/**
 * The script (run as root on a back-office instance) that publishes a release's `pub/static` into
 * `version<N>/` on the statics share: unpacked aside, then moved into place whole, so no instance
 * ever serves half a directory; an existing `version<N>/` is kept unless `force`, which publishes
 * a fresh copy and swaps it in. Older versions beyond `keep` are removed, never the one published.
 */
export function staticsPublishScript(props: {
  readonly staticsDir: string;
  readonly releaseId: string;
  /** The artifact, `s3://<bucket>/<key>`. */
  readonly source: string;
  readonly keep: number;
  readonly force?: boolean;
}): string {
  return [
    `dir=${shellQuote(props.staticsDir)}`,
    `target="$dir/version${props.releaseId}"`,
    props.force ? '' : 'if [[ -d "$target" ]]; then echo "storestack-statics: $target already published"; exit 0; fi',
    'work="$(mktemp -d "$dir/.publishing-XXXXXX")"',
    'trap \'rm -rf "$work"\' EXIT',
    `aws s3 cp --only-show-errors ${shellQuote(props.source)} "$work/release.zip"`,
    'unzip -q "$work/release.zip" \'pub/static/*\' -d "$work/unpacked"',
    'rm -f "$work/unpacked/pub/static/.htaccess"',
    'chown -R webapp:webapp "$work/unpacked/pub/static"',
    // A forced republish swaps the directories: the old copy is renamed away, then removed.
    'if [[ -d "$target" ]]; then mv -T "$target" "$work/previous"; fi',
    'mv -T "$work/unpacked/pub/static" "$target"',
    'echo "storestack-statics: published $target"',
    `keep=${props.keep}`,
    // The others, oldest first: all but the newest keep-1 go (the published one is the keep-th).
    `mapfile -t others < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'version[0-9]*' ! -name "version${props.releaseId}" -printf '%f\\n' | sort -V)`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own expansions
    'if (( ${#others[@]} > keep - 1 )); then',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own expansions
    '  for old in "${others[@]:0:${#others[@]}-keep+1}"; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own expansions
    '    rm -rf "${dir:?}/$old"',
    '    echo "storestack-statics: removed $old"',
    '  done',
    'fi',
  ]
    .filter(Boolean)
    .join('\n');
}
