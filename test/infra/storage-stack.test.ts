// The Storage stack (document 1, 6.C, 7.D) as the sample configuration renders it: the NFS
// server and its volumes (or EFS), the published mount sources, the buckets, the backup plan.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/config/schema.ts';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import {
  NFS_DISK_DIMENSION,
  NFS_DISK_METRIC,
  NFS_DISK_NAMESPACE,
  NfsServer,
} from '../../src/infra/storage/nfs-server.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';
import {
  nameOf,
  ofType,
  only,
  parametersOf,
  type Resources,
  resourcesOf,
  tagsOf,
  target,
  typesOf,
  userDataScript,
} from './template.ts';

const BACKUP_TAG = { Key: 'storestack:backup', Value: 'daily' };
const NFS_PORT = 2049;
/** The private subnets of the sample, in their configured order. */
const PRIVATE_CIDRS = ['10.0.101.0/24', '10.0.102.0/24', '10.0.103.0/24'];
/** Every share of the sample: each environment's four, then the connector's. */
const SHARE_KEYS = [
  'prod/client-media',
  'prod/magento-statics',
  'prod/magento-client',
  'prod/magento-sitemap',
  'preprod/client-media',
  'preprod/magento-statics',
  'preprod/magento-client',
  'preprod/magento-sitemap',
  'connector-ftp',
];
/** The consumer groups (Network stack) that may mount the shares. */
const SHARE_CLIENTS = ['client-magento-prod', 'client-magento-preprod', 'client-connector'];

interface Synthesized {
  stacks: PlatformStacks;
  template: Template;
  resources: Resources;
  /** The Network stack's resources: what the Storage stack imports. */
  network: Resources;
}

function synthStorage(platform: Platform): Synthesized {
  // The project's feature flags (cdk.json), as `cdk deploy` and `storestack synth` pass them: some
  // shape this stack (the launch template's name, the EFS file system policy and mount target IDs).
  // Gates off: this file is about the template; test/infra/gates.test.ts runs them.
  const { stacks } = createPlatformApp({ platform, gates: false, context: readProjectContext(PROJECT_ROOT) });
  const template = Template.fromStack(stacks.storage);
  return {
    stacks,
    template,
    resources: resourcesOf(template),
    network: resourcesOf(Template.fromStack(stacks.network)),
  };
}

/**
 * The Network stack's logical ID behind a value the Storage stack imports, e.g.
 * `{ 'Fn::ImportValue': 'storestack-Network:ExportsOutputRefNetworkVpcPrivateSubnet1Subnet...' }`.
 */
function importedFrom(network: Resources, value: unknown): string {
  const exportName = (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  const match = /^storestack-Network:ExportsOutput(?:Ref|FnGetAtt)(.+)$/.exec(exportName ?? '');
  const candidates = Object.keys(network).filter((logicalId) => match?.[1]?.startsWith(logicalId));
  expect(candidates, `import of ${JSON.stringify(value)}`).not.toHaveLength(0);
  // The export name continues after the logical ID (attribute, hash): the longest prefix is the one.
  return candidates.sort((a, b) => b.length - a.length)[0] as string;
}

/** The CIDR block of the Network stack's subnet that `value` imports. */
function importedSubnetCidr(network: Resources, value: unknown): unknown {
  return network[importedFrom(network, value)]?.Properties.CidrBlock;
}

/** The ingress rules of a security group, each with the name of the group it admits. */
function ingressOf(synthesized: Synthesized, groupId: string) {
  return ofType(synthesized.resources, 'AWS::EC2::SecurityGroupIngress')
    .filter(
      ([, rule]) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [groupId, 'GroupId'] }),
    )
    .map(([, rule]) => ({
      protocol: rule.Properties.IpProtocol,
      fromPort: rule.Properties.FromPort,
      toPort: rule.Properties.ToPort,
      source:
        synthesized.network[importedFrom(synthesized.network, rule.Properties.SourceSecurityGroupId)]?.Properties
          .GroupName,
    }));
}

describe('Storage stack', () => {
  let sample: Synthesized;

  beforeAll(() => {
    sample = synthStorage(samplePlatform());
  });

  it('is a stateful stack: named after the project, termination protected', () => {
    expect(sample.stacks.storage.stackName).toBe('storestack-Storage');
    expect(sample.stacks.storage.terminationProtection).toBe(true);
  });

  describe('the NFS server (sample)', () => {
    it("has one encrypted, retained gp3 volume per share of each environment and the connector's, sized from config", () => {
      // GIVEN the sample's shares: 4 per environment (prod, preprod) and the connector's
      // WHEN the stack is synthesized
      const volumes = ofType(sample.resources, 'AWS::EC2::Volume');
      // THEN each share has its volume, of the configured size
      expect(Object.fromEntries(volumes.map(([, volume]) => [nameOf(volume), volume.Properties.Size]))).toEqual({
        'nfs-prod-client-media': 1000,
        'nfs-prod-magento-statics': 100,
        'nfs-prod-magento-client': 50,
        'nfs-prod-magento-sitemap': 10,
        'nfs-preprod-client-media': 100,
        'nfs-preprod-magento-statics': 20,
        'nfs-preprod-magento-client': 10,
        'nfs-preprod-magento-sitemap': 5,
        'nfs-connector-ftp': 200,
      });
      // AND every one is gp3, encrypted, retained, in the first private subnet's AZ, in the daily backup
      for (const [logicalId, volume] of volumes) {
        expect(
          {
            type: volume.Properties.VolumeType,
            encrypted: volume.Properties.Encrypted,
            az: volume.Properties.AvailabilityZone,
            deletion: volume.DeletionPolicy,
            replacement: volume.UpdateReplacePolicy,
          },
          logicalId,
        ).toEqual({ type: 'gp3', encrypted: true, az: 'eu-west-3a', deletion: 'Retain', replacement: 'Retain' });
        expect(tagsOf(volume), logicalId).toContainEqual(BACKUP_TAG);
      }
    });

    it('attaches every volume to the server, each at a device of its own', () => {
      const [instanceId] = only(sample.resources, 'AWS::EC2::Instance');
      const volumeIds = ofType(sample.resources, 'AWS::EC2::Volume').map(([logicalId]) => logicalId);
      const attachments = ofType(sample.resources, 'AWS::EC2::VolumeAttachment').map(([, attachment]) => ({
        instance: (attachment.Properties.InstanceId as { Ref: string }).Ref,
        volume: (attachment.Properties.VolumeId as { Ref: string }).Ref,
        device: attachment.Properties.Device as string,
      }));

      expect(attachments).toHaveLength(volumeIds.length);
      expect(new Set(attachments.map((attachment) => attachment.instance))).toEqual(new Set([instanceId]));
      expect(new Set(attachments.map((attachment) => attachment.volume))).toEqual(new Set(volumeIds));
      const devices = attachments.map((attachment) => attachment.device);
      expect(new Set(devices).size).toBe(devices.length);
      for (const device of devices) expect(device).toMatch(/^\/dev\/sd[f-y]$/);
    });

    it('runs the pinned AMI of the config in the first private subnet, IMDSv2 only, protected from termination', () => {
      const [, instance] = only(sample.resources, 'AWS::EC2::Instance');
      const [, launchTemplate] = only(sample.resources, 'AWS::EC2::LaunchTemplate');

      // The literal image id: not a Ref to an SSM "latest" parameter that AWS moves.
      expect(instance.Properties.ImageId).toBe('ami-0c0f4d0d53a6b2f1e');
      expect(instance.Properties.ImageId).toBe((samplePlatform().storage.fileServer as { amiId: string }).amiId);
      expect(importedSubnetCidr(sample.network, instance.Properties.SubnetId)).toBe(PRIVATE_CIDRS[0]);
      expect(instance.Properties.AvailabilityZone).toBe('eu-west-3a');
      expect(instance.Properties.InstanceType).toBe('m7i.large');
      expect(instance.Properties.DisableApiTermination).toBe(true);

      // CDK renders requireImdsv2 as a launch template the instance names.
      const metadata = (launchTemplate.Properties.LaunchTemplateData as { MetadataOptions: unknown }).MetadataOptions;
      expect(metadata).toEqual({ HttpTokens: 'required' });
      expect((instance.Properties.LaunchTemplate as { LaunchTemplateName: unknown }).LaunchTemplateName).toBe(
        launchTemplate.Properties.LaunchTemplateName,
      );

      const blockDevices = instance.Properties.BlockDeviceMappings as {
        DeviceName: string;
        Ebs: { Encrypted: boolean };
      }[];
      expect(blockDevices.map((device) => device.DeviceName)).toEqual(['/dev/xvda']);
      for (const device of blockDevices) expect(device.Ebs.Encrypted).toBe(true);
    });

    it("names its launch template after the stack's path: launch template names are unique in a region", () => {
      // cdk.json's @aws-cdk/aws-ec2:uniqueImdsv2TemplateName; without it the name would be a bare
      // "InstanceLaunchTemplate", shared with any other CDK instance of that id in the account.
      const [, launchTemplate] = only(sample.resources, 'AWS::EC2::LaunchTemplate');
      expect(launchTemplate.Properties.LaunchTemplateName).toMatch(/^storestackStorageNfsServerInstance/);
    });

    it("gives the server user data that finds each share's volume by id and exports it to the private subnets", () => {
      const [, instance] = only(sample.resources, 'AWS::EC2::Instance');
      const script = userDataScript(instance);
      const volumeByName = new Map(
        ofType(sample.resources, 'AWS::EC2::Volume').map(([logicalId, volume]) => [nameOf(volume), logicalId]),
      );

      for (const key of SHARE_KEYS) {
        const name = key.replace('/', '-');
        const volume = volumeByName.get(`nfs-${name}`);
        expect(script).toContain(`  '${name}' '<Ref ${volume}>' '/exports/${key}'\n`);
      }
      expect(script).toContain(`NFS_EXPORT_CIDRS=(${PRIVATE_CIDRS.map((cidr) => `'${cidr}'`).join(' ')})\n`);
      expect(script).toContain('NFS_WAIT_SECONDS=600\n');
      expect(script).toContain("NFS_SHARE_OWNER='900:900'\n");
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    });

    it("has the CloudWatch agent publish each share's disk usage by mount point, the construct's diskPaths", () => {
      const [, instance] = only(sample.resources, 'AWS::EC2::Instance');
      const script = userDataScript(instance);
      const quoted = /^NFS_AGENT_CONFIG='([^']*)'$/m.exec(script)?.[1];
      const server = sample.stacks.storage.fileShares;

      expect(server).toBeInstanceOf(NfsServer);
      const mountPoints = SHARE_KEYS.map((key) => `/exports/${key}`);
      expect((server as NfsServer).diskPaths).toEqual(mountPoints);
      expect(NFS_DISK_NAMESPACE).toBe('storestack/NfsServer');
      expect(NFS_DISK_METRIC).toBe('disk_used_percent');
      expect(NFS_DISK_DIMENSION).toBe('path');
      // What the agent publishes: <plugin>_<measurement>, in the namespace, rolled up to the path alone.
      const config = JSON.parse(quoted ?? 'null');
      expect(config).toEqual({
        agent: { metrics_collection_interval: 60, omit_hostname: true },
        metrics: {
          namespace: NFS_DISK_NAMESPACE,
          metrics_collected: {
            disk: { measurement: [NFS_DISK_METRIC.replace(/^disk_/, '')], resources: mountPoints, drop_device: true },
          },
          aggregation_dimensions: [[NFS_DISK_DIMENSION]],
        },
      });
    });

    it('lets its role publish metrics in its own namespace only, with no managed CloudWatch agent policy', () => {
      const [, instance] = only(sample.resources, 'AWS::EC2::Instance');
      const [profileId, profile] = only(sample.resources, 'AWS::IAM::InstanceProfile');
      expect(instance.Properties.IamInstanceProfile).toEqual({ Ref: profileId });
      const roleId = target(profile.Properties.Roles[0]);
      const role = sample.resources[roleId];
      expect(role?.Type).toBe('AWS::IAM::Role');
      // Nothing inline, on the role or beside it.
      expect(role?.Properties.Policies).toBeUndefined();
      for (const [, policy] of ofType(sample.resources, 'AWS::IAM::Policy')) {
        expect(policy.Properties.Roles).not.toContainEqual({ Ref: roleId });
      }

      const arns: unknown[] = role?.Properties.ManagedPolicyArns ?? [];
      const ownPolicies = arns.flatMap((arn) => ((arn as { Ref?: string }).Ref === undefined ? [] : [target(arn)]));
      const awsPolicies = arns.filter((arn) => (arn as { Ref?: string }).Ref === undefined);
      // AWS's policies: the Systems Manager agent's only, not CloudWatchAgentServerPolicy.
      expect(awsPolicies.map((arn) => JSON.stringify(arn))).toEqual([
        expect.stringContaining(':iam::aws:policy/AmazonSSMManagedInstanceCore"'),
      ]);
      const statements = ownPolicies.flatMap((policyId) => {
        const policy = sample.resources[policyId];
        expect(policy?.Type).toBe('AWS::IAM::ManagedPolicy');
        return policy?.Properties.PolicyDocument.Statement ?? [];
      });
      expect(statements).toEqual([
        {
          Sid: 'PublishDiskMetrics',
          Effect: 'Allow',
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': NFS_DISK_NAMESPACE } },
        },
      ]);
    });

    it("admits NFS (tcp 2049) only from the Magento groups of prod and preprod and the connector's", () => {
      const [groupId, group] = only(sample.resources, 'AWS::EC2::SecurityGroup');
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      const rules = ingressOf(sample, groupId);
      expect(rules).toEqual(
        SHARE_CLIENTS.map((source) => ({ protocol: 'tcp', fromPort: NFS_PORT, toPort: NFS_PORT, source })),
      );
    });

    it('is nfs.<internal domain> in the private zone, an A record of its private address', () => {
      const [instanceId] = only(sample.resources, 'AWS::EC2::Instance');
      const [, record] = only(sample.resources, 'AWS::Route53::RecordSet');
      expect(record.Properties).toMatchObject({
        Name: 'nfs.internal-client.url.',
        Type: 'A',
        ResourceRecords: [{ 'Fn::GetAtt': [instanceId, 'PrivateIp'] }],
      });
      const zone = sample.network[importedFrom(sample.network, record.Properties.HostedZoneId)];
      expect(zone?.Type).toBe('AWS::Route53::HostedZone');
      expect(zone?.Properties.Name).toBe('internal-client.url.');
      expect(zone?.Properties.VPCs).toBeDefined();
    });
  });

  describe('the EFS variant (storage.fileServer.type efs)', () => {
    let efs: Synthesized;

    beforeAll(() => {
      efs = synthStorage(
        platformWith((input) => {
          input.storage.fileServer = { type: 'efs' };
        }),
      );
    });

    it('holds the shares on one encrypted, retained file system in the backup, with no server nor volumes', () => {
      for (const type of ['AWS::EC2::Instance', 'AWS::EC2::Volume', 'AWS::EC2::VolumeAttachment']) {
        efs.template.resourceCountIs(type, 0);
      }
      const [, fileSystem] = only(efs.resources, 'AWS::EFS::FileSystem');
      expect(fileSystem.Properties.Encrypted).toBe(true);
      expect(fileSystem.DeletionPolicy).toBe('Retain');
      expect(fileSystem.UpdateReplacePolicy).toBe('Retain');
      expect(tagsOf(fileSystem, 'FileSystemTags')).toContainEqual(BACKUP_TAG);
    });

    it('has a mount target in each of the three private subnets', () => {
      const [fileSystemId] = only(efs.resources, 'AWS::EFS::FileSystem');
      const mountTargets = ofType(efs.resources, 'AWS::EFS::MountTarget');
      expect(mountTargets.map(([, target]) => importedSubnetCidr(efs.network, target.Properties.SubnetId))).toEqual(
        PRIVATE_CIDRS,
      );
      for (const [, target] of mountTargets) expect(target.Properties.FileSystemId).toEqual({ Ref: fileSystemId });
    });

    it('gives each share of each environment and the connector an access point at /<env>/<share>, owned by 900:900', () => {
      const [fileSystemId] = only(efs.resources, 'AWS::EFS::FileSystem');
      const accessPoints = ofType(efs.resources, 'AWS::EFS::AccessPoint').map(
        ([, accessPoint]) => accessPoint.Properties,
      );
      expect(accessPoints.map((accessPoint) => (accessPoint.RootDirectory as { Path: string }).Path)).toEqual(
        SHARE_KEYS.map((key) => `/${key}`),
      );
      for (const accessPoint of accessPoints) {
        expect(accessPoint).toMatchObject({
          FileSystemId: { Ref: fileSystemId },
          RootDirectory: { CreationInfo: { OwnerUid: '900', OwnerGid: '900' } },
          PosixUser: { Uid: '900', Gid: '900' },
        });
      }
    });

    it('admits NFS (tcp 2049) only from the same clients as the NFS server', () => {
      const [groupId] = only(efs.resources, 'AWS::EC2::SecurityGroup');
      expect(ingressOf(efs, groupId)).toEqual(
        SHARE_CLIENTS.map((source) => ({ protocol: 'tcp', fromPort: NFS_PORT, toPort: NFS_PORT, source })),
      );
    });

    it('publishes <file system id>:<access point id> as the mount source of each share', () => {
      const [fileSystemId] = only(efs.resources, 'AWS::EFS::FileSystem');
      const accessPointByPath = new Map(
        ofType(efs.resources, 'AWS::EFS::AccessPoint').map(([logicalId, accessPoint]) => [
          (accessPoint.Properties.RootDirectory as { Path: string }).Path,
          logicalId,
        ]),
      );
      const mountSource = (path: string) => ({
        'Fn::Join': ['', [{ Ref: fileSystemId }, ':', { Ref: accessPointByPath.get(path) }]],
      });
      const parameters = parametersOf(efs.resources);
      expect(parameters.get('/storestack/prod/shares/client-media')).toEqual(mountSource('/prod/client-media'));
      expect(parameters.get('/storestack/preprod/shares/magento-sitemap')).toEqual(
        mountSource('/preprod/magento-sitemap'),
      );
      expect(parameters.get('/storestack/shared/shares/connector')).toEqual(mountSource('/connector-ftp'));
    });
  });

  describe('published parameters', () => {
    it("publishes each environment's mount sources and the connector's (NFS server: nfs.<domain>:/exports/...)", () => {
      const shares = [...parametersOf(sample.resources)].filter(([name]) => name.includes('/shares/'));
      expect(Object.fromEntries(shares)).toEqual({
        '/storestack/prod/shares/client-media': 'nfs.internal-client.url:/exports/prod/client-media',
        '/storestack/prod/shares/magento-statics': 'nfs.internal-client.url:/exports/prod/magento-statics',
        '/storestack/prod/shares/magento-client': 'nfs.internal-client.url:/exports/prod/magento-client',
        '/storestack/prod/shares/magento-sitemap': 'nfs.internal-client.url:/exports/prod/magento-sitemap',
        '/storestack/preprod/shares/client-media': 'nfs.internal-client.url:/exports/preprod/client-media',
        '/storestack/preprod/shares/magento-statics': 'nfs.internal-client.url:/exports/preprod/magento-statics',
        '/storestack/preprod/shares/magento-client': 'nfs.internal-client.url:/exports/preprod/magento-client',
        '/storestack/preprod/shares/magento-sitemap': 'nfs.internal-client.url:/exports/preprod/magento-sitemap',
        '/storestack/shared/shares/connector': 'nfs.internal-client.url:/exports/connector-ftp',
      });
    });

    it('publishes the names of the buckets the instances use under /storestack/shared/buckets/', () => {
      const bucketByName = new Map(
        ofType(sample.resources, 'AWS::S3::Bucket').map(([logicalId, bucket]) => [
          bucket.Properties.BucketName,
          logicalId,
        ]),
      );
      const buckets = [...parametersOf(sample.resources)].filter(([name]) => name.includes('/buckets/'));
      expect(Object.fromEntries(buckets)).toEqual({
        '/storestack/shared/buckets/magento-config': { Ref: bucketByName.get('client-magento-config') },
        '/storestack/shared/buckets/release-artifacts': { Ref: bucketByName.get('client-release-artifacts') },
        '/storestack/shared/buckets/elb-logs': { Ref: bucketByName.get('client-magento-elb-logs') },
        '/storestack/shared/buckets/temp-storage': { Ref: bucketByName.get('client-temp-storage') },
      });
    });
  });

  describe('the backup plan', () => {
    it('backs up daily on the configured schedule into a vault encrypted with its own key, kept the configured days', () => {
      const { backup } = samplePlatform().storage;
      const [vaultId, vault] = only(sample.resources, 'AWS::Backup::BackupVault');
      const [, plan] = only(sample.resources, 'AWS::Backup::BackupPlan');

      expect(backup).toEqual({ retentionDays: 35, scheduleCron: 'cron(0 2 * * ? *)' });
      expect((plan.Properties.BackupPlan as { BackupPlanRule: unknown }).BackupPlanRule).toEqual([
        expect.objectContaining({
          RuleName: 'Daily',
          ScheduleExpression: backup.scheduleCron,
          Lifecycle: { DeleteAfterDays: backup.retentionDays },
          TargetBackupVault: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] },
        }),
      ]);
      const keyArn = vault.Properties.EncryptionKeyArn as { 'Fn::GetAtt': [string, string] };
      expect(keyArn['Fn::GetAtt'][1]).toBe('Arn');
      expect(sample.resources[keyArn['Fn::GetAtt'][0]]?.Type).toBe('AWS::KMS::Key');
    });

    it('selects what it backs up by the tag storestack:backup=daily', () => {
      const [planId] = only(sample.resources, 'AWS::Backup::BackupPlan');
      const [, selection] = only(sample.resources, 'AWS::Backup::BackupSelection');
      expect(selection.Properties.BackupPlanId).toEqual({ 'Fn::GetAtt': [planId, 'BackupPlanId'] });
      expect(selection.Properties.BackupSelection).toMatchObject({
        ListOfTags: [{ ConditionKey: BACKUP_TAG.Key, ConditionType: 'STRINGEQUALS', ConditionValue: BACKUP_TAG.Value }],
      });
    });

    it("covers every database of the platform and the NFS volumes: they carry the plan's tag", () => {
      // The plan selects by tag across stacks: a database without it would silently have no backup.
      const dataStacks = [...sample.stacks.data.values(), sample.stacks.appsData];
      const databases = dataStacks.flatMap((stack) =>
        ofType(resourcesOf(Template.fromStack(stack)), 'AWS::RDS::DBInstance').map(
          ([logicalId, database]) => [`${stack.stackName}/${logicalId}`, database] as const,
        ),
      );
      expect(databases.map(([path]) => path)).toEqual([
        'storestack-Data-prod/DatabaseInstanceAA8A5FDE',
        'storestack-Data-preprod/DatabaseInstanceAA8A5FDE',
        'storestack-AppsData/DatabaseInstanceAA8A5FDE',
      ]);
      const volumes = ofType(sample.resources, 'AWS::EC2::Volume');
      expect(volumes).toHaveLength(SHARE_KEYS.length);
      for (const [path, resource] of [...databases, ...volumes]) {
        expect(tagsOf(resource), path).toContainEqual(BACKUP_TAG);
      }
    });
  });

  describe('the buckets', () => {
    const DOCUMENT_BUCKETS = [
      'client-s3-access-logs',
      'client-billing',
      'client-magento-config',
      'client-magento-elb-logs',
      'client-temp-storage',
      'client-release-artifacts',
    ];

    function bucketNames(resources: Resources): unknown[] {
      return ofType(resources, 'AWS::S3::Bucket').map(([, bucket]) => bucket.Properties.BucketName);
    }

    it("has the document's buckets, named from the client's name, and no Terraform state bucket by default", () => {
      expect(bucketNames(sample.resources)).toEqual(DOCUMENT_BUCKETS);
    });

    it('adds the Terraform remote-state bucket only when storage.buckets.terraformState is true', () => {
      const { resources } = synthStorage(
        platformWith((input) => {
          input.storage.buckets = { ...input.storage.buckets, terraformState: true };
        }),
      );
      expect(bucketNames(resources)).toEqual([...DOCUMENT_BUCKETS, 'client-terraform-remote-state-storage']);
    });

    it('blocks public access to every bucket, encrypts it and denies every request without TLS', () => {
      const policies = ofType(sample.resources, 'AWS::S3::BucketPolicy');
      for (const [logicalId, bucket] of ofType(sample.resources, 'AWS::S3::Bucket')) {
        expect(bucket.Properties.PublicAccessBlockConfiguration, logicalId).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        const encryption = bucket.Properties.BucketEncryption as {
          ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string } }[];
        };
        expect(encryption.ServerSideEncryptionConfiguration, logicalId).toHaveLength(1);
        expect(['aws:kms', 'AES256']).toContain(
          encryption.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.SSEAlgorithm,
        );
        const [, policy] =
          policies.find(([, candidate]) => (candidate.Properties.Bucket as { Ref: string }).Ref === logicalId) ?? [];
        const statements = (policy?.Properties.PolicyDocument as { Statement: Record<string, unknown>[] } | undefined)
          ?.Statement;
        expect(statements, logicalId).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });
  });

  it('retains its data and keys when the stack is deleted or a resource replaced', () => {
    for (const type of ['AWS::EC2::Volume', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Backup::BackupVault']) {
      const resources = ofType(sample.resources, type);
      expect(resources.length, type).toBeGreaterThan(0);
      for (const [logicalId, resource] of resources) {
        expect([resource.DeletionPolicy, resource.UpdateReplacePolicy], logicalId).toEqual(['Retain', 'Retain']);
      }
    }
  });

  it('keeps the logical IDs of its stateful resources (changing one replaces the resource)', () => {
    // A new logical ID is a new resource to CloudFormation: a new, empty volume or bucket,
    // a new key (what the old one encrypted stays behind, retained), a new server.
    const pinned: Record<string, string> = {
      NfsServerVolumeprodclientmedia7D8AC331: 'AWS::EC2::Volume',
      NfsServerVolumeprodmagentostatics358D9422: 'AWS::EC2::Volume',
      NfsServerVolumeprodmagentoclient0359AB25: 'AWS::EC2::Volume',
      NfsServerVolumeprodmagentositemap4FA78FF6: 'AWS::EC2::Volume',
      NfsServerVolumepreprodclientmedia4BDEB68F: 'AWS::EC2::Volume',
      NfsServerVolumepreprodmagentostatics10A05849: 'AWS::EC2::Volume',
      NfsServerVolumepreprodmagentoclientD1622D2F: 'AWS::EC2::Volume',
      NfsServerVolumepreprodmagentositemap2340BEE4: 'AWS::EC2::Volume',
      NfsServerVolumeconnectorftp74679C8A: 'AWS::EC2::Volume',
      NfsServerInstanceF0FE4A4D: 'AWS::EC2::Instance',
      BucketsKeyCD6AF5CF: 'AWS::KMS::Key',
      BucketsAccessLogsA5F88218: 'AWS::S3::Bucket',
      BucketsBilling72104E94: 'AWS::S3::Bucket',
      BucketsMagentoConfigEB8E0234: 'AWS::S3::Bucket',
      BucketsElbLogs3A7DBE0B: 'AWS::S3::Bucket',
      BucketsTempStorage1ACA03A5: 'AWS::S3::Bucket',
      BucketsReleaseArtifacts5C99D23D: 'AWS::S3::Bucket',
      BackupKey570ED138: 'AWS::KMS::Key',
      BackupVaultADF21B19: 'AWS::Backup::BackupVault',
    };
    expect(typesOf(sample.resources, Object.keys(pinned))).toEqual(pinned);
  });
});
