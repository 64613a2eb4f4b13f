import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { magentoDatabaseIdentifier } from '../../config/names.ts';
import type { EnvironmentConfig, Platform } from '../../config/schema.ts';
import { MysqlDatabase } from '../data/mysql-database.ts';
import { REDIS_PORT, RedisReplicationGroup } from '../data/redis-replication-group.ts';
import { SearchDomain } from '../data/search-domain.ts';
import { StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { NetworkStack } from './network-stack.ts';

/** The schema Magento's tables live in. */
export const MAGENTO_DATABASE_NAME = 'magento';

export interface DataStackProps {
  readonly platform: Platform;
  readonly environment: EnvironmentConfig;
  readonly network: NetworkStack;
}

/**
 * One environment's data (document 7, 7.B): its MySQL database, Redis for the cache and
 * for the sessions apart, its OpenSearch domain, Magento's crypt key; each reachable
 * only from the environment's Magento instances. Endpoints and secret ARNs are published
 * under `/<project>/<env>/`.
 */
export class DataStack extends PlatformStack {
  readonly database: MysqlDatabase;
  readonly cache: RedisReplicationGroup;
  readonly sessions: RedisReplicationGroup;
  readonly search: SearchDomain;
  readonly cryptKey: secretsmanager.ISecret;
  readonly parameters: PublishedParameters;

  constructor(scope: Construct, props: DataStackProps) {
    const { platform, environment, network } = props;
    super(scope, {
      platform,
      kind: 'Data',
      environment,
      stateful: true,
      description: `storestack: ${environment.name} database, Redis (cache, sessions), OpenSearch, Magento secrets`,
    });
    const env = environment.name;
    const client = platform.client.name;
    const secretPrefix = `${platform.project}/${env}`;
    const vpc = network.network.vpc;
    const privateSubnets = network.network.subnets('private');
    const magento = network.consumers.magento(env);

    this.database = new MysqlDatabase(this, 'Database', {
      vpc,
      subnets: { subnets: privateSubnets },
      config: environment.database,
      engine: platform.databases,
      clients: [
        { name: `Magento ${env}`, securityGroup: magento },
        { name: 'phpMyAdmin', securityGroup: network.consumers.databaseAdmin },
      ],
      // The document's alarm names the prod instance this way: awsrds-client-magento-prod-...
      instanceIdentifier: magentoDatabaseIdentifier(platform, env),
      secretName: `${secretPrefix}/database`,
      databaseName: MAGENTO_DATABASE_NAME,
    });

    const redisSecurityGroup = new ec2.SecurityGroup(this, 'RedisSecurityGroup', {
      vpc,
      description: `Redis of ${env}: from its Magento instances only`,
      allowAllOutbound: false,
    });
    redisSecurityGroup.addIngressRule(magento, ec2.Port.tcp(REDIS_PORT), `Redis from Magento ${env}`);
    const redisSubnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: `Private subnets of the ${env} Redis replication groups`,
      subnetIds: privateSubnets.map((subnet) => subnet.subnetId),
    });
    const redis = (id: string, purpose: 'cache' | 'sessions', nodeType: string) =>
      new RedisReplicationGroup(this, id, {
        replicationGroupId: `${client}-${env}-${purpose}`,
        description: `Magento ${purpose} of ${env}`,
        engineVersion: platform.engines.redis,
        nodeType,
        replicas: environment.redis.replicasPerGroup,
        availabilityZones: privateSubnets.map((subnet) => subnet.availabilityZone),
        subnetGroup: redisSubnets,
        securityGroup: redisSecurityGroup,
        maxmemoryPolicy: purpose === 'cache' ? 'allkeys-lru' : 'noeviction',
        authTokenSecretName: `${secretPrefix}/redis-${purpose}`,
      });
    this.cache = redis('Cache', 'cache', environment.redis.cacheNodeType);
    this.sessions = redis('Sessions', 'sessions', environment.redis.sessionNodeType);

    this.search = new SearchDomain(this, 'Search', {
      vpc,
      privateSubnets,
      config: environment.search,
      engineVersion: platform.engines.openSearch,
      domainName: `${client}-${env}`,
      client: magento,
      secretName: `${secretPrefix}/opensearch`,
    });

    this.cryptKey = this.magentoCryptKey(environment.magento.cryptKeySecretName, `${secretPrefix}/magento-crypt-key`);

    this.parameters = new PublishedParameters(this, 'Parameters', `/${platform.project}/${env}`);
    const publish = (name: string, value: string, description: string) =>
      this.parameters.publish(name, value, description);
    publish('database/endpoint', this.database.instance.dbInstanceEndpointAddress, 'MySQL endpoint');
    publish('database/name', MAGENTO_DATABASE_NAME, "Magento's schema (the database secret does not name it)");
    publish('database/secret-arn', this.database.secret.secretArn, 'MySQL master credentials');
    publish('redis/cache-endpoint', this.cache.primaryEndpoint, 'Redis (cache) primary endpoint');
    publish('redis/cache-secret-arn', this.cache.authToken.secretArn, 'Redis (cache) AUTH token');
    publish('redis/sessions-endpoint', this.sessions.primaryEndpoint, 'Redis (sessions) primary endpoint');
    publish('redis/sessions-secret-arn', this.sessions.authToken.secretArn, 'Redis (sessions) AUTH token');
    publish('opensearch/endpoint', this.search.domain.domainEndpoint, 'OpenSearch endpoint (HTTPS)');
    publish('opensearch/secret-arn', this.search.masterUser.secretArn, 'OpenSearch master user');
    publish('magento/crypt-key-secret-arn', this.cryptKey.secretArn, "Magento's crypt key");
  }

  /**
   * Magento's crypt key encrypts payment and integration data in the database: an
   * existing store keeps its key (named in config); a new store gets a generated one.
   */
  private magentoCryptKey(existingName: string | undefined, newName: string): secretsmanager.ISecret {
    if (existingName) return secretsmanager.Secret.fromSecretNameV2(this, 'MagentoCryptKey', existingName);
    const key = new secretsmanager.Secret(this, 'MagentoCryptKey', {
      secretName: newName,
      description: "Magento's crypt key (app/etc/env.php crypt/key): never regenerate it for an existing store",
      // 32 characters as `setup:install` generates them.
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(key, {
      id: 'AwsSolutions-SMG4',
      reason:
        "Magento's crypt key must never rotate on its own: data encrypted under it (payment and integration secrets) would become unreadable. Key changes go through Magento's own re-encryption (encryption:key:change).",
    });
    return key;
  }
}
