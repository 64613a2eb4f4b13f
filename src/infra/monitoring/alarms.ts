// The alarms (document 7.F and the ones storestack adds), built from metrics.ts. Every alarm
// notifies its topic on ALARM and on OK. How each treats missing data is decided here, per alarm,
// with the reason beside it (README, "Monitoring").
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AlertingConfig } from '../../config/alerting-schema.ts';
import {
  agentMetric,
  type BeanstalkMetrics,
  cloudFront5xxRate,
  daysToExpiry,
  ENVIRONMENT_HEALTH,
  failedBackupJobs,
  type LoadBalancerMetrics,
  type NfsDiskMetrics,
  type RdsMetrics,
  type RedisMetrics,
  statusCheckFailed,
  VpnMetrics,
} from './metrics.ts';

const {
  GREATER_THAN_THRESHOLD,
  GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  LESS_THAN_THRESHOLD,
  LESS_THAN_OR_EQUAL_TO_THRESHOLD,
} = cloudwatch.ComparisonOperator;
const { BREACHING, NOT_BREACHING, MISSING } = cloudwatch.TreatMissingData;

/** One alarm: its name and metric, when it fires, and what a gap in the data means. */
export interface AlarmSpec {
  /** The construct id: stable, it names the resource. */
  readonly id: string;
  readonly alarmName: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

/** Creates the alarm of `spec`, which notifies `topic` on ALARM and on OK. */
export function notifyingAlarm(scope: Construct, topic: sns.ITopic, spec: AlarmSpec): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, spec.id, {
    alarmName: spec.alarmName,
    alarmDescription: spec.description,
    metric: spec.metric,
    comparisonOperator: spec.comparison,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: spec.treatMissingData,
  });
  const action = new actions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

/** `prod` -> `Prod`, as the document writes the environment in its alarm names. */
function titled(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * `<Env> eb health` (document: `Prod eb health`): the front end's EnvironmentHealth above 0 (Ok)
 * for 3 datapoints within 15 minutes, or from Warning up when config says so. Missing data is
 * breaching: Beanstalk reports every minute while it can see the environment.
 */
export function environmentHealthAlarm(
  scope: Construct,
  topic: sns.ITopic,
  environment: string,
  beanstalk: BeanstalkMetrics,
  from: AlertingConfig['environmentHealthFrom'],
): cloudwatch.Alarm {
  const warning = from === 'warning';
  return notifyingAlarm(scope, topic, {
    id: `${titled(environment)}EbHealth`,
    alarmName: `${titled(environment)} eb health`,
    description: warning
      ? `Beanstalk's health of ${beanstalk.environmentName} at Warning or worse for 15 minutes.`
      : `Beanstalk's health of ${beanstalk.environmentName} not Ok for 15 minutes (Info during a long release trips it too).`,
    metric: beanstalk.environmentHealth(),
    comparison: warning ? GREATER_THAN_OR_EQUAL_TO_THRESHOLD : GREATER_THAN_THRESHOLD,
    threshold: warning ? ENVIRONMENT_HEALTH.warning : ENVIRONMENT_HEALTH.ok,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: BREACHING,
  });
}

export interface DocumentAlarmsProps {
  readonly topic: sns.ITopic;
  /** The production environment's name, e.g. `prod`. */
  readonly environment: string;
  readonly database: RdsMetrics;
  readonly frontend: BeanstalkMetrics;
  /** The site-to-site VPNs to alarm on, by peer name: their VPN connection ids. */
  readonly vpns: ReadonlyMap<string, string>;
  readonly alerting: AlertingConfig;
}

/** The document's alarms (7.F), with its names, metrics and thresholds. */
export function documentAlarms(scope: Construct, props: DocumentAlarmsProps): cloudwatch.Alarm[] {
  const { topic, database, alerting } = props;
  const env = titled(props.environment);
  // RDS reports every minute; a gap says nothing about CPU or connections: keep the state.
  const alarms = [
    notifyingAlarm(scope, topic, {
      id: `DbCpu${env}`,
      alarmName: `DB CPU ${env}`,
      description: `CPU of ${database.instanceIdentifier} above 70 % for 3 datapoints within 3 minutes.`,
      metric: database.cpu(),
      comparison: GREATER_THAN_THRESHOLD,
      threshold: 70,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: MISSING,
    }),
    notifyingAlarm(scope, topic, {
      id: `DbConnections${env}`,
      alarmName: `awsrds-${database.instanceIdentifier}-High-DB-Connections`,
      description: `More than 100 connections to ${database.instanceIdentifier} for 3 datapoints within 3 minutes.`,
      metric: database.connections(),
      comparison: GREATER_THAN_THRESHOLD,
      threshold: 100,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: MISSING,
    }),
    environmentHealthAlarm(scope, topic, props.environment, props.frontend, alerting.environmentHealthFrom),
  ];
  const noTunnelUp = alerting.vpnAlarms.downWhen === 'no-tunnel-up';
  for (const peer of alerting.vpnAlarms.peers) {
    const vpnId = props.vpns.get(peer);
    if (vpnId === undefined) throw new Error(`${scope.node.path}: no VPN connection for peer ${peer}`);
    const vpn = new VpnMetrics(vpnId);
    // TunnelState averages the two tunnels: 0 none up, 0.5 one, 1 both. AWS reports it every
    // 5 minutes while the connection exists: missing data is a connection gone, so breaching.
    alarms.push(
      notifyingAlarm(scope, topic, {
        id: `Vpn${peer}`,
        alarmName: `${alerting.vpnAlarms.prefix}-${peer} VPN status`,
        description: noTunnelUp
          ? `No tunnel of the ${peer} VPN up for 15 minutes: the site is cut off.`
          : `A tunnel of the ${peer} VPN down for 15 minutes.`,
        metric: vpn.tunnelState(noTunnelUp ? 'Maximum' : 'Minimum'),
        comparison: noTunnelUp ? LESS_THAN_OR_EQUAL_TO_THRESHOLD : LESS_THAN_THRESHOLD,
        threshold: noTunnelUp ? 0 : 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: BREACHING,
      }),
    );
  }
  return alarms;
}

export interface AddedAlarmsProps {
  readonly topic: sns.ITopic;
  readonly environment: string;
  readonly thresholds: AlertingConfig['thresholds'];
  readonly loadBalancer: LoadBalancerMetrics;
  /** The Redis groups (cache, sessions) of production. */
  readonly redis: readonly { readonly purpose: string; readonly metrics: RedisMetrics }[];
  /** The databases whose free storage is watched: production's and the apps'. */
  readonly databases: readonly RdsMetrics[];
  /** The instances whose status checks are watched, by name (nfs, vpn, rundeck, gateway-...). */
  readonly instances: ReadonlyMap<string, string>;
  /** The NFS server's shares, by mount point, when the platform runs the NFS server. */
  readonly nfsDisks?: NfsDiskMetrics;
  /** The load balancers' certificate, in this region. */
  readonly certificateArn: string;
  /** The AWS Backup vault whose failed jobs alarm. */
  readonly backupVault: string;
}

/** The alarms the document lacks (README, "Monitoring", says why each exists). */
export function addedAlarms(scope: Construct, props: AddedAlarmsProps): cloudwatch.Alarm[] {
  const { topic, thresholds } = props;
  const env = titled(props.environment);
  const alarms: cloudwatch.Alarm[] = [
    notifyingAlarm(scope, topic, {
      id: `Alb5xxRate${env}`,
      alarmName: `${env} ALB target 5xx rate`,
      description: `More than ${thresholds.albTarget5xxPercent} % of the requests answered 5xx by the instances, twice in 10 minutes.`,
      metric: props.loadBalancer.target5xxRate(),
      comparison: GREATER_THAN_THRESHOLD,
      threshold: thresholds.albTarget5xxPercent,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // No requests, no errors.
      treatMissingData: NOT_BREACHING,
    }),
  ];
  for (const { purpose, metrics } of props.redis) {
    const name = `${env} Redis ${purpose}`;
    const id = `Redis${titled(purpose)}${env}`;
    alarms.push(
      notifyingAlarm(scope, topic, {
        id: `${id}Memory`,
        alarmName: `${name} memory`,
        description: `A node of ${metrics.replicationGroupId} uses more than ${thresholds.redisMemoryPercent} % of its memory for 15 minutes.`,
        metric: metrics.memoryPercent(),
        comparison: GREATER_THAN_THRESHOLD,
        threshold: thresholds.redisMemoryPercent,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: MISSING,
      }),
      notifyingAlarm(scope, topic, {
        id: `${id}Evictions`,
        alarmName: `${name} evictions`,
        description: `${metrics.replicationGroupId} evicted more than ${thresholds.redisEvictions} keys in 5 minutes.`,
        metric: metrics.evictions(),
        comparison: GREATER_THAN_THRESHOLD,
        threshold: thresholds.redisEvictions,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: NOT_BREACHING,
      }),
    );
    const lag = metrics.replicationLag();
    if (lag) {
      alarms.push(
        notifyingAlarm(scope, topic, {
          id: `${id}ReplicationLag`,
          alarmName: `${name} replication lag`,
          description: `A replica of ${metrics.replicationGroupId} more than ${thresholds.redisReplicationLagSeconds} s behind for 15 minutes.`,
          metric: lag,
          comparison: GREATER_THAN_THRESHOLD,
          threshold: thresholds.redisReplicationLagSeconds,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          treatMissingData: MISSING,
        }),
      );
    }
  }
  for (const database of props.databases) {
    alarms.push(
      notifyingAlarm(scope, topic, {
        id: `FreeStorage-${database.instanceIdentifier}`,
        alarmName: `${database.instanceIdentifier} free storage`,
        description: `Less than ${thresholds.rdsFreeStorageGiB} GiB free on ${database.instanceIdentifier}.`,
        metric: database.freeStorage(),
        comparison: LESS_THAN_THRESHOLD,
        threshold: thresholds.rdsFreeStorageGiB * 1024 ** 3,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: MISSING,
      }),
    );
  }
  for (const [name, instanceId] of props.instances) {
    // EC2 reports every minute while the instance runs: a stopped instance is down, so breaching.
    alarms.push(
      notifyingAlarm(scope, topic, {
        id: `StatusCheck-${name}`,
        alarmName: `${name} status check`,
        description: `The ${name} instance fails its EC2 status checks (or stopped reporting) for 2 minutes.`,
        metric: statusCheckFailed(instanceId),
        comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: BREACHING,
      }),
    );
  }
  const disks = props.nfsDisks;
  for (const path of disks?.paths ?? []) {
    alarms.push(
      notifyingAlarm(scope, topic, {
        id: `NfsDisk${path.replaceAll('/', '-')}`,
        alarmName: `nfs disk ${path}`,
        description: `More than ${thresholds.nfsDiskUsedPercent} % of the NFS share ${path} used.`,
        metric: agentMetric(disks as NfsDiskMetrics, path),
        comparison: GREATER_THAN_THRESHOLD,
        threshold: thresholds.nfsDiskUsedPercent,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // The agent stopping is the status check's business; a gap keeps the state.
        treatMissingData: MISSING,
      }),
    );
  }
  alarms.push(
    certificateAlarm(scope, topic, 'Load balancer', props.certificateArn, thresholds.certificateDaysToExpiry),
    notifyingAlarm(scope, topic, {
      id: 'FailedBackupJobs',
      alarmName: `${props.backupVault} failed backup jobs`,
      description: `A backup job of the vault ${props.backupVault} failed.`,
      metric: failedBackupJobs(props.backupVault),
      comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // AWS Backup reports only when jobs run.
      treatMissingData: NOT_BREACHING,
    }),
  );
  return alarms;
}

/** The imported certificate's days to expiry (it does not renew itself), in its own region. */
export function certificateAlarm(
  scope: Construct,
  topic: sns.ITopic,
  user: 'Load balancer' | 'CloudFront',
  certificateArn: string,
  days: number,
): cloudwatch.Alarm {
  return notifyingAlarm(scope, topic, {
    id: `${user.replace(' ', '')}CertificateExpiry`,
    alarmName: `${user} certificate expiry`,
    description: `The imported certificate ${certificateArn} expires in less than ${days} days: import its renewal.`,
    metric: daysToExpiry(certificateArn),
    comparison: LESS_THAN_THRESHOLD,
    threshold: days,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    // ACM publishes once a day.
    treatMissingData: MISSING,
  });
}

/** A distribution's 5xx error rate (us-east-1). */
export function cloudFrontAlarm(
  scope: Construct,
  topic: sns.ITopic,
  name: string,
  distributionId: string,
  percent: number,
): cloudwatch.Alarm {
  return notifyingAlarm(scope, topic, {
    id: `CloudFront5xx-${name}`,
    alarmName: `cloudfront ${name} 5xx rate`,
    description: `More than ${percent} % of the ${name} distribution's responses are 5xx, for 15 minutes.`,
    metric: cloudFront5xxRate(distributionId),
    comparison: GREATER_THAN_THRESHOLD,
    threshold: percent,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    // CloudFront reports only when it serves requests.
    treatMissingData: NOT_BREACHING,
  });
}
