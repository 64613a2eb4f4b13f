import type * as rds from 'aws-cdk-lib/aws-rds';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import type { MysqlDatabase } from '../data/mysql-database.ts';
import { addedAlarms, documentAlarms, environmentHealthAlarm } from '../monitoring/alarms.ts';
import { AlertTopic } from '../monitoring/alert-topic.ts';
import { ProductionDashboard } from '../monitoring/dashboard.ts';
import { instanceIdParameter } from '../monitoring/instance-ids.ts';
import { BeanstalkMetrics, LoadBalancerMetrics, RdsMetrics, RedisMetrics } from '../monitoring/metrics.ts';
import { PlatformStack } from '../platform-stack.ts';
import { NFS_DISK_DIMENSION, NFS_DISK_METRIC, NFS_DISK_NAMESPACE, NfsServer } from '../storage/nfs-server.ts';
import type { AppsDataStack } from './apps-data-stack.ts';
import type { DataStack } from './data-stack.ts';
import type { MagentoStack } from './magento-stack.ts';
import type { NetworkStack } from './network-stack.ts';
import type { OpsStack } from './ops-stack.ts';
import type { StorageStack } from './storage-stack.ts';

export interface MonitoringStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
  readonly storage: StorageStack;
  readonly data: ReadonlyMap<string, DataStack>;
  readonly appsData: AppsDataStack;
  readonly magento: ReadonlyMap<string, MagentoStack>;
  readonly ops: OpsStack;
}

/** The alert topics' names: the document's mailing list, and preprod's when it has its own. */
export function alertTopicName(platform: Platform, environment?: string): string {
  return [platform.client.name, environment, 'alerts'].filter(Boolean).join('-');
}

/** A database's identifier as written in the template (the alarms' dimension): a name, not a reference. */
function identifierOf(database: MysqlDatabase): string {
  return (database.instance.node.defaultChild as rds.CfnDBInstance).dbInstanceIdentifier as string;
}

/**
 * Monitoring (document 7.F): the alert topic with a subscription per address of the mailing
 * list, the document's alarms and production dashboard exactly, the alarms it lacks, and each
 * other environment's health alarm. The production environment is the one CloudFront serves
 * (edge.environment). CloudFront's and its certificate's alarms live in us-east-1
 * (EdgeMonitoringStack).
 */
export class MonitoringStack extends PlatformStack {
  readonly alerts: AlertTopic;

  constructor(scope: Construct, props: MonitoringStackProps) {
    const { platform, data, magento } = props;
    super(scope, {
      platform,
      kind: 'Monitoring',
      stateful: false,
      description: 'storestack: alert topic, the alarms and the production dashboard (document 7.F)',
    });
    const { alerting } = platform;
    const production = platform.edge.environment;
    const productionData = data.get(production);
    const productionMagento = magento.get(production);
    const productionConfig = platform.environments.find(({ name }) => name === production);
    if (!productionData || !productionMagento || !productionConfig) {
      throw new Error(`${this.node.path}: no stacks for ${production}`);
    }

    this.alerts = new AlertTopic(this, 'Alerts', { topicName: alertTopicName(platform), emails: alerting.emails });
    const preprodTopic = alerting.preprodEmails
      ? new AlertTopic(this, 'PreprodAlerts', {
          topicName: alertTopicName(platform, 'preprod'),
          emails: alerting.preprodEmails,
        }).topic
      : this.alerts.topic;
    const topic = this.alerts.topic;

    const database = new RdsMetrics(identifierOf(productionData.database));
    const frontend = new BeanstalkMetrics(productionMagento.frontend.environment.environmentName as string);
    const backOffice = new BeanstalkMetrics(productionMagento.backOffice.environment.environmentName as string);
    const loadBalancer = new LoadBalancerMetrics(productionMagento.loadBalancer.loadBalancer.loadBalancerFullName);
    const redisNodes = productionConfig.redis.replicasPerGroup + 1;
    const redis = [
      { purpose: 'cache', group: productionData.cache },
      { purpose: 'sessions', group: productionData.sessions },
    ].map(({ purpose, group }) => ({
      purpose,
      metrics: new RedisMetrics(group.replicationGroup.replicationGroupId as string, redisNodes),
    }));

    documentAlarms(this, {
      topic,
      environment: production,
      database,
      frontend,
      vpns: new Map(props.network.vpns.connections.map(({ peer, connection }) => [peer.name, connection.vpnId])),
      alerting,
    });
    for (const environment of platform.environments.filter(({ name }) => name !== production)) {
      const stack = magento.get(environment.name);
      if (!stack) throw new Error(`${this.node.path}: no Magento stack for ${environment.name}`);
      const health = new BeanstalkMetrics(stack.frontend.environment.environmentName as string);
      environmentHealthAlarm(this, preprodTopic, environment.name, health, alerting.environmentHealthFrom);
    }

    // Instance ids from SSM at deploy time (see instance-ids.ts: a replaced server keeps its alarm).
    const fileServer = props.storage.fileShares;
    const instanceNames = [
      ...(fileServer instanceof NfsServer ? ['nfs'] : []),
      'vpn',
      'rundeck',
      ...[...props.ops.gateways.keys()].map((name) => `gateway-${name}`),
    ];
    addedAlarms(this, {
      topic,
      environment: production,
      thresholds: alerting.thresholds,
      loadBalancer,
      redis,
      databases: [database, new RdsMetrics(identifierOf(props.appsData.database))],
      instances: new Map(
        instanceNames.map((name) => [
          name,
          ssm.StringParameter.valueForStringParameter(this, instanceIdParameter(platform, name)),
        ]),
      ),
      ...(fileServer instanceof NfsServer
        ? {
            nfsDisks: {
              namespace: NFS_DISK_NAMESPACE,
              metric: NFS_DISK_METRIC,
              dimension: NFS_DISK_DIMENSION,
              paths: fileServer.diskPaths,
            },
          }
        : {}),
      certificateArn: platform.certificate.arn,
      backupVault: props.storage.backup.vaultName,
    });

    new ProductionDashboard(this, 'Dashboard', {
      dashboardName: `${platform.client.name}-${production}`,
      frontend,
      backOffice,
      loadBalancer,
      database,
      redis: redis.map(({ metrics }) => metrics),
    });
  }
}
