// The AWS side of the operational commands, as the narrow interfaces of src/aws: built once per
// command run from the clients of the configured region. Commands receive a factory, so tests
// hand them interfaces over mocked clients.
import { type Alarms, CloudWatchAlarms } from './alarms.ts';
import { type ArtifactStore, S3ArtifactStore } from './artifacts.ts';
import { type BeanstalkEnvironments, SdkBeanstalkEnvironments } from './beanstalk.ts';
import { awsClients } from './clients.ts';
import { type CommandRunner, SsmCommandRunner } from './commands.ts';
import { type DatabaseSnapshots, RdsSnapshots } from './database.ts';
import { type ListenerRules, SdkListenerRules } from './load-balancer.ts';
import { type Locks, type Parameters, SsmParameters } from './parameters.ts';

/** Everything the operational commands reach; a release uses part of it (ReleasePlatform). */
export interface OperationsAws {
  readonly beanstalk: BeanstalkEnvironments;
  readonly commands: CommandRunner;
  readonly parameters: Parameters & Locks;
  readonly listenerRules: ListenerRules;
  readonly artifacts: ArtifactStore;
  readonly snapshots: DatabaseSnapshots;
  readonly alarms: Alarms;
}

/**
 * What a release needs of a platform: roll a version through an environment's instances, run a
 * command on an instance, read and change the listener's rules, snapshot the database, store the
 * artifact, hold the lock. Implemented over AWS (realOperationsAws) and over the rehearsal's
 * miniature (src/rehearsal/platform.ts); the plan, the strategies, the failure handling and the
 * locks of src/release are the same on both.
 */
export type ReleasePlatform = Pick<
  OperationsAws,
  'beanstalk' | 'commands' | 'parameters' | 'listenerRules' | 'artifacts' | 'snapshots'
>;

/** Builds the interfaces for a region. */
export type OperationsAwsFactory = (region: string) => Promise<OperationsAws>;

/** The real ones: SDK v3 clients with the default credential chain. */
export const realOperationsAws: OperationsAwsFactory = async (region) => {
  const clients = awsClients(region);
  const ssm = await clients.ssm();
  return {
    beanstalk: new SdkBeanstalkEnvironments(await clients.beanstalk()),
    commands: new SsmCommandRunner(ssm),
    parameters: new SsmParameters(ssm),
    listenerRules: new SdkListenerRules(await clients.loadBalancing()),
    artifacts: new S3ArtifactStore(await clients.s3()),
    snapshots: new RdsSnapshots(await clients.rds()),
    alarms: new CloudWatchAlarms(await clients.cloudWatch()),
  };
};
