import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { MysqlDatabase } from '../data/mysql-database.ts';
import { SATELLITE_APPS } from '../network/consumer-security-groups.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { NetworkStack } from './network-stack.ts';

export interface AppsDataStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
}

/**
 * The satellite applications' data (document 2, 3, 4 and 7): the database shared by the
 * PIM, the custom connection application and the Mirakl-HiPay connector.
 */
export class AppsDataStack extends PlatformStack {
  readonly database: MysqlDatabase;
  readonly parameters: PublishedParameters;

  constructor(scope: Construct, props: AppsDataStackProps) {
    const { platform, network } = props;
    super(scope, {
      platform,
      kind: 'AppsData',
      stateful: true,
      description: 'storestack: the database shared by the PIM, the connection application and the Mirakl connector',
    });
    this.database = new MysqlDatabase(this, 'Database', {
      vpc: network.network.vpc,
      subnets: { subnets: network.network.subnets('private') },
      config: platform.databases.apps,
      engine: platform.databases,
      clients: SATELLITE_APPS.map((app) => ({ name: app, securityGroup: network.consumers.app(app) })),
      instanceIdentifier: `${platform.client.name}-apps`,
      secretName: `${platform.project}/apps/database`,
      databaseName: 'apps',
    });
    this.parameters = new PublishedParameters(this, 'Parameters', `/${platform.project}/apps`);
    this.parameters.publish('database/endpoint', this.database.instance.dbInstanceEndpointAddress, 'MySQL endpoint');
    this.parameters.publish('database/secret-arn', this.database.secret.secretArn, 'MySQL master credentials');
  }
}
