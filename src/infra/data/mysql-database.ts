import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { DatabaseConfig, Platform } from '../../config/schema.ts';
import { markForBackup } from '../backup/platform-backup.ts';
import { encryptedLogGroup, StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';

export const MYSQL_PORT = 3306;

/** Logs exported to CloudWatch. The general log stays off (general_log=0): empty until turned on to debug. */
const LOG_EXPORTS = ['audit', 'error', 'general', 'slowquery'] as const;

export interface MysqlDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Private subnets only: the document's databases are reachable only from inside the VPC. */
  readonly subnets: ec2.SubnetSelection;
  readonly config: DatabaseConfig;
  /** Engine version and parameters shared by every database of the platform. */
  readonly engine: Omit<Platform['databases'], 'apps'>;
  /** The security groups of the applications that use the database; nothing else gets in. */
  readonly clients: readonly { readonly name: string; readonly securityGroup: ec2.ISecurityGroup }[];
  /** RDS instance identifier, e.g. `client-magento-prod`. */
  readonly instanceIdentifier: string;
  /** Name of the generated master credentials in Secrets Manager. */
  readonly secretName: string;
  /** The schema created with the instance. */
  readonly databaseName: string;
}

/**
 * An RDS for MySQL 8.4 instance as the document's databases need it: private,
 * encrypted gp3 storage, automated backups, the parameters Magento needs, logs in
 * CloudWatch, enhanced monitoring, and credentials generated into Secrets Manager
 * (the template only ever holds a reference to them).
 */
export class MysqlDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly parameterGroup: rds.ParameterGroup;

  constructor(scope: Construct, id: string, props: MysqlDatabaseProps) {
    super(scope, id);
    const { config, engine } = props;
    const mysql = rds.DatabaseInstanceEngine.mysql({
      version: rds.MysqlEngineVersion.of(engine.engineVersion, '8.4'),
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.instanceIdentifier}: MySQL from its applications only`,
      allowAllOutbound: false,
    });
    for (const client of props.clients) {
      this.securityGroup.addIngressRule(client.securityGroup, ec2.Port.tcp(MYSQL_PORT), `MySQL from ${client.name}`);
    }

    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: mysql,
      description: `${props.instanceIdentifier}: what Magento needs on RDS`,
      parameters: {
        // Binary logging is on (automated backups); Magento's triggers and functions need this.
        log_bin_trust_function_creators: '1',
        max_allowed_packet: String(engine.maxAllowedPacketBytes),
        slow_query_log: '1',
        long_query_time: String(engine.longQueryTimeSeconds),
        // The slow log goes to CloudWatch through the log export, which reads FILE output.
        log_output: 'FILE',
        // Refuse unencrypted connections (PCI DSS 4.1).
        require_secure_transport: '1',
      },
    });

    // Audit trail for PCI DSS 10.2: logins, privilege and schema changes (not every query).
    const options = new rds.OptionGroup(this, 'Options', {
      engine: mysql,
      description: `${props.instanceIdentifier}: MariaDB audit plugin`,
      configurations: [
        { name: 'MARIADB_AUDIT_PLUGIN', settings: { SERVER_AUDIT_EVENTS: 'CONNECT,QUERY_DCL,QUERY_DDL' } },
      ],
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine: mysql,
      instanceType: new ec2.InstanceType(config.instanceClass.replace(/^db\./, '')),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      multiAz: config.multiAz,
      databaseName: props.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret('admin', {
        secretName: props.secretName,
        encryptionKey: StackKeys.of(this).secrets,
      }),
      parameterGroup: this.parameterGroup,
      optionGroup: options,
      storageType: rds.StorageType.GP3,
      allocatedStorage: config.allocatedStorageGiB,
      maxAllocatedStorage: config.maxAllocatedStorageGiB,
      storageEncrypted: true,
      backupRetention: Duration.days(config.backupRetentionDays),
      copyTagsToSnapshot: true,
      deletionProtection: config.deletionProtection,
      // The minor version is pinned in config: an upgrade is a reviewed change.
      autoMinorVersionUpgrade: false,
      cloudwatchLogsExports: [...LOG_EXPORTS],
      monitoringInterval: Duration.seconds(60),
      enablePerformanceInsights: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    markForBackup(this.instance);
    // The instance outlives its stack; so must the only copy of its master credentials. (The
    // instance's `secret` is the attachment; the generated secret is its child `Secret`.)
    (this.instance.node.findChild('Secret') as rds.DatabaseSecret).applyRemovalPolicy(RemovalPolicy.RETAIN);
    // The exports' log groups, created first so that they are encrypted and kept a year
    // (RDS would create them bare, and CDK's retention setting would add a Lambda).
    for (const type of LOG_EXPORTS) {
      const group = encryptedLogGroup(this, `Log-${type}`, {
        logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${type}`,
      });
      this.instance.node.addDependency(group);
    }

    acknowledge(
      this.instance,
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Magento and the satellite apps read the database password from a file written at deploy (app/etc/env.php); an unattended rotation would cut every instance off until the next release. The password is rotated by a release (docs/runbooks/rotate-credentials.md).',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        reason:
          "The enhanced monitoring role uses AWS's service-role policy, which lets RDS write its OS metrics to the RDSOSMetrics log group and nothing else; AWS keeps it in step with the monitoring agent.",
      },
      {
        id: 'PCI.DSS.321-RDSAutomaticMinorVersionUpgradeEnabled',
        reason:
          'The minor version is pinned in config (databases.engineVersion) so that preprod and prod run the same engine and an upgrade is tried on preprod first; security patches arrive by raising it (PCI DSS 6.2 by a reviewed change, not a maintenance-window surprise).',
      },
      ...(config.multiAz
        ? []
        : [
            {
              id: 'AwsSolutions-RDS3',
              reason: `Single-AZ by configuration (multiAz: false) for ${props.instanceIdentifier}: the document gives standby instances to production only.`,
            },
          ]),
      ...(config.deletionProtection
        ? []
        : [
            {
              id: 'AwsSolutions-RDS10',
              reason: `Deletion protection is turned off by configuration (deletionProtection: false) for ${props.instanceIdentifier}; the stack's RETAIN policy still keeps the instance when the stack goes.`,
            },
          ]),
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'MySQL keeps its default port 3306: the security group admits only the named application groups, and a non-default port hides nothing from a client already inside the VPC.',
      },
    );
  }

  /** The generated credentials (username, password, host, port) in Secrets Manager. */
  get secret() {
    return this.instance.secret as NonNullable<rds.DatabaseInstance['secret']>;
  }
}
