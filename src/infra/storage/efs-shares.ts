import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { markForBackup } from '../backup/platform-backup.ts';
import { type FileShare, type FileShareClient, type FileShares, WEB_USER } from './file-shares.ts';

export const EFS_PORT = 2049;

export interface EfsSharesProps {
  readonly vpc: ec2.IVpc;
  /** Mount targets go in every one of these (the private subnets). */
  readonly subnets: readonly ec2.ISubnet[];
  readonly shares: readonly FileShare[];
  readonly clients: readonly FileShareClient[];
}

/**
 * The configurable alternative to the NFS server: one encrypted EFS file system with an
 * access point per share (its own root directory, owned by the web user), mount targets
 * in every private subnet, and TLS plus IAM-free NFS access from the admitted groups.
 */
export class EfsShares extends Construct implements FileShares {
  readonly fileSystem: efs.FileSystem;
  readonly securityGroup: ec2.SecurityGroup;
  readonly accessPoints: ReadonlyMap<string, efs.AccessPoint>;

  constructor(scope: Construct, id: string, props: EfsSharesProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'EFS shares: NFS from their clients only',
      allowAllOutbound: false,
    });
    for (const client of props.clients) {
      this.securityGroup.addIngressRule(client.securityGroup, ec2.Port.tcp(EFS_PORT), `NFS from ${client.name}`);
    }
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [...props.subnets] },
      securityGroup: this.securityGroup,
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      // Backups come from the platform's plan (selected by tag), not EFS's own.
      enableAutomaticBackups: false,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    markForBackup(this.fileSystem);
    // Clients mount with efs-utils and TLS; a mount without it is refused, not just discouraged.
    this.fileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyWithoutTls',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    this.accessPoints = new Map(
      props.shares.map((share) => [
        share.key,
        this.fileSystem.addAccessPoint(`AccessPoint-${share.key}`, {
          path: `/${share.key}`,
          createAcl: { ownerUid: String(WEB_USER.uid), ownerGid: String(WEB_USER.gid), permissions: '2775' },
          posixUser: { uid: String(WEB_USER.uid), gid: String(WEB_USER.gid) },
        }),
      ]),
    );
  }

  clientStatements(keys: readonly string[]): iam.PolicyStatement[] {
    const accessPoints = keys.map((key) => {
      const accessPoint = this.accessPoints.get(key);
      if (!accessPoint) throw new Error(`${this.node.path}: no share ${key}`);
      return accessPoint.accessPointArn;
    });
    return [
      new iam.PolicyStatement({
        sid: 'MountSharesThroughAccessPoints',
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoints } },
      }),
    ];
  }

  mountSource(key: string): string {
    const accessPoint = this.accessPoints.get(key);
    if (!accessPoint) throw new Error(`${this.node.path}: no share ${key}`);
    return `${this.fileSystem.fileSystemId}:${accessPoint.accessPointId}`;
  }
}
