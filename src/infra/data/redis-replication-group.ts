import { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { encryptedLogGroup, StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';

export const REDIS_PORT = 6379;

export interface RedisReplicationGroupProps {
  /** Replication group id, e.g. `client-prod-cache` (at most 40 characters). */
  readonly replicationGroupId: string;
  readonly description: string;
  readonly engineVersion: string;
  readonly nodeType: string;
  /** Read replicas, each in the next AZ; with one or more, automatic failover and Multi-AZ are on. */
  readonly replicas: number;
  /** The AZs nodes are spread over, the primary in the first. */
  readonly availabilityZones: readonly string[];
  readonly subnetGroup: elasticache.CfnSubnetGroup;
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * What Redis drops when memory is full: `allkeys-lru` for a cache, `noeviction` for
   * sessions (a full session store refuses writes rather than logging customers out).
   */
  readonly maxmemoryPolicy: 'allkeys-lru' | 'noeviction';
  /** Name of the AUTH token in Secrets Manager. */
  readonly authTokenSecretName: string;
}

/**
 * One ElastiCache for Redis OSS replication group: encrypted at rest and in transit,
 * AUTH required with a token generated into Secrets Manager, slow log in CloudWatch.
 * A single node is still a replication group, so that encryption and AUTH apply.
 */
export class RedisReplicationGroup extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly authToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: RedisReplicationGroupProps) {
    super(scope, id);
    if (props.replicas + 1 > props.availabilityZones.length) {
      throw new Error(
        `${this.node.path}: ${props.replicas} replicas and a primary need ${props.replicas + 1} AZs, got ${props.availabilityZones.length}`,
      );
    }

    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      secretName: props.authTokenSecretName,
      description: `AUTH token of ${props.replicationGroupId}`,
      // Letters and digits only: inside what ElastiCache accepts (printable ASCII but
      // space, " / @) and safe in Magento's env.php and in shell.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const parameters = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: `redis${props.engineVersion.split('.')[0]}`,
      description: `${props.replicationGroupId}: maxmemory-policy ${props.maxmemoryPolicy}`,
      properties: { 'maxmemory-policy': props.maxmemoryPolicy },
    });

    const slowLog = encryptedLogGroup(this, 'SlowLog');

    const highlyAvailable = props.replicas > 0;
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId: props.replicationGroupId,
      replicationGroupDescription: props.description,
      engine: 'redis',
      engineVersion: props.engineVersion,
      cacheNodeType: props.nodeType,
      numCacheClusters: props.replicas + 1,
      preferredCacheClusterAZs: props.availabilityZones.slice(0, props.replicas + 1),
      automaticFailoverEnabled: highlyAvailable,
      multiAzEnabled: highlyAvailable,
      cacheSubnetGroupName: props.subnetGroup.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      cacheParameterGroupName: parameters.ref,
      port: REDIS_PORT,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      // A dynamic reference: CloudFormation resolves it at deploy, the template never holds the token.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      autoMinorVersionUpgrade: true,
      snapshotRetentionLimit: 7,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: slowLog.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
    this.replicationGroup.addResourceDependency(props.subnetGroup);
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);

    acknowledge(this.authToken, {
      id: 'AwsSolutions-SMG4',
      reason:
        "Magento reads the Redis AUTH token from app/etc/env.php, written at deploy; ElastiCache's token rotation needs the old and new tokens accepted together, which Magento cannot do unattended. Rotated by a release (docs/runbooks/rotate-credentials.md).",
    });
    acknowledge(
      this.replicationGroup,
      {
        id: 'AwsSolutions-AEC5',
        reason:
          'Redis keeps its default port 6379: the security group admits only the Magento instances of the environment, and AUTH plus TLS are required; a non-default port hides nothing inside the VPC.',
      },
      ...(highlyAvailable
        ? []
        : [
            {
              id: 'AwsSolutions-AEC4',
              reason: `One node by configuration (replicasPerGroup: 0) for ${props.replicationGroupId}: the document's pre-production Redis has no high availability.`,
            },
          ]),
    );
  }

  /** The endpoint writes go to (the primary, or whichever replica failover promoted). */
  get primaryEndpoint(): string {
    return this.replicationGroup.attrPrimaryEndPointAddress;
  }
}
