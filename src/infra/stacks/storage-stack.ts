import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { PlatformBackup } from '../backup/platform-backup.ts';
import { publishInstanceId } from '../monitoring/instance-ids.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import { PlatformBuckets } from '../storage/buckets/platform-buckets.ts';
import { EfsShares } from '../storage/efs-shares.ts';
import { type FileShareClient, type FileShares, platformShares } from '../storage/file-shares.ts';
import { NfsServer } from '../storage/nfs-server.ts';
import type { NetworkStack } from './network-stack.ts';
import { openVpnStateBucketName } from './ops-data-stack.ts';

export interface StorageStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
}

/**
 * Shared storage (document 1, 6.C, 7.D): the S3 buckets, the file shares (the NFS server
 * and its volumes, or EFS), and the AWS Backup plan that covers every tagged data
 * resource of the platform. Mount sources and bucket names are published under
 * `/<project>/shared/` and `/<project>/<env>/shares/`.
 */
export class StorageStack extends PlatformStack {
  readonly buckets: PlatformBuckets;
  readonly fileShares: FileShares;
  readonly backup: PlatformBackup;

  constructor(scope: Construct, props: StorageStackProps) {
    const { platform, network } = props;
    super(scope, {
      platform,
      kind: 'Storage',
      stateful: true,
      description: 'storestack: S3 buckets, file shares (NFS server or EFS), backup plan',
    });
    const { storage } = platform;

    this.buckets = new PlatformBuckets(this, 'Buckets', {
      clientName: platform.client.name,
      region: platform.aws.region,
      account: platform.aws.account,
      config: storage.buckets,
      // The OpsData stack's bucket, logged here by name (no dependency between the two stacks).
      loggedElsewhere: [openVpnStateBucketName(platform)],
    });

    const clients: FileShareClient[] = [
      ...platform.environments.map((environment) => ({
        name: `Magento ${environment.name}`,
        securityGroup: network.consumers.magento(environment.name),
      })),
      // The connector's FTP server writes into its share (document 3).
      { name: 'connector', securityGroup: network.consumers.app('connector') },
    ];
    const shares = platformShares(platform);
    const { vpc } = network.network;
    const privateSubnets = network.network.subnets('private');
    this.fileShares =
      storage.fileServer.type === 'nfs-server'
        ? new NfsServer(this, 'NfsServer', {
            vpc,
            subnet: privateSubnets[0] as (typeof privateSubnets)[number],
            instanceType: storage.fileServer.instanceType,
            amiId: storage.fileServer.amiId,
            shares,
            exportCidrs: platform.network.privateSubnets.map((subnet) => subnet.cidr),
            volumeWaitSeconds: storage.fileServer.volumeWaitSeconds,
            replacing: storage.fileServer.replacing,
            clients,
            internalZone: network.internalZone,
          })
        : new EfsShares(this, 'EfsShares', { vpc, subnets: privateSubnets, shares, clients });

    if (this.fileShares instanceof NfsServer) {
      publishInstanceId(this, platform, 'nfs', this.fileShares.instance.instanceId);
    }
    this.backup = new PlatformBackup(this, 'Backup', {
      retentionDays: storage.backup.retentionDays,
      scheduleCron: storage.backup.scheduleCron,
      vaultName: `${platform.client.name}-${platform.project}`,
    });

    const shared = new PublishedParameters(this, 'SharedParameters', `/${platform.project}/shared`);
    shared.publish('buckets/magento-config', this.buckets.magentoConfig.bucketName, 'Non-secret Magento configuration');
    shared.publish('buckets/release-artifacts', this.buckets.releaseArtifacts.bucketName, 'Release bundles');
    shared.publish('buckets/elb-logs', this.buckets.elbLogs.bucketName, 'Load balancer access logs');
    shared.publish('buckets/temp-storage', this.buckets.tempStorage.bucketName, 'Temporary storage');
    shared.publish(
      'shares/connector',
      this.fileShares.mountSource(storage.connectorShare.name),
      "Connector's FTP share",
    );
    for (const environment of platform.environments) {
      const parameters = new PublishedParameters(
        this,
        `Parameters-${environment.name}`,
        `/${platform.project}/${environment.name}`,
      );
      for (const share of storage.shares) {
        parameters.publish(
          `shares/${share.name}`,
          this.fileShares.mountSource(`${environment.name}/${share.name}`),
          `Mount source of ${share.name}`,
        );
      }
    }
  }
}
