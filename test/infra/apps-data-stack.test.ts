import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPlatformApp } from '../../src/infra/app.ts';
import { SATELLITE_APPS } from '../../src/infra/network/consumer-security-groups.ts';
import type { AppsDataStack } from '../../src/infra/stacks/apps-data-stack.ts';
import type { NetworkStack } from '../../src/infra/stacks/network-stack.ts';
import { samplePlatform } from '../support.ts';
import {
  exported,
  NO_EGRESS,
  type Outputs,
  ofType,
  only,
  outputsOf,
  parametersOf,
  type Resource,
  type Resources,
  resourcesOf,
  target,
  typesOf,
} from './template.ts';

describe('AppsData stack', () => {
  let stack: AppsDataStack;
  let network: NetworkStack;
  let outputs: Outputs;
  let resources: Resources;
  let instance: Resource;

  beforeAll(() => {
    // GIVEN the sample configuration; gates off: test/infra/gates.test.ts runs them
    const { stacks } = createPlatformApp({ platform: samplePlatform(), gates: false });
    stack = stacks.appsData;
    network = stacks.network;
    outputs = outputsOf(Template.fromStack(network));
    // WHEN
    resources = resourcesOf(Template.fromStack(stack));
    [, instance] = only(resources, 'AWS::RDS::DBInstance');
  });

  it('runs the shared apps database single-AZ on its configured class, private and encrypted', () => {
    expect(instance.Properties).toMatchObject({
      DBInstanceIdentifier: 'client-apps',
      MultiAZ: false,
      DBInstanceClass: 'db.m7g.large',
      Engine: 'mysql',
      EngineVersion: '8.4.7',
      StorageType: 'gp3',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      AutoMinorVersionUpgrade: false,
      MonitoringInterval: 60,
      DBName: 'apps',
    });
    expect(instance.Properties.EnableCloudwatchLogsExports).toEqual(['audit', 'error', 'general', 'slowquery']);
  });

  it('places the database in exactly the three private subnets of the Network stack', () => {
    const subnetGroup = resources[target(instance.Properties.DBSubnetGroupName)];
    expect(subnetGroup?.Type).toBe('AWS::RDS::DBSubnetGroup');
    const subnets = ((subnetGroup?.Properties.SubnetIds ?? []) as unknown[]).map((id) => exported(outputs, id));
    expect(subnets).toEqual(network.network.subnets('private').map((subnet) => network.resolve(subnet.subnetId)));
    expect(subnets).toHaveLength(3);
  });

  it('admits MySQL from the PIM, the connector, the Mirakl connector and phpMyAdmin only, and lets nothing out', () => {
    // GIVEN
    const groups = instance.Properties.VPCSecurityGroups as unknown[];
    expect(groups).toHaveLength(1);
    const groupId = target(groups[0]);
    const group = resources[groupId];
    // WHEN
    const ingress = ofType(resources, 'AWS::EC2::SecurityGroupIngress')
      .filter(([, rule]) => target(rule.Properties.GroupId) === groupId)
      .map(([, rule]) => ({
        protocol: rule.Properties.IpProtocol,
        fromPort: rule.Properties.FromPort,
        toPort: rule.Properties.ToPort,
        source: exported(outputs, rule.Properties.SourceSecurityGroupId),
        cidr: rule.Properties.CidrIp ?? rule.Properties.CidrIpv6 ?? rule.Properties.SourcePrefixListId,
      }));
    // THEN
    expect(SATELLITE_APPS).toEqual(['pim', 'connector', 'mirakl']);
    const appGroup = (app: (typeof SATELLITE_APPS)[number]) =>
      network.resolve(network.consumers.app(app).securityGroupId);
    expect(ingress).toEqual([
      { protocol: 'tcp', fromPort: 3306, toPort: 3306, source: appGroup('pim') },
      { protocol: 'tcp', fromPort: 3306, toPort: 3306, source: appGroup('connector') },
      { protocol: 'tcp', fromPort: 3306, toPort: 3306, source: appGroup('mirakl') },
      {
        protocol: 'tcp',
        fromPort: 3306,
        toPort: 3306,
        source: network.resolve(network.consumers.databaseAdmin.securityGroupId),
      },
    ]);
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group?.Properties.SecurityGroupEgress).toEqual(NO_EGRESS);
    expect(ofType(resources, 'AWS::EC2::SecurityGroupEgress')).toEqual([]);
    for (const env of ['prod', 'preprod']) {
      expect(ingress.map((rule) => rule.source)).not.toContainEqual(
        network.resolve(network.consumers.magento(env).securityGroupId),
      );
    }
  });

  it('takes the master password from a generated secret, never from the template', () => {
    const secretId = target(
      (instance.Properties.MasterUserPassword as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1],
    );
    expect(instance.Properties.MasterUserPassword).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:password::}}']],
    });
    expect(resources[secretId]?.Properties).toMatchObject({
      Name: 'storestack/apps/database',
      GenerateSecretString: { GenerateStringKey: 'password' },
    });
    const template = JSON.stringify(resources);
    expect(template).not.toMatch(/"(MasterUserPassword|SecretString)":"/);
  });

  it('sets the same Magento-grade parameters and audit plugin as the environment databases', () => {
    const parameters = resources[target(instance.Properties.DBParameterGroupName)];
    expect(parameters?.Properties.Parameters).toMatchObject({
      log_bin_trust_function_creators: '1',
      max_allowed_packet: '268435456',
      require_secure_transport: '1',
      slow_query_log: '1',
      long_query_time: '2',
    });
    const options = resources[target(instance.Properties.OptionGroupName)];
    expect(options?.Properties.OptionConfigurations).toEqual([
      expect.objectContaining({ OptionName: 'MARIADB_AUDIT_PLUGIN' }),
    ]);
  });

  it('publishes the endpoint and the secret ARNs under /storestack/apps/', () => {
    const published = Object.fromEntries(parametersOf(resources));
    expect(published).toEqual({
      '/storestack/apps/database/endpoint': stack.resolve(stack.database.instance.dbInstanceEndpointAddress),
      '/storestack/apps/database/secret-arn': stack.resolve(stack.database.secret.secretArn),
      '/storestack/apps/connector/ftp-secret-arn': stack.resolve(stack.ftpSecret.secretArn),
      '/storestack/apps/mirakl/config-secret-arn': stack.resolve(stack.miraklConfig.secretArn),
    });
  });

  it('encrypts its secrets and log groups with customer managed keys, logs kept a year and retained', () => {
    const secrets = ofType(resources, 'AWS::SecretsManager::Secret');
    // The database credentials, the connector's FTP password, the Mirakl connector's keys.
    expect(secrets).toHaveLength(3);
    const groups = ofType(resources, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(4);
    for (const [id, resource] of [...secrets, ...groups]) {
      expect(resources[target(resource.Properties.KmsKeyId)], id).toMatchObject({
        Type: 'AWS::KMS::Key',
        Properties: { EnableKeyRotation: true },
      });
    }
    for (const [id, group] of groups) {
      expect(group.Properties.RetentionInDays, id).toBe(365);
      expect(group.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('is a stateful stack: termination protected, its database retained', () => {
    expect(stack.stackName).toBe('storestack-AppsData');
    expect(stack.terminationProtection).toBe(true);
    expect(instance.DeletionPolicy).toBe('Retain');
    expect(instance.UpdateReplacePolicy).toBe('Retain');
  });

  // The instance's RETAIN does not reach the secret `Credentials.fromGeneratedSecret` creates
  // by itself: MysqlDatabase retains it explicitly, or deleting the stack would keep the
  // database and delete its master credentials.
  it('retains the database credentials when the stack is deleted', () => {
    const [id, secret] = ofType(resources, 'AWS::SecretsManager::Secret').find(
      ([, candidate]) => candidate.Properties.Name === 'storestack/apps/database',
    ) as [string, Resource];
    expect({ id, deletion: secret.DeletionPolicy, replace: secret.UpdateReplacePolicy }).toEqual({
      id,
      deletion: 'Retain',
      replace: 'Retain',
    });
  });

  it('keeps the logical IDs of its stateful resources (changing one replaces the resource)', () => {
    const pinned: Record<string, string> = {
      DatabaseInstanceAA8A5FDE: 'AWS::RDS::DBInstance',
      storestackAppsDataDatabaseInstanceSecret4C2C36FA3fdaad7efa858a3daf9490cf0a702aeb: 'AWS::SecretsManager::Secret',
      DatabaseInstanceSubnetGroupDE121BB6: 'AWS::RDS::DBSubnetGroup',
      DatabaseParametersB8AC9B07: 'AWS::RDS::DBParameterGroup',
      DatabaseOptions6814A47B: 'AWS::RDS::OptionGroup',
      KeysSecretsC2A8CD45: 'AWS::KMS::Key',
      KeysLogs7981C88C: 'AWS::KMS::Key',
    };
    expect(typesOf(resources, Object.keys(pinned))).toEqual(pinned);
  });
});
