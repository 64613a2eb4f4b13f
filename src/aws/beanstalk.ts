// Elastic Beanstalk, for releases: application versions, an environment's state, instances and
// events, and rolling a version out (UpdateEnvironment, then waiting until the environment is
// Ready again and every instance runs the version).
import {
  CreateApplicationVersionCommand,
  DescribeApplicationVersionsCommand,
  DescribeEnvironmentsCommand,
  DescribeEventsCommand,
  DescribeInstancesHealthCommand,
  type ElasticBeanstalkClient,
  UpdateEnvironmentCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import { REAL_TIME, type Sleeper } from './commands.ts';
import { BeanstalkDeploymentError } from './errors.ts';

export { BeanstalkDeploymentError };

/** An environment as a release sees it. */
export interface EnvironmentState {
  readonly name: string;
  readonly applicationName: string;
  /** `Launching`, `Updating`, `Ready`, `Terminating`, `Terminated`. */
  readonly status: string;
  /** `Green`, `Yellow`, `Red`, `Grey`. */
  readonly health: string;
  /** Enhanced health: `Ok`, `Info`, `Warning`, `Degraded`, `Severe`, ... */
  readonly healthStatus: string;
  readonly versionLabel: string | undefined;
}

/** One instance of an environment. */
export interface EnvironmentInstance {
  readonly id: string;
  readonly healthStatus: string;
  /** The application version the instance runs (enhanced health's deployment record). */
  readonly versionLabel: string | undefined;
  readonly launchedAt: Date | undefined;
}

/** What a rollout reports while it waits. */
export type RolloutProgress = (message: string) => void;

export interface BeanstalkEnvironments {
  describe(environmentName: string): Promise<EnvironmentState>;
  instances(environmentName: string): Promise<EnvironmentInstance[]>;
  /** Whether the application already has this version label. */
  hasVersion(applicationName: string, versionLabel: string): Promise<boolean>;
  createVersion(
    applicationName: string,
    versionLabel: string,
    bucket: string,
    key: string,
    description: string,
  ): Promise<void>;
  /**
   * Deploys `versionLabel` to the environment and waits until it is Ready, every instance runs
   * the version and the environment's health is Green again. Throws with Beanstalk's error events
   * when the deployment fails or outlives `timeoutSeconds`.
   */
  deploy(
    environmentName: string,
    versionLabel: string,
    timeoutSeconds: number,
    progress: RolloutProgress,
  ): Promise<void>;
  /** The environment's events since `since`, oldest first (`<time> <severity> <message>`). */
  events(environmentName: string, since: Date): Promise<string[]>;
}

const INSTANCE_ID = /\bi-[0-9a-f]{8,17}\b/;
/** How long a deployment may take to show as started before a Ready environment on the old version counts as failed. */
const START_GRACE_SECONDS = 120;

export class SdkBeanstalkEnvironments implements BeanstalkEnvironments {
  constructor(
    private readonly client: ElasticBeanstalkClient,
    private readonly clock: Sleeper = REAL_TIME,
    private readonly pollMilliseconds = 15_000,
  ) {}

  async describe(environmentName: string): Promise<EnvironmentState> {
    const output = await this.client.send(
      new DescribeEnvironmentsCommand({ EnvironmentNames: [environmentName], IncludeDeleted: false }),
    );
    const environment = output.Environments?.[0];
    if (!environment) throw new Error(`Elastic Beanstalk environment ${environmentName} does not exist`);
    return {
      name: environmentName,
      applicationName: environment.ApplicationName ?? '',
      status: environment.Status ?? 'Unknown',
      health: environment.Health ?? 'Grey',
      healthStatus: environment.HealthStatus ?? 'Unknown',
      versionLabel: environment.VersionLabel,
    };
  }

  async instances(environmentName: string): Promise<EnvironmentInstance[]> {
    const instances: EnvironmentInstance[] = [];
    let nextToken: string | undefined;
    do {
      const output = await this.client.send(
        new DescribeInstancesHealthCommand({
          EnvironmentName: environmentName,
          AttributeNames: ['HealthStatus', 'Deployment', 'LaunchedAt'],
          NextToken: nextToken,
        }),
      );
      for (const instance of output.InstanceHealthList ?? []) {
        if (!instance.InstanceId) continue;
        instances.push({
          id: instance.InstanceId,
          healthStatus: instance.HealthStatus ?? 'Unknown',
          versionLabel: instance.Deployment?.VersionLabel,
          launchedAt: instance.LaunchedAt,
        });
      }
      nextToken = output.NextToken;
    } while (nextToken);
    return instances.sort((a, b) => a.id.localeCompare(b.id));
  }

  async hasVersion(applicationName: string, versionLabel: string): Promise<boolean> {
    const output = await this.client.send(
      new DescribeApplicationVersionsCommand({ ApplicationName: applicationName, VersionLabels: [versionLabel] }),
    );
    return (output.ApplicationVersions ?? []).length > 0;
  }

  async createVersion(
    applicationName: string,
    versionLabel: string,
    bucket: string,
    key: string,
    description: string,
  ): Promise<void> {
    await this.client.send(
      new CreateApplicationVersionCommand({
        ApplicationName: applicationName,
        VersionLabel: versionLabel,
        Description: description.slice(0, 200),
        SourceBundle: { S3Bucket: bucket, S3Key: key },
        // Beanstalk checks the bundle before any environment gets it.
        Process: true,
      }),
    );
  }

  async deploy(
    environmentName: string,
    versionLabel: string,
    timeoutSeconds: number,
    progress: RolloutProgress,
  ): Promise<void> {
    const started = new Date(this.clock.now());
    const update = await this.client.send(
      new UpdateEnvironmentCommand({ EnvironmentName: environmentName, VersionLabel: versionLabel }),
    );
    const deadline = this.clock.now() + timeoutSeconds * 1000;
    // Until Beanstalk is seen updating, a Ready environment on the old version may just not have
    // started yet: that alone is not a failure before this grace period.
    const startGrace = this.clock.now() + START_GRACE_SECONDS * 1000;
    let updating = update?.Status === 'Updating';
    let seen = 0;
    for (;;) {
      await this.clock.sleep(this.pollMilliseconds);
      const events = await this.events(environmentName, started);
      for (const event of events.slice(seen)) progress(event);
      seen = events.length;
      const state = await this.describe(environmentName);
      if (state.status !== 'Ready') updating = true;
      if (state.status === 'Ready') {
        const errors = events.filter((event) => / ERROR /.test(event));
        const notStarted = state.versionLabel !== versionLabel && errors.length === 0 && !updating;
        if (notStarted && this.clock.now() < startGrace) continue;
        if (state.versionLabel !== versionLabel || errors.length > 0) {
          throw new BeanstalkDeploymentError(
            `the deployment of ${versionLabel} to ${environmentName} failed: the environment runs ${state.versionLabel ?? 'no version'}`,
            environmentName,
            errors.map((event) => INSTANCE_ID.exec(event)?.[0]).find(Boolean),
            events,
          );
        }
        const instances = await this.instances(environmentName);
        const behind = instances.filter((instance) => instance.versionLabel !== versionLabel);
        if (behind.length === 0 && state.health === 'Green') return;
      }
      if (this.clock.now() > deadline) {
        throw new BeanstalkDeploymentError(
          `the deployment of ${versionLabel} to ${environmentName} did not finish within ${timeoutSeconds} s (status ${state.status}, health ${state.health})`,
          environmentName,
          undefined,
          events,
        );
      }
    }
  }

  async events(environmentName: string, since: Date): Promise<string[]> {
    const output = await this.client.send(
      new DescribeEventsCommand({ EnvironmentName: environmentName, StartTime: since, MaxRecords: 1000 }),
    );
    return (output.Events ?? [])
      .map((event) => `${event.EventDate?.toISOString() ?? ''} ${event.Severity ?? 'INFO'} ${event.Message ?? ''}`)
      .reverse();
  }
}
