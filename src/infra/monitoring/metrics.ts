// The metrics the document's alarms and dashboard read (7.F), and those of the alarms it lacks:
// one small class per service, creating metrics only. Alarms (alarms.ts) and widgets
// (dashboard.ts) take them from here, so a metric is spelled once.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/** A metric of `namespace` with its dimensions; statistic and period as the caller needs them. */
function metric(
  namespace: string,
  metricName: string,
  dimensionsMap: Record<string, string>,
  statistic: string,
  period: Duration,
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic, period, label });
}

/** Quotes a value for a SEARCH expression. */
function searchValue(value: string): string {
  return `"${value.replaceAll('"', '\\"')}"`;
}

/** An RDS instance (AWS/RDS, by DBInstanceIdentifier). */
export class RdsMetrics {
  constructor(readonly instanceIdentifier: string) {}

  private of(name: string, statistic: string, period: Duration): cloudwatch.Metric {
    return metric('AWS/RDS', name, { DBInstanceIdentifier: this.instanceIdentifier }, statistic, period);
  }

  /** CPUUtilization, %, average per minute. */
  cpu(period = ONE_MINUTE): cloudwatch.Metric {
    return this.of('CPUUtilization', 'Average', period);
  }

  /** DatabaseConnections, average per minute. */
  connections(): cloudwatch.Metric {
    return this.of('DatabaseConnections', 'Average', ONE_MINUTE);
  }

  /** FreeStorageSpace, bytes, the minimum per 5 minutes. */
  freeStorage(): cloudwatch.Metric {
    return this.of('FreeStorageSpace', 'Minimum', FIVE_MINUTES);
  }
}

/** Numeric values of Beanstalk's EnvironmentHealth metric (enhanced health). */
export const ENVIRONMENT_HEALTH = { ok: 0, info: 1, unknown: 5, noData: 10, warning: 15, degraded: 20, severe: 25 };

/** A Beanstalk environment's enhanced health metrics (AWS/ElasticBeanstalk). */
export class BeanstalkMetrics {
  constructor(readonly environmentName: string) {}

  /** EnvironmentHealth: 0 Ok up to 25 Severe (see ENVIRONMENT_HEALTH). */
  environmentHealth(period = FIVE_MINUTES): cloudwatch.Metric {
    return metric(
      'AWS/ElasticBeanstalk',
      'EnvironmentHealth',
      { EnvironmentName: this.environmentName },
      'Average',
      period,
    );
  }

  /**
   * LoadAverage5min of each instance: a SEARCH, since Beanstalk's instances (and their ids) come
   * and go with scaling and releases.
   */
  loadAverage5min(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{AWS/ElasticBeanstalk,EnvironmentName,InstanceId} MetricName="LoadAverage5min" EnvironmentName=${searchValue(this.environmentName)}', 'Average', 300)`,
      usingMetrics: {},
      label: '',
      period: FIVE_MINUTES,
    });
  }
}

/** An Application Load Balancer (AWS/ApplicationELB), by its full name `app/<name>/<id>`. */
export class LoadBalancerMetrics {
  constructor(readonly fullName: string) {}

  private of(name: string, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
    return metric('AWS/ApplicationELB', name, { LoadBalancer: this.fullName }, statistic, period, label);
  }

  requestCount(period = FIVE_MINUTES): cloudwatch.Metric {
    return this.of('RequestCount', 'Sum', period, 'Requests');
  }

  /** The instances' answers by class: HTTPCode_Target_<n>XX_Count. */
  targetResponses(httpClass: 2 | 3 | 4 | 5, period = FIVE_MINUTES): cloudwatch.Metric {
    return this.of(`HTTPCode_Target_${httpClass}XX_Count`, 'Sum', period, `${httpClass}xx`);
  }

  /** TargetResponseTime, seconds: the ALB's name for the classic load balancer's Latency. */
  latency(period = FIVE_MINUTES): cloudwatch.Metric {
    return this.of('TargetResponseTime', 'Average', period, 'Latency');
  }

  /** ActiveConnectionCount: the ALB's name for EstimatedALBActiveConnections. */
  activeConnections(period = FIVE_MINUTES): cloudwatch.Metric {
    return this.of('ActiveConnectionCount', 'Sum', period, 'Active connections');
  }

  /** ProcessedBytes: the ALB's name for EstimatedProcessedBytes. */
  processedBytes(period = FIVE_MINUTES): cloudwatch.Metric {
    return this.of('ProcessedBytes', 'Sum', period, 'Processed bytes');
  }

  /**
   * HealthyHostCount or UnHealthyHostCount per target group: a SEARCH, since Beanstalk creates the
   * target groups (and their names) with the environments.
   */
  hostCount(kind: 'HealthyHostCount' | 'UnHealthyHostCount', period = FIVE_MINUTES): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="${kind}" LoadBalancer=${searchValue(this.fullName)}', 'Average', ${period.toSeconds()})`,
      usingMetrics: {},
      label: '',
      period,
    });
  }

  /** The share of requests the instances answered 5xx, in %; 0 without requests. */
  target5xxRate(period = FIVE_MINUTES): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: { requests: this.requestCount(period), errors: this.targetResponses(5, period) },
      label: 'Target 5xx rate (%)',
      period,
    });
  }
}

/** One Redis replication group's nodes (AWS/ElastiCache, by CacheClusterId `<group>-00<n>`). */
export class RedisMetrics {
  /** The node ids: the primary's first at creation, the replicas after (roles swap on failover). */
  readonly nodeIds: readonly string[];

  constructor(
    readonly replicationGroupId: string,
    nodes: number,
  ) {
    this.nodeIds = Array.from({ length: nodes }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, '0')}`);
  }

  private of(node: string, name: string, statistic: string, period = FIVE_MINUTES): cloudwatch.Metric {
    return metric('AWS/ElastiCache', name, { CacheClusterId: node }, statistic, period, node);
  }

  /** The largest value over the nodes: one alarm per group, whichever node is primary. */
  private maxOverNodes(
    name: string,
    statistic: string,
    label: string,
    nodes = this.nodeIds,
  ): cloudwatch.MathExpression {
    const usingMetrics = Object.fromEntries(nodes.map((node, i) => [`n${i + 1}`, this.of(node, name, statistic)]));
    return new cloudwatch.MathExpression({
      expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label,
      period: FIVE_MINUTES,
    });
  }

  /** CPUUtilization of each node, as the document's dashboard shows it. */
  cpu(): cloudwatch.Metric[] {
    return this.nodeIds.map((node) => this.of(node, 'CPUUtilization', 'Average'));
  }

  memoryPercent(): cloudwatch.MathExpression {
    return this.maxOverNodes('DatabaseMemoryUsagePercentage', 'Maximum', `${this.replicationGroupId} memory (%)`);
  }

  evictions(): cloudwatch.MathExpression {
    return this.maxOverNodes('Evictions', 'Sum', `${this.replicationGroupId} evictions`);
  }

  /** ReplicationLag, seconds, which only replicas report; undefined without replicas. */
  replicationLag(): cloudwatch.MathExpression | undefined {
    if (this.nodeIds.length < 2) return undefined;
    return this.maxOverNodes('ReplicationLag', 'Maximum', `${this.replicationGroupId} replication lag (s)`);
  }
}

/** A site-to-site VPN connection (AWS/VPN TunnelState: the average of its two tunnels, 1 up, 0 down). */
export class VpnMetrics {
  constructor(readonly vpnId: string) {}

  tunnelState(statistic: 'Maximum' | 'Minimum'): cloudwatch.Metric {
    return metric('AWS/VPN', 'TunnelState', { VpnId: this.vpnId }, statistic, FIVE_MINUTES);
  }
}

/** An EC2 instance's status checks (AWS/EC2 StatusCheckFailed: 1 when the system or instance check fails). */
export function statusCheckFailed(instanceId: string): cloudwatch.Metric {
  return metric('AWS/EC2', 'StatusCheckFailed', { InstanceId: instanceId }, 'Maximum', ONE_MINUTE);
}

/** What the NFS server's CloudWatch agent publishes: a metric per share, by its mount point. */
export interface NfsDiskMetrics {
  readonly namespace: string;
  readonly metric: string;
  readonly dimension: string;
  readonly paths: readonly string[];
}

/** The disk used, %, of the share mounted at `path` on the NFS server. */
export function agentMetric(disks: NfsDiskMetrics, path: string): cloudwatch.Metric {
  return metric(disks.namespace, disks.metric, { [disks.dimension]: path }, 'Maximum', FIVE_MINUTES);
}

/** An ACM certificate's DaysToExpiry (published daily, in the certificate's region). */
export function daysToExpiry(certificateArn: string): cloudwatch.Metric {
  return metric(
    'AWS/CertificateManager',
    'DaysToExpiry',
    { CertificateArn: certificateArn },
    'Minimum',
    Duration.days(1),
  );
}

/** A CloudFront distribution's 5xxErrorRate, % (us-east-1, Region Global). */
export function cloudFront5xxRate(distributionId: string): cloudwatch.Metric {
  return metric(
    'AWS/CloudFront',
    '5xxErrorRate',
    { DistributionId: distributionId, Region: 'Global' },
    'Average',
    FIVE_MINUTES,
  );
}

/** AWS Backup's failed backup jobs of a vault (AWS/Backup NumberOfBackupJobsFailed). */
export function failedBackupJobs(vaultName: string): cloudwatch.Metric {
  return metric('AWS/Backup', 'NumberOfBackupJobsFailed', { BackupVaultName: vaultName }, 'Sum', Duration.hours(1));
}
