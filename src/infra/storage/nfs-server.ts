import { Duration, RemovalPolicy, Size, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { renderNfsServerUserData } from '../../assets/nfs-server/render.ts';
import { fitUserData } from '../../assets/user-data/compress.ts';
import { markForBackup } from '../backup/platform-backup.ts';
import { acknowledge, acknowledgeWildcardResources } from '../gates/index.ts';
import { type FileShare, type FileShareClient, type FileShares, WEB_USER } from './file-shares.ts';

export const NFS_PORT = 2049;

/**
 * The disk usage the server publishes for each share, every 60 s, through the CloudWatch agent
 * (configured by its user data, src/assets/nfs-server/render.ts): the metric
 * {@link NFS_DISK_METRIC}, a percentage, in {@link NFS_DISK_NAMESPACE}, with one dimension,
 * {@link NFS_DISK_DIMENSION}, the share's mount point on the server (one of
 * {@link NfsServer.diskPaths}).
 */
export const NFS_DISK_NAMESPACE = 'storestack/NfsServer';
/** The CloudWatch agent's name for the disk plugin's used_percent. */
export const NFS_DISK_METRIC = 'disk_used_percent';
export const NFS_DISK_DIMENSION = 'path';

/** Where the server mounts and exports each share. */
const EXPORTS_ROOT = '/exports';
/**
 * Device names for the data volumes, one per slot (file-shares.ts): /dev/sdf to /dev/sdx, all
 * valid EBS names on HVM instances. Nitro renames them to /dev/nvme*; the script finds each
 * volume by its id, so the name only has to be unique and never change.
 */
const DEVICE_LETTERS = 'fghijklmnopqrstuvwx';

export interface NfsServerProps {
  readonly vpc: ec2.IVpc;
  /** The subnet of the server and its volumes (the first private subnet: no HA, by the document's convention). */
  readonly subnet: ec2.ISubnet;
  readonly instanceType: string;
  /** Pinned AMI (Amazon Linux 2023); only a change of this id replaces the server. */
  readonly amiId: string;
  /** The shares, one EBS volume each. */
  readonly shares: readonly FileShare[];
  /** Networks the shares are exported to (the private subnets). */
  readonly exportCidrs: readonly string[];
  readonly volumeWaitSeconds: number;
  /**
   * Step 1 of a deliberate replacement: the volumes are detached and termination protection
   * is lifted, so that the next deploy (with the new AMI) can create the new server, attach
   * the volumes to it and terminate the old one.
   * @default false
   */
  readonly replacing?: boolean;
  /** Who may mount: the groups admitted on the NFS port. */
  readonly clients: readonly FileShareClient[];
  /** The private zone; the server is `nfs.<zone>` there. */
  readonly internalZone: route53.IPrivateHostedZone;
}

/**
 * The document's NFS server (6.C): an instance that exports one EBS volume per share.
 * The volumes are resources of their own, retained and backed up, so the data outlives
 * the instance; each keeps its device (its slot) for life, so adding a share touches no
 * existing attachment. The AMI is pinned and user-data changes do not replace the
 * instance (CloudFormation applies them with a stop and start, an interruption the
 * runbook schedules), so no routine deploy swaps the server; a deliberate replacement is
 * two deploys, docs/runbooks/replace-nfs-server.md.
 */
export class NfsServer extends Construct implements FileShares {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly volumes: ReadonlyMap<string, ec2.Volume>;
  readonly hostName: string;
  /**
   * The mount point on the server of every share's volume, in the order of the shares: the
   * values of {@link NFS_DISK_DIMENSION} the server publishes its disk usage under.
   */
  readonly diskPaths: readonly string[];
  private readonly mountPoints = new Map<string, string>();

  constructor(scope: Construct, id: string, props: NfsServerProps) {
    super(scope, id);
    if (props.shares.length > DEVICE_LETTERS.length) {
      throw new Error(
        `${this.node.path}: ${props.shares.length} shares, but an instance takes at most ${DEVICE_LETTERS.length} data volumes here`,
      );
    }
    this.hostName = `nfs.${props.internalZone.zoneName}`;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'NFS server: NFSv4 from its clients only',
      // Package updates and the SSM agent.
      allowAllOutbound: true,
    });
    for (const client of props.clients) {
      this.securityGroup.addIngressRule(client.securityGroup, ec2.Port.tcp(NFS_PORT), `NFSv4 from ${client.name}`);
    }

    const volumes = new Map<string, ec2.Volume>();
    for (const share of props.shares) {
      // The share's key (env/name) is the volume's identity: renaming a share is a new volume.
      const volume = new ec2.Volume(this, `Volume-${share.key.replace('/', '-')}`, {
        availabilityZone: props.subnet.availabilityZone,
        size: Size.gibibytes(share.sizeGiB),
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        encrypted: true,
        removalPolicy: RemovalPolicy.RETAIN,
        volumeName: `nfs-${share.key.replace('/', '-')}`,
      });
      markForBackup(volume);
      volumes.set(share.key, volume);
      this.mountPoints.set(share.key, `${EXPORTS_ROOT}/${share.key}`);
    }
    this.volumes = volumes;
    this.diskPaths = props.shares.map((share) => this.mountPointOf(share.key));

    // Not AWS's CloudWatchAgentServerPolicy: the agent only publishes metrics here, and only in
    // the server's own namespace (no logs, no parameters).
    const metricsStatements = [
      new iam.PolicyStatement({
        sid: 'PublishDiskMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': NFS_DISK_NAMESPACE } },
      }),
    ];
    const metricsPolicy = new iam.ManagedPolicy(this, 'MetricsPolicy', {
      description: `NFS server: the CloudWatch agent publishes disk usage in ${NFS_DISK_NAMESPACE}`,
      statements: metricsStatements,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'NFS server: Systems Manager access for operators (no SSH), disk metrics to CloudWatch',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'), metricsPolicy],
    });

    const { region } = Stack.of(this);
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage: ec2.MachineImage.genericLinux({ [region]: props.amiId }),
      securityGroup: this.securityGroup,
      role,
      requireImdsv2: true,
      detailedMonitoring: true,
      // Lifted in step 1 of a deliberate replacement, or CloudFormation could not terminate it.
      disableApiTermination: !props.replacing,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
      // Compressed only when larger than EC2's 16 KB (many shares): the volume ids are put back at boot.
      userData: ec2.UserData.custom(
        fitUserData(
          renderNfsServerUserData({
            shares: props.shares.map((share) => ({
              name: share.key.replace('/', '-'),
              volumeId: (volumes.get(share.key) as ec2.Volume).volumeId,
              mountPoint: this.mountPointOf(share.key),
            })),
            exportCidrs: props.exportCidrs,
            waitTimeoutSeconds: props.volumeWaitSeconds,
            shareOwner: WEB_USER,
            diskMetricsNamespace: NFS_DISK_NAMESPACE,
          }),
        ),
      ),
      userDataCausesReplacement: false,
    });
    Tags.of(this.instance).add('Name', this.hostName);

    // Step 1 of a deliberate replacement detaches the volumes, so that the new instance can
    // take them in step 2 (docs/runbooks/replace-nfs-server.md).
    if (!props.replacing) {
      for (const share of props.shares) {
        new ec2.CfnVolumeAttachment(this, `Attachment-${share.key.replace('/', '-')}`, {
          instanceId: this.instance.instanceId,
          volumeId: (volumes.get(share.key) as ec2.Volume).volumeId,
          device: `/dev/sd${DEVICE_LETTERS[share.slot]}`,
        });
      }
    }

    new route53.ARecord(this, 'DnsRecord', {
      zone: props.internalZone,
      recordName: 'nfs',
      target: route53.RecordTarget.fromIpAddresses(this.instance.instancePrivateIp),
      ttl: Duration.minutes(5),
    });

    acknowledge(
      this,
      {
        id: 'CloudFormation-Validate::W3010',
        reason:
          'The server and its volumes sit in one pinned AZ on purpose: an EBS volume attaches only in its own AZ, and the document places non-HA instances on the first subnet.',
      },
      {
        id: 'CloudFormation-Validate::W9010',
        reason:
          'The AMI id is pinned in config (storage.fileServer.amiId) on purpose: a looked-up "latest" image would replace the NFS server at a routine deploy.',
      },
    );
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        "AWS's policy for the Systems Manager agent (Session Manager, Run Command): how operators reach the server without SSH keys or an open port; AWS keeps it in step with the agent.",
    });
    acknowledgeWildcardResources(
      metricsPolicy,
      metricsStatements.flatMap((statement) => statement.resources),
      `cloudwatch:PutMetricData has no resource type, so its only resource is *; the condition holds it to the server's own namespace, ${NFS_DISK_NAMESPACE}.`,
    );
  }

  private mountPointOf(key: string): string {
    const mountPoint = this.mountPoints.get(key);
    if (!mountPoint) throw new Error(`${this.node.path}: no share ${key}`);
    return mountPoint;
  }

  /** The NFS server admits clients by security group and export CIDR: no IAM. */
  clientStatements(): iam.PolicyStatement[] {
    return [];
  }

  /** `nfs.<internal domain>:/exports/<env>/<share>`, what a client mounts. */
  mountSource(key: string): string {
    return `${this.hostName}:${this.mountPointOf(key)}`;
  }
}
