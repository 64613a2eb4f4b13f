import { Template } from 'aws-cdk-lib/assertions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/config/schema.ts';
import { createPlatformApp } from '../../src/infra/app.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import type { DataStack } from '../../src/infra/stacks/data-stack.ts';
import type { NetworkStack } from '../../src/infra/stacks/network-stack.ts';
import { platformWith, samplePlatform } from '../support.ts';
import {
  exported,
  NO_EGRESS,
  type Outputs,
  ofType,
  only,
  outputsOf,
  type Properties,
  parametersOf,
  type Resources,
  resourcesOf,
  target,
  typesOf,
} from './template.ts';

interface Synthesized {
  stacks: PlatformStacks;
  network: NetworkStack;
  networkOutputs: Outputs;
  data: (env: string) => { stack: DataStack; template: Template; resources: Resources };
}

function synth(platform: Platform): Synthesized {
  // Gates off: this file is about the templates; test/infra/gates.test.ts runs them.
  const { stacks } = createPlatformApp({ platform, gates: false });
  const networkOutputs = outputsOf(Template.fromStack(stacks.network));
  const cache = new Map<string, { stack: DataStack; template: Template; resources: Resources }>();
  const data = (env: string) => {
    let entry = cache.get(env);
    if (!entry) {
      const stack = stacks.data.get(env);
      if (!stack) throw new Error(`no Data stack for ${env}`);
      const template = Template.fromStack(stack);
      entry = { stack, template, resources: resourcesOf(template) };
      cache.set(env, entry);
    }
    return entry;
  };
  return { stacks, network: stacks.network, networkOutputs, data };
}

/** A dynamic reference to a Secrets Manager secret, as CDK renders `secretValue`. */
function secretsManagerReference(secretRef: unknown, jsonField = ''): unknown {
  return { 'Fn::Join': ['', ['{{resolve:secretsmanager:', secretRef, `:SecretString:${jsonField}::}}`]] };
}

/**
 * The rules of the security group `groupId` (a `{ Fn::GetAtt: [id, 'GroupId'] }`): inline
 * and standalone ingress, sources resolved to the Network stack's own references.
 */
function rulesOf(resources: Resources, outputs: Outputs, groupId: unknown) {
  const groupLogicalId = target(groupId);
  const group = resources[groupLogicalId];
  expect(group?.Type).toBe('AWS::EC2::SecurityGroup');
  const standalone = ofType(resources, 'AWS::EC2::SecurityGroupIngress')
    .filter(([, rule]) => target(rule.Properties.GroupId) === groupLogicalId)
    .map(([, rule]) => rule.Properties);
  const ingress = [...((group?.Properties.SecurityGroupIngress as Properties[] | undefined) ?? []), ...standalone].map(
    (rule) => ({
      protocol: rule.IpProtocol,
      fromPort: rule.FromPort,
      toPort: rule.ToPort,
      source: rule.SourceSecurityGroupId === undefined ? undefined : exported(outputs, rule.SourceSecurityGroupId),
      cidr: rule.CidrIp ?? rule.CidrIpv6 ?? rule.SourcePrefixListId,
    }),
  );
  const standaloneEgress = ofType(resources, 'AWS::EC2::SecurityGroupEgress').filter(
    ([, rule]) => target(rule.Properties.GroupId) === groupLogicalId,
  );
  return { ingress, egress: group?.Properties.SecurityGroupEgress, standaloneEgress: standaloneEgress.length };
}

/** Every string value under a key that names a password or token: none may be a literal. */
function literalSecrets(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => literalSecrets(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    /password|authtoken|secretstring$/i.test(key) && typeof child === 'string'
      ? [`${path}.${key}`]
      : literalSecrets(child, `${path}.${key}`),
  );
}

const ENVIRONMENTS = ['prod', 'preprod'] as const;

describe('Data stacks (sample configuration)', () => {
  let synthesized: Synthesized;
  let network: NetworkStack;
  let outputs: Outputs;
  const magentoGroup = (env: string) => network.resolve(network.consumers.magento(env).securityGroupId);
  const privateSubnets = () => network.network.subnets('private');
  const subnetRefs = (subnets: readonly ec2.ISubnet[]) => subnets.map((subnet) => network.resolve(subnet.subnetId));

  beforeAll(() => {
    // GIVEN the sample configuration, synthesized once
    synthesized = synth(samplePlatform());
    network = synthesized.network;
    outputs = synthesized.networkOutputs;
  });

  describe('MySQL', () => {
    it('runs the prod database Multi-AZ on the configured class and version, private, encrypted, monitored', () => {
      // WHEN
      const [, instance] = only(synthesized.data('prod').resources, 'AWS::RDS::DBInstance');
      // THEN
      expect(instance.Properties).toMatchObject({
        DBInstanceIdentifier: 'client-magento-prod',
        MultiAZ: true,
        DeletionProtection: true,
        Engine: 'mysql',
        EngineVersion: '8.4.7',
        DBInstanceClass: 'db.r7i.4xlarge',
        StorageType: 'gp3',
        StorageEncrypted: true,
        PubliclyAccessible: false,
        BackupRetentionPeriod: 7,
        AutoMinorVersionUpgrade: false,
        MonitoringInterval: 60,
      });
      expect(instance.Properties.EnableCloudwatchLogsExports).toEqual(['audit', 'error', 'general', 'slowquery']);
    });

    it('names the prod instance as the document alarm does (awsrds-client-magento-prod-...)', () => {
      const [, instance] = only(synthesized.data('prod').resources, 'AWS::RDS::DBInstance');
      expect(instance.Properties.DBInstanceIdentifier).toBe('client-magento-prod');
    });

    it('runs the preprod database single-AZ on its smaller class, still protected from deletion by default', () => {
      const [, instance] = only(synthesized.data('preprod').resources, 'AWS::RDS::DBInstance');
      expect(instance.Properties).toMatchObject({
        DBInstanceIdentifier: 'client-magento-preprod',
        MultiAZ: false,
        DBInstanceClass: 'db.r7i.large',
        DeletionProtection: true,
      });
    });

    it.each(ENVIRONMENTS)('places the %s database in exactly the three private subnets of the Network stack', (env) => {
      // GIVEN
      const { resources } = synthesized.data(env);
      const [, instance] = only(resources, 'AWS::RDS::DBInstance');
      // WHEN
      const subnetGroup = resources[target(instance.Properties.DBSubnetGroupName)];
      // THEN
      expect(subnetGroup?.Type).toBe('AWS::RDS::DBSubnetGroup');
      const subnets = ((subnetGroup?.Properties.SubnetIds ?? []) as unknown[]).map((id) => exported(outputs, id));
      expect(subnets).toEqual(subnetRefs(privateSubnets()));
      expect(subnets).toHaveLength(3);
    });

    it.each(ENVIRONMENTS)('takes the %s master password from a generated secret, never from the template', (env) => {
      // GIVEN
      const { resources } = synthesized.data(env);
      const [, instance] = only(resources, 'AWS::RDS::DBInstance');
      // WHEN
      const secretId = target(
        (instance.Properties.MasterUserPassword as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1],
      );
      // THEN
      expect(instance.Properties.MasterUserPassword).toEqual(secretsManagerReference({ Ref: secretId }, 'password'));
      expect(resources[secretId]?.Type).toBe('AWS::SecretsManager::Secret');
      expect(resources[secretId]?.Properties).toMatchObject({
        Name: `storestack/${env}/database`,
        GenerateSecretString: { GenerateStringKey: 'password', SecretStringTemplate: '{"username":"admin"}' },
      });
      expect(literalSecrets(resources)).toEqual([]);
    });

    it.each(ENVIRONMENTS)(
      'admits MySQL into the %s database from its Magento instances and phpMyAdmin only, and lets nothing out',
      (env) => {
        // GIVEN
        const { resources } = synthesized.data(env);
        const [, instance] = only(resources, 'AWS::RDS::DBInstance');
        const groups = instance.Properties.VPCSecurityGroups as unknown[];
        expect(groups).toHaveLength(1);
        // WHEN
        const rules = rulesOf(resources, outputs, groups[0]);
        // THEN
        expect(rules).toEqual({
          ingress: [
            { protocol: 'tcp', fromPort: 3306, toPort: 3306, source: magentoGroup(env) },
            {
              protocol: 'tcp',
              fromPort: 3306,
              toPort: 3306,
              source: network.resolve(network.consumers.databaseAdmin.securityGroupId),
            },
          ],
          egress: NO_EGRESS,
          standaloneEgress: 0,
        });
      },
    );

    it('sets the parameters Magento needs and the audit plugin (PCI DSS 10.2)', () => {
      // GIVEN
      const { resources } = synthesized.data('prod');
      const [, instance] = only(resources, 'AWS::RDS::DBInstance');
      // WHEN
      const parameters = resources[target(instance.Properties.DBParameterGroupName)];
      const options = resources[target(instance.Properties.OptionGroupName)];
      // THEN
      expect(parameters?.Type).toBe('AWS::RDS::DBParameterGroup');
      expect(parameters?.Properties.Family).toBe('mysql8.4');
      expect(parameters?.Properties.Parameters).toMatchObject({
        log_bin_trust_function_creators: '1',
        max_allowed_packet: '268435456',
        require_secure_transport: '1',
        slow_query_log: '1',
        long_query_time: '2',
      });
      expect(options?.Type).toBe('AWS::RDS::OptionGroup');
      expect(options?.Properties.OptionConfigurations).toEqual([
        expect.objectContaining({ OptionName: 'MARIADB_AUDIT_PLUGIN' }),
      ]);
    });
  });

  describe('Redis', () => {
    const groupsOf = (env: string) => {
      const { resources } = synthesized.data(env);
      return ofType(resources, 'AWS::ElastiCache::ReplicationGroup')
        .map(([, group]) => group.Properties)
        .sort((a, b) => String(a.ReplicationGroupId).localeCompare(String(b.ReplicationGroupId)));
    };

    it('gives prod a cache and a session group, each a primary and a replica failing over across two AZs', () => {
      // WHEN
      const groups = groupsOf('prod');
      // THEN
      expect(groups.map((group) => group.ReplicationGroupId)).toEqual(['client-prod-cache', 'client-prod-sessions']);
      for (const group of groups) {
        expect(group).toMatchObject({ NumCacheClusters: 2, AutomaticFailoverEnabled: true, MultiAZEnabled: true });
        const zones = group.PreferredCacheClusterAZs as string[];
        expect(zones).toHaveLength(2);
        expect(new Set(zones).size).toBe(2);
      }
    });

    it('gives preprod one node per group, without failover', () => {
      const groups = groupsOf('preprod');
      expect(groups.map((group) => group.ReplicationGroupId)).toEqual([
        'client-preprod-cache',
        'client-preprod-sessions',
      ]);
      for (const group of groups) {
        expect(group).toMatchObject({ NumCacheClusters: 1, AutomaticFailoverEnabled: false, MultiAZEnabled: false });
      }
    });

    it.each(ENVIRONMENTS)('encrypts %s Redis at rest and in transit, with AUTH from each group’s own secret', (env) => {
      // GIVEN
      const { stack, resources } = synthesized.data(env);
      const own = { cache: stack.cache, sessions: stack.sessions };
      for (const [purpose, redis] of Object.entries(own)) {
        // WHEN
        const group = resources[target(stack.resolve(redis.replicationGroup.ref))];
        const secretRef = stack.resolve(redis.authToken.secretArn);
        // THEN
        expect(group?.Properties).toMatchObject({
          ReplicationGroupId: `client-${env}-${purpose}`,
          AtRestEncryptionEnabled: true,
          TransitEncryptionEnabled: true,
          TransitEncryptionMode: 'required',
        });
        expect(group?.Properties.AuthToken).toEqual(secretsManagerReference(secretRef));
        expect(resources[target(secretRef)]?.Properties.Name).toBe(`storestack/${env}/redis-${purpose}`);
      }
      expect(stack.resolve(own.cache.authToken.secretArn)).not.toEqual(stack.resolve(own.sessions.authToken.secretArn));
    });

    it('generates AUTH tokens of letters and digits only, which ElastiCache accepts', () => {
      const { stack, resources } = synthesized.data('prod');
      for (const redis of [stack.cache, stack.sessions]) {
        const secret = resources[target(stack.resolve(redis.authToken.secretArn))];
        expect(secret?.Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true });
        // ElastiCache: 16 to 128 characters.
        const length = secret?.Properties.GenerateSecretString.PasswordLength as number;
        expect(length).toBeGreaterThanOrEqual(16);
        expect(length).toBeLessThanOrEqual(128);
      }
    });

    it('evicts least recently used keys from the cache, never from the sessions', () => {
      const { stack, resources } = synthesized.data('prod');
      const policyOf = (redis: DataStack['cache']) => {
        const group = resources[target(stack.resolve(redis.replicationGroup.ref))];
        const parameters = resources[target(group?.Properties.CacheParameterGroupName)];
        expect(parameters?.Type).toBe('AWS::ElastiCache::ParameterGroup');
        return parameters?.Properties.Properties['maxmemory-policy'];
      };
      expect(policyOf(stack.cache)).toBe('allkeys-lru');
      expect(policyOf(stack.sessions)).toBe('noeviction');
    });

    it.each(ENVIRONMENTS)('admits Redis of %s from that environment’s Magento instances only', (env) => {
      // GIVEN
      const { resources } = synthesized.data(env);
      const groups = ofType(resources, 'AWS::ElastiCache::ReplicationGroup').map(
        ([, group]) => group.Properties.SecurityGroupIds as unknown[],
      );
      // Both groups wear the same single security group.
      expect(new Set(groups.map((ids) => JSON.stringify(ids))).size).toBe(1);
      expect(groups[0]).toHaveLength(1);
      // WHEN
      const rules = rulesOf(resources, outputs, groups[0]?.[0]);
      // THEN
      expect(rules).toEqual({
        ingress: [{ protocol: 'tcp', fromPort: 6379, toPort: 6379, source: magentoGroup(env) }],
        egress: NO_EGRESS,
        standaloneEgress: 0,
      });
      const other = ENVIRONMENTS.find((candidate) => candidate !== env) as string;
      expect(rules.ingress.map((rule) => rule.source)).not.toContainEqual(magentoGroup(other));
    });
  });

  describe('OpenSearch', () => {
    const domainOf = (env: string) => only(synthesized.data(env).resources, 'AWS::OpenSearchService::Domain')[1];

    it('spreads the prod domain over two AZs, one private subnet each', () => {
      // WHEN
      const domain = domainOf('prod');
      // THEN
      expect(domain.Properties.ClusterConfig).toMatchObject({
        InstanceCount: 2,
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
      });
      const subnets = (domain.Properties.VPCOptions.SubnetIds as unknown[]).map((id) => exported(outputs, id));
      const [first, second] = privateSubnets();
      expect(subnets).toEqual(subnetRefs([first, second] as ec2.ISubnet[]));
      expect(first?.availabilityZone).not.toBe(second?.availabilityZone);
    });

    it('runs the preprod domain on one node in one private subnet, without zone awareness', () => {
      const domain = domainOf('preprod');
      expect(domain.Properties.ClusterConfig).toMatchObject({ InstanceCount: 1, ZoneAwarenessEnabled: false });
      expect(domain.Properties.ClusterConfig.ZoneAwarenessConfig).toBeUndefined();
      const subnets = (domain.Properties.VPCOptions.SubnetIds as unknown[]).map((id) => exported(outputs, id));
      expect(subnets).toEqual(subnetRefs(privateSubnets().slice(0, 1)));
    });

    it.each(ENVIRONMENTS)(
      'encrypts the %s domain, requires TLS 1.2, and keeps its master password in a secret',
      (env) => {
        // GIVEN
        const { stack } = synthesized.data(env);
        // WHEN
        const domain = domainOf(env);
        // THEN
        expect(domain.Properties).toMatchObject({
          DomainName: `client-${env}`,
          EncryptionAtRestOptions: { Enabled: true },
          NodeToNodeEncryptionOptions: { Enabled: true },
          DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
          AdvancedSecurityOptions: { Enabled: true, InternalUserDatabaseEnabled: true },
        });
        expect(domain.Properties.AdvancedSecurityOptions.MasterUserOptions.MasterUserPassword).toEqual(
          secretsManagerReference(stack.resolve(stack.search.masterUser.secretArn), 'password'),
        );
      },
    );

    it.each(ENVIRONMENTS)('admits HTTPS into the %s domain from that environment’s Magento instances only', (env) => {
      const { resources } = synthesized.data(env);
      const groups = domainOf(env).Properties.VPCOptions.SecurityGroupIds as unknown[];
      expect(groups).toHaveLength(1);
      expect(rulesOf(resources, outputs, groups[0])).toEqual({
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, source: magentoGroup(env) }],
        egress: NO_EGRESS,
        standaloneEgress: 0,
      });
    });

    it.each(ENVIRONMENTS)('lets requests reach the %s domain itself and nothing else', (env) => {
      const domain = domainOf(env);
      expect(domain.Properties.AccessPolicies.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'es:ESHttp*',
          // The domain's own ARN (arn:<partition>:es:<region>:<account>:domain/<name>) and its paths.
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                `:es:eu-west-3:123456789012:domain/${domain.Properties.DomainName}/*`,
              ],
            ],
          },
        },
      ]);
    });
  });

  describe('Magento crypt key', () => {
    it('is a generated secret when the configuration names none', () => {
      // GIVEN
      const { stack, resources } = synthesized.data('prod');
      // WHEN
      const keyRef = stack.resolve(stack.cryptKey.secretArn);
      // THEN
      const key = resources[target(keyRef)];
      expect(key?.Type).toBe('AWS::SecretsManager::Secret');
      expect(key?.Properties).toMatchObject({
        Name: 'storestack/prod/magento-crypt-key',
        GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true },
      });
      const [, parameter] = ofType(resources, 'AWS::SSM::Parameter').find(
        ([, candidate]) => candidate.Properties.Name === '/storestack/prod/magento/crypt-key-secret-arn',
      ) ?? ['', undefined];
      expect(parameter?.Properties.Value).toEqual(keyRef);
    });
  });

  describe('published parameters', () => {
    it('publishes every prod endpoint and secret ARN under /storestack/prod/', () => {
      // GIVEN
      const { stack, resources } = synthesized.data('prod');
      // WHEN
      const published = Object.fromEntries(parametersOf(resources));
      // THEN
      const r = (value: string) => stack.resolve(value);
      expect(published).toEqual({
        '/storestack/prod/database/endpoint': r(stack.database.instance.dbInstanceEndpointAddress),
        '/storestack/prod/database/name': 'magento',
        '/storestack/prod/database/secret-arn': r(stack.database.secret.secretArn),
        '/storestack/prod/redis/cache-endpoint': r(stack.cache.primaryEndpoint),
        '/storestack/prod/redis/cache-secret-arn': r(stack.cache.authToken.secretArn),
        '/storestack/prod/redis/sessions-endpoint': r(stack.sessions.primaryEndpoint),
        '/storestack/prod/redis/sessions-secret-arn': r(stack.sessions.authToken.secretArn),
        '/storestack/prod/opensearch/endpoint': r(stack.search.domain.domainEndpoint),
        '/storestack/prod/opensearch/secret-arn': r(stack.search.masterUser.secretArn),
        '/storestack/prod/magento/crypt-key-secret-arn': r(stack.cryptKey.secretArn),
      });
      expect(published['/storestack/prod/database/endpoint']).toEqual({
        'Fn::GetAtt': [only(resources, 'AWS::RDS::DBInstance')[0], 'Endpoint.Address'],
      });
    });

    it('publishes preprod under its own path', () => {
      const names = ofType(synthesized.data('preprod').resources, 'AWS::SSM::Parameter').map(
        ([, parameter]) => parameter.Properties.Name as string,
      );
      expect(names).toHaveLength(10);
      for (const name of names) expect(name).toMatch(/^\/storestack\/preprod\//);
    });
  });

  describe('encryption and retention', () => {
    it.each(ENVIRONMENTS)('encrypts every secret of %s with the stack’s own customer managed key', (env) => {
      const { resources } = synthesized.data(env);
      const secrets = ofType(resources, 'AWS::SecretsManager::Secret');
      // The database credentials, two AUTH tokens, the OpenSearch master user, the crypt key.
      expect(secrets).toHaveLength(5);
      const keys = new Set(secrets.map(([, secret]) => target(secret.Properties.KmsKeyId)));
      expect(keys.size).toBe(1);
      const [keyId] = [...keys] as [string];
      expect(resources[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
      for (const [id, secret] of secrets) {
        expect(secret.Properties.KmsKeyId, id).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      }
    });

    it.each(ENVIRONMENTS)(
      'encrypts every log group of %s with a customer managed key, keeps it a year and retains it',
      (env) => {
        const { resources } = synthesized.data(env);
        const groups = ofType(resources, 'AWS::Logs::LogGroup');
        // Four database exports, two Redis slow logs, four OpenSearch logs.
        expect(groups).toHaveLength(10);
        const keys = new Set(groups.map(([, group]) => target(group.Properties.KmsKeyId)));
        expect(keys.size).toBe(1);
        const [keyId] = [...keys] as [string];
        expect(resources[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
        for (const [id, group] of groups) {
          expect(group.Properties.KmsKeyId, id).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
          expect(group.Properties.RetentionInDays, id).toBe(365);
          expect(group.DeletionPolicy, id).toBe('Retain');
        }
      },
    );
  });

  describe('stateful', () => {
    it.each(ENVIRONMENTS)('protects storestack-Data-%s from termination', (env) => {
      const { stack } = synthesized.data(env);
      expect(stack.stackName).toBe(`storestack-Data-${env}`);
      expect(stack.terminationProtection).toBe(true);
    });

    it.each(ENVIRONMENTS)('retains the %s database, replication groups and domain when deleted or replaced', (env) => {
      const { resources } = synthesized.data(env);
      const stateful = [
        ...ofType(resources, 'AWS::RDS::DBInstance'),
        ...ofType(resources, 'AWS::ElastiCache::ReplicationGroup'),
        ...ofType(resources, 'AWS::OpenSearchService::Domain'),
      ];
      expect(stateful).toHaveLength(4);
      for (const [id, resource] of stateful) {
        expect({ id, deletion: resource.DeletionPolicy, replace: resource.UpdateReplacePolicy }).toEqual({
          id,
          deletion: 'Retain',
          replace: 'Retain',
        });
      }
    });

    // `removalPolicy: RETAIN` on the DatabaseInstance does not reach the secret that
    // `Credentials.fromGeneratedSecret` creates by itself: MysqlDatabase retains it explicitly,
    // or deleting the stack would keep the instance and delete its master credentials.
    it.each(ENVIRONMENTS)('retains every secret of %s, the database credentials included', (env) => {
      const { resources } = synthesized.data(env);
      for (const [id, secret] of ofType(resources, 'AWS::SecretsManager::Secret')) {
        expect({ id, deletion: secret.DeletionPolicy, replace: secret.UpdateReplacePolicy }).toEqual({
          id,
          deletion: 'Retain',
          replace: 'Retain',
        });
      }
    });

    it('keeps the logical IDs of its stateful resources (changing one replaces the resource)', () => {
      const { resources } = synthesized.data('prod');
      const pinned: Record<string, string> = {
        DatabaseInstanceAA8A5FDE: 'AWS::RDS::DBInstance',
        storestackDataprodDatabaseInstanceSecret4EDA89BE3fdaad7efa858a3daf9490cf0a702aeb: 'AWS::SecretsManager::Secret',
        DatabaseInstanceSubnetGroupDE121BB6: 'AWS::RDS::DBSubnetGroup',
        DatabaseParametersB8AC9B07: 'AWS::RDS::DBParameterGroup',
        DatabaseOptions6814A47B: 'AWS::RDS::OptionGroup',
        RedisSubnets: 'AWS::ElastiCache::SubnetGroup',
        CacheReplicationGroupBFE59FF3: 'AWS::ElastiCache::ReplicationGroup',
        CacheAuthToken04672416: 'AWS::SecretsManager::Secret',
        SessionsReplicationGroupB1D76F8C: 'AWS::ElastiCache::ReplicationGroup',
        SessionsAuthToken529C4794: 'AWS::SecretsManager::Secret',
        SearchDomain62FD613E: 'AWS::OpenSearchService::Domain',
        SearchMasterUser87DFBFA6: 'AWS::SecretsManager::Secret',
        MagentoCryptKey216DB9F7: 'AWS::SecretsManager::Secret',
        KeysSecretsC2A8CD45: 'AWS::KMS::Key',
        KeysLogs7981C88C: 'AWS::KMS::Key',
      };
      expect(typesOf(resources, Object.keys(pinned))).toEqual(pinned);
    });
  });
});

describe('Data stack of prod keeping an existing crypt key', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    // GIVEN an existing store whose crypt key is already in Secrets Manager
    synthesized = synth(
      platformWith((input) => {
        const [prod] = input.environments;
        if (!prod) throw new Error('the sample has no first environment');
        prod.magento.cryptKeySecretName = 'legacy/crypt-key';
      }),
    );
  });

  it('creates no crypt key and publishes the ARN of the existing one', () => {
    // WHEN
    const { resources } = synthesized.data('prod');
    // THEN
    const names = ofType(resources, 'AWS::SecretsManager::Secret').map(([, secret]) => secret.Properties.Name);
    expect(names.sort()).toEqual([
      'storestack/prod/database',
      'storestack/prod/opensearch',
      'storestack/prod/redis-cache',
      'storestack/prod/redis-sessions',
    ]);
    const [, parameter] = ofType(resources, 'AWS::SSM::Parameter').find(
      ([, candidate]) => candidate.Properties.Name === '/storestack/prod/magento/crypt-key-secret-arn',
    ) ?? ['', undefined];
    expect(parameter?.Properties.Value).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-3:123456789012:secret:legacy/crypt-key'],
      ],
    });
  });

  it('still generates the crypt key of the environments that name none', () => {
    const names = ofType(synthesized.data('preprod').resources, 'AWS::SecretsManager::Secret').map(
      ([, secret]) => secret.Properties.Name,
    );
    expect(names).toContain('storestack/preprod/magento-crypt-key');
  });
});

describe('Data stacks with another max_allowed_packet', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    // GIVEN imports that send rows up to 512 MiB
    synthesized = synth(
      platformWith((input) => {
        input.databases.maxAllowedPacketBytes = 512 * 1024 * 1024;
      }),
    );
  });

  it.each(ENVIRONMENTS)('sets the configured max_allowed_packet on the %s database', (env) => {
    // WHEN
    const [, parameters] = only(synthesized.data(env).resources, 'AWS::RDS::DBParameterGroup');
    // THEN
    expect(parameters.Properties.Parameters.max_allowed_packet).toBe('536870912');
  });
});
