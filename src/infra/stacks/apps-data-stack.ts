import { RemovalPolicy, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { markForBackup } from '../backup/platform-backup.ts';
import { MysqlDatabase } from '../data/mysql-database.ts';
import { StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';
import { SATELLITE_APPS } from '../network/consumer-security-groups.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { NetworkStack } from './network-stack.ts';

export interface AppsDataStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
}

/**
 * The satellite applications' data (document 2, 3, 4, 5 and 7): the database shared by the
 * PIM, the custom connection application and the Mirakl-HiPay connector; the connector's FTP
 * password and the Mirakl connector's keys; the Windows instance's two data volumes.
 */
export class AppsDataStack extends PlatformStack {
  readonly database: MysqlDatabase;
  readonly parameters: PublishedParameters;
  readonly ftpSecret: secretsmanager.Secret;
  readonly miraklConfig: secretsmanager.Secret;
  /** The Windows instance's data volumes, in the AZ of the first private subnet. */
  readonly windowsVolumes: readonly ec2.Volume[];

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
      clients: [
        ...SATELLITE_APPS.map((app) => ({ name: app, securityGroup: network.consumers.app(app) })),
        { name: 'phpMyAdmin', securityGroup: network.consumers.databaseAdmin },
      ],
      instanceIdentifier: `${platform.client.name}-apps`,
      secretName: `${platform.project}/apps/database`,
      databaseName: 'apps',
    });
    const secretPrefix = `${platform.project}/apps`;
    // Document 3: "The ftp user and password are created during the deployment" (from this secret).
    this.ftpSecret = new secretsmanager.Secret(this, 'ConnectorFtpSecret', {
      secretName: `${secretPrefix}/connector-ftp`,
      description: `Password of the connector's FTP user ${platform.apps.connector.ftp.user}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: platform.apps.connector.ftp.user }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Document 4: the Mirakl-HiPay connector's configuration file. Its keys come from Mirakl and
    // HiPay, so operators add them (put-secret-value); the deploy fails naming any that is missing.
    this.miraklConfig = new secretsmanager.Secret(this, 'MiraklConfig', {
      secretName: `${secretPrefix}/mirakl-config`,
      description: `The Mirakl-HiPay connector's configuration: add ${platform.apps.mirakl.configKeys.join(', ')}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        // Symfony's own secret, generated.
        generateStringKey: 'APP_SECRET',
        passwordLength: 32,
        excludePunctuation: true,
      },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const secret of [this.ftpSecret, this.miraklConfig]) {
      acknowledge(secret, {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotated by operators, not by a Lambda: the FTP password is shared with the client (rotate-credentials runbook, then a deploy re-sets it) and the Mirakl and HiPay keys are issued by those services.',
      });
    }

    // Document 5: the Windows instance's two extra volumes, beside its subnet, kept when the instance goes.
    const windowsSubnet = network.network.nonHaPlacement('private').subnets?.[0] as ec2.ISubnet;
    this.windowsVolumes = platform.windows.volumes.map((volume, i) => {
      const created = new ec2.Volume(this, `WindowsVolume${i + 1}`, {
        availabilityZone: windowsSubnet.availabilityZone,
        size: Size.gibibytes(volume.sizeGiB),
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        encrypted: true,
        removalPolicy: RemovalPolicy.RETAIN,
        volumeName: `windows-data-${i + 1}`,
      });
      markForBackup(created);
      acknowledge(created, {
        id: 'CloudFormation-Validate::W3010',
        reason:
          "The volume sits in the AZ of the Windows instance's subnet on purpose: an EBS volume attaches only in its own AZ, and the document gives that instance no high availability.",
      });
      return created;
    });

    this.parameters = new PublishedParameters(this, 'Parameters', `/${platform.project}/apps`);
    this.parameters.publish('database/endpoint', this.database.instance.dbInstanceEndpointAddress, 'MySQL endpoint');
    this.parameters.publish('database/secret-arn', this.database.secret.secretArn, 'MySQL master credentials');
    this.parameters.publish('connector/ftp-secret-arn', this.ftpSecret.secretArn, "The connector's FTP password");
    this.parameters.publish('mirakl/config-secret-arn', this.miraklConfig.secretArn, "Mirakl-HiPay connector's keys");
  }
}
