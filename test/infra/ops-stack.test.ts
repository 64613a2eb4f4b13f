// The operations servers (issue 6): OpenVPN with its Elastic IP and saved PKI, Rundeck with its
// retained volume, phpMyAdmin and Ansible; none of their web ports open to the internet.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { beforeAll, describe, expect, it } from 'vitest';
import { USER_DATA_LIMIT_BYTES } from '../../src/assets/user-data/compress.ts';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import { PROJECT_ROOT, samplePlatform } from '../support.ts';
import {
  ofType,
  only,
  type Properties,
  type Resource,
  type Resources,
  resourcesOf,
  target,
  userDataScript,
} from './template.ts';

describe('Ops and OpsData stacks (sample configuration)', () => {
  let stacks: PlatformStacks;
  let ops: Resources;
  let opsData: Resources;
  beforeAll(() => {
    stacks = createPlatformApp({
      platform: samplePlatform(),
      gates: false,
      context: readProjectContext(PROJECT_ROOT),
    }).stacks;
    ops = resourcesOf(Template.fromStack(stacks.ops));
    opsData = resourcesOf(Template.fromStack(stacks.opsData));
  });
  /** The instance tagged `name`, and its security groups' inline ingress. */
  const server = (name: string) => {
    const found = ofType(ops, 'AWS::EC2::Instance').find(([, instance]) =>
      (instance.Properties.Tags as { Key: string; Value: string }[]).some(
        (tag) => tag.Key === 'Name' && tag.Value === name,
      ),
    );
    if (!found) throw new Error(`no instance named ${name}`);
    const [id, instance] = found;
    const groups = (instance.Properties.SecurityGroupIds as unknown[]).map(target);
    const ingress = groups.flatMap(
      (group) => ((ops[group]?.Properties.SecurityGroupIngress as Properties[] | undefined) ?? []) as Properties[],
    );
    return { id, instance, groups, ingress };
  };

  it('gives OpenVPN an Elastic IP, published for the client profiles, and its UDP port only', () => {
    const vpn = server('vpn');
    const [eipId] = ofType(ops, 'AWS::EC2::EIP').find(([, eip]) =>
      (eip.Properties.Tags as { Key: string; Value: string }[]).some((tag) => tag.Value === 'openvpn'),
    ) as [string, Resource];
    const associations = ofType(ops, 'AWS::EC2::EIPAssociation').filter(
      ([, association]) => target(association.Properties.InstanceId) === vpn.id,
    );
    expect(associations.map(([, association]) => target(association.Properties.AllocationId))).toEqual([eipId]);
    expect(vpn.ingress.map((rule) => [rule.IpProtocol, rule.FromPort, rule.CidrIp])).toEqual([
      ['udp', 1194, '0.0.0.0/0'],
    ]);
    const names = ofType(ops, 'AWS::SSM::Parameter').map(([, parameter]) => parameter.Properties.Name);
    expect(names).toContain('/storestack/ops/openvpn/public-ip');
    expect(vpn.instance.Properties.ImageId).toBe(samplePlatform().ops.openVpn.amiId);
  });

  it("keeps OpenVPN's PKI in an encrypted, versioned, retained bucket of OpsData, which only its role reads", () => {
    const [, bucket] = only(opsData, 'AWS::S3::Bucket');
    expect(bucket.Properties.BucketName).toBe('client-openvpn-pki');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
        .SSEAlgorithm,
    ).toBe('aws:kms');
    expect(bucket.DeletionPolicy).toBe('Retain');
    const policies = ofType(ops, 'AWS::IAM::ManagedPolicy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('client-openvpn-pki'),
    );
    expect(policies).toHaveLength(1);
    const [[, policy]] = policies as [[string, Resource]];
    const objects = (policy.Properties.PolicyDocument.Statement as Properties[]).find(
      (statement) => statement.Sid === 'PkiState',
    );
    expect(objects?.Resource).toBe('arn:aws:s3:::client-openvpn-pki/openvpn/*');
  });

  it("keeps Rundeck's data on a retained, backed-up volume of OpsData, attached to the instance", () => {
    const [volumeId, volume] = only(opsData, 'AWS::EC2::Volume');
    expect(volume.DeletionPolicy).toBe('Retain');
    expect(volume.Properties.Encrypted).toBe(true);
    expect(volume.Properties.Size).toBe(samplePlatform().ops.rundeck.volumeGiB);
    expect(volume.Properties.Tags).toContainEqual({ Key: 'storestack:backup', Value: 'daily' });
    expect(stacks.opsData.terminationProtection).toBe(true);
    const [, attachment] = only(ops, 'AWS::EC2::VolumeAttachment');
    expect(target(attachment.Properties.InstanceId)).toBe(server('rundeck').id);
    expect(JSON.stringify(attachment.Properties.VolumeId)).toContain(volumeId);
  });

  it("installs storestack on Rundeck from the operations package this stack ships, read through the role's own grants", () => {
    const asset = stacks.ops.node.findChild('StorestackPackage') as Asset;
    const object = `cdk-hnb659fds-assets-123456789012-eu-west-3/${asset.assetHash}.zip`;
    const [parameterId, parameter] = ofType(ops, 'AWS::SSM::Parameter').find(
      ([, candidate]) => candidate.Properties.Name === '/storestack/ops/storestack-package',
    ) as [string, Resource];
    expect(parameter.Properties.Value).toBe(`s3://${object}`);
    // The package, zipped by the CDK: the CLI bundle and the configuration the stacks came from.
    expect(asset.isZipArchive).toBe(true);
    const staged = join((stacks.ops.node.root as App).outdir, asset.assetPath);
    expect(existsSync(join(staged, 'storestack.mjs'))).toBe(true);
    expect(JSON.parse(readFileSync(join(staged, 'platform.json'), 'utf8'))).toEqual(samplePlatform());
    const [policyId, policy] = ofType(ops, 'AWS::IAM::ManagedPolicy').find(([, candidate]) =>
      JSON.stringify(candidate.Properties.PolicyDocument).includes('StorestackPackage'),
    ) as [string, Resource];
    const rundeckRole = ops[server('rundeck').instance.Properties.IamInstanceProfile.Ref]?.Properties.Roles[0].Ref;
    expect(ops[rundeckRole]?.Properties.ManagedPolicyArns).toContainEqual({ Ref: policyId });
    const statements = policy.Properties.PolicyDocument.Statement as Properties[];
    expect(statements.find((statement) => statement.Sid === 'StorestackPackage')).toMatchObject({
      Action: 'ssm:GetParameter',
      Resource: { 'Fn::Join': ['', [expect.stringMatching(/:parameter$/), { Ref: parameterId }]] },
    });
    expect(statements.find((statement) => statement.Sid === 'StorestackPackageObject')).toMatchObject({
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${object}`,
    });
    const userData = userDataScript(server('rundeck').instance);
    expect(userData).toContain("readonly STORESTACK_COMMAND='/opt/storestack/bin/storestack'");
    // The launcher, written out of a single-quoted variable.
    expect(userData).toContain("readonly PACKAGE_PARAMETER='\\''/storestack/ops/storestack-package'\\''");
  });

  it("replaces Rundeck's admin/admin with a generated password in OpsData, which only Rundeck's role reads", () => {
    const [secretId, secret] = only(opsData, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.Name).toBe('storestack/ops/rundeck-admin');
    expect(secret.Properties.GenerateSecretString).toMatchObject({
      SecretStringTemplate: '{"username":"admin"}',
      GenerateStringKey: 'password',
      PasswordLength: 32,
    });
    expect(secret.DeletionPolicy).toBe('Retain');
    const readers = ofType(ops, 'AWS::IAM::ManagedPolicy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes(secretId),
    );
    expect(readers).toHaveLength(1);
    const [[policyId, policy]] = readers as [[string, Resource]];
    const rundeckRole = ops[server('rundeck').instance.Properties.IamInstanceProfile.Ref]?.Properties.Roles[0].Ref;
    expect(ops[rundeckRole]?.Properties.ManagedPolicyArns).toContainEqual({ Ref: policyId });
    const key = (policy.Properties.PolicyDocument.Statement as Properties[]).find((s) => s.Sid === 'AdminLoginKey');
    expect(key?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-3.amazonaws.com' },
    });
    expect(userDataScript(server('rundeck').instance)).toContain(
      "readonly RUNDECK_ADMIN_SECRET='storestack/ops/rundeck-admin'",
    );
  });

  it('lets Rundeck release: Beanstalk deploys, SSM names, locks and commands, artifacts, maintenance rules, snapshots', () => {
    const rundeckRole = ops[server('rundeck').instance.Properties.IamInstanceProfile.Ref]?.Properties.Roles[0].Ref;
    const role = ops[rundeckRole] as Resource;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('AdministratorAccess-AWSElasticBeanstalk');
    const [policyId, policy] = ofType(ops, 'AWS::IAM::ManagedPolicy').find(([, candidate]) =>
      JSON.stringify(candidate.Properties.PolicyDocument).includes('MaintenanceRules'),
    ) as [string, Resource];
    expect(role.Properties.ManagedPolicyArns).toContainEqual({ Ref: policyId });
    const statement = (sid: string) =>
      (policy.Properties.PolicyDocument.Statement as Properties[]).find((candidate) => candidate.Sid === sid);
    expect(statement('ReleaseLocks')?.Resource).toBe(
      'arn:aws:ssm:eu-west-3:123456789012:parameter/storestack/*/release-lock/*',
    );
    expect(statement('Artifacts')?.Resource).toBe('arn:aws:s3:::client-release-artifacts/*');
    expect(statement('ArtifactsKey')?.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': 's3.eu-west-3.amazonaws.com',
        'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::client-release-artifacts',
      },
    });
    expect(statement('MaintenanceRules')?.Action).toEqual([
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:SetRulePriorities',
    ]);
    expect(statement('ReleaseSnapshots')?.Resource).toEqual([
      'arn:aws:rds:eu-west-3:123456789012:db:client-magento-*',
      'arn:aws:rds:eu-west-3:123456789012:snapshot:client-magento-*-release-*',
    ]);
  });

  it.each([
    ['rundeck', 4440],
    ['phpmyadmin', 80],
  ])('never opens %s (port %i) to the internet: the VPC and the VPNs only', (name, port) => {
    const { ingress } = server(name);
    expect(ingress.every((rule) => rule.FromPort === port && rule.ToPort === port)).toBe(true);
    const sources = ingress.map((rule) => rule.CidrIp);
    expect(sources).not.toContain('0.0.0.0/0');
    expect(sources).toContain(samplePlatform().network.vpcCidr);
    expect(ingress.some((rule) => rule.CidrIpv6 !== undefined)).toBe(false);
  });

  it('lets phpMyAdmin reach the databases through the identity group they admit', () => {
    const { instance } = server('phpmyadmin');
    const groups = instance.Properties.SecurityGroupIds as unknown[];
    expect(groups).toHaveLength(2);
    expect(JSON.stringify(groups)).toMatch(/storestack-Network:ExportsOutputFnGetAttConsumersDatabaseAdmin/);
  });

  it('runs every server with IMDSv2, an encrypted root volume and user data within EC2’s 16 KB', () => {
    for (const [id, instance] of ofType(ops, 'AWS::EC2::Instance')) {
      const launchTemplate = ofType(ops, 'AWS::EC2::LaunchTemplate').find(([templateId]) =>
        JSON.stringify(instance.Properties.LaunchTemplate ?? {}).includes(templateId),
      );
      expect(
        JSON.stringify(launchTemplate?.[1].Properties.LaunchTemplateData.MetadataOptions),
        `${id} requires IMDSv2`,
      ).toContain('required');
      expect((instance.Properties.BlockDeviceMappings as Properties[])[0]?.Ebs.Encrypted).toBe(true);
      const userData = instance.Properties.UserData['Fn::Base64'];
      const text = typeof userData === 'string' ? userData : JSON.stringify(userData);
      expect(Buffer.byteLength(text), id).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    }
  });

  it('names every server in the internal zone', () => {
    const names = ofType(ops, 'AWS::Route53::RecordSet').map(([, record]) => record.Properties.Name as string);
    for (const name of ['vpn', 'rundeck', 'phpmyadmin', 'ansible', 'gateway-windows', 'gateway-ftp']) {
      expect(names).toContain(`${name}.internal-client.url.`);
    }
  });

  it('loads the two deploy jobs into Rundeck, each running storestack release for its environment', () => {
    const userData = userDataScript(server('rundeck').instance);
    expect(userData).toContain('Deploy magento PROD');
    expect(userData).toContain('Deploy magento PREPROD');
    for (const env of ['prod', 'preprod']) {
      // Rundeck's option reference, substituted by Rundeck after checking the option's pattern.
      expect(userData).toContain(`/opt/storestack/bin/storestack release magento --env ${env} --ref $\{option.ref}`);
    }
  });

  it('runs the current Amazon Linux 2023 for the servers rebuilt from user data alone', () => {
    for (const name of ['phpmyadmin', 'ansible']) {
      const imageId = server(name).instance.Properties.ImageId as Properties;
      expect(JSON.stringify(imageId)).toMatch(/Ref/);
    }
    const parameters = Object.values(
      (Template.fromStack(stacks.ops).toJSON().Parameters ?? {}) as Record<string, Resource>,
    );
    expect(JSON.stringify(parameters)).toContain('al2023-ami');
  });
});
