import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { searchZones } from '../../config/data-schema.ts';
import type { EnvironmentConfig } from '../../config/schema.ts';
import { encryptedLogGroup, StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';

export const HTTPS_PORT = 443;

export interface SearchDomainProps {
  readonly vpc: ec2.IVpc;
  /** Private subnets in configured order; the domain takes one per AZ it spans. */
  readonly privateSubnets: readonly ec2.ISubnet[];
  readonly config: EnvironmentConfig['search'];
  readonly engineVersion: string;
  /** Domain name (3-28 lower-case characters), e.g. `client-prod`. */
  readonly domainName: string;
  /** The only group admitted (the environment's Magento instances). */
  readonly client: ec2.ISecurityGroup;
  /** Name of the master user's credentials in Secrets Manager. */
  readonly secretName: string;
}

/**
 * Magento 2.4's catalog search (a deviation: the document lists no search engine): an
 * OpenSearch domain in the private subnets, encrypted at rest and node to node, HTTPS
 * only, behind a security group that admits the Magento instances alone. Two or more
 * data nodes are spread across AZs. Fine-grained access control holds a master user
 * whose password is generated into Secrets Manager.
 */
export class SearchDomain extends Construct {
  readonly domain: opensearch.Domain;
  readonly securityGroup: ec2.SecurityGroup;
  /** The master user's credentials (`username`, `password`). */
  readonly masterUser: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);
    const { config } = props;
    const zones = searchZones(config.dataNodes, props.privateSubnets.length);
    if (zones === undefined) {
      throw new Error(
        `${this.node.path}: ${config.dataNodes} data nodes cannot be spread evenly over two or three AZs`,
      );
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.domainName}: HTTPS from the Magento instances only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.client, ec2.Port.tcp(HTTPS_PORT), 'HTTPS from the Magento instances');

    const logGroup = (name: string) => encryptedLogGroup(this, name);
    const appLogGroup = logGroup('AppLogs');
    const slowSearchLogGroup = logGroup('SlowSearchLogs');
    const slowIndexLogGroup = logGroup('SlowIndexLogs');
    const auditLogGroup = logGroup('AuditLogs');
    // A native resource policy instead of the custom resource (a Lambda) CDK would add.
    new logs.ResourcePolicy(this, 'LogsPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [appLogGroup, slowSearchLogGroup, slowIndexLogGroup, auditLogGroup].map(
            (group) => group.logGroupArn,
          ),
        }),
      ],
    });

    this.masterUser = new secretsmanager.Secret(this, 'MasterUser', {
      secretName: props.secretName,
      description: `Master user of the OpenSearch domain ${props.domainName}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'magento' }),
        generateStringKey: 'password',
        passwordLength: 32,
        // OpenSearch wants an upper-case letter, a lower-case one, a digit and a symbol; Magento
        // puts the password unencoded into https://user:password@host, so no URL delimiter.
        requireEachIncludedType: true,
        excludeCharacters: ` "'\\/@:#?%&+\``,
      },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName: props.domainName,
      version: opensearch.EngineVersion.openSearch(props.engineVersion.replace(/^OpenSearch_/, '')),
      capacity: {
        dataNodes: config.dataNodes,
        dataNodeInstanceType: config.instanceType,
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: config.volumeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      zoneAwareness: zones > 1 ? { enabled: true, availabilityZoneCount: zones } : { enabled: false },
      vpc: props.vpc,
      vpcSubnets: [{ subnets: props.privateSubnets.slice(0, zones) }],
      securityGroups: [this.securityGroup],
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: {
        masterUserName: 'magento',
        masterUserPassword: this.masterUser.secretValueFromJson('password'),
      },
      logging: {
        appLogEnabled: true,
        appLogGroup,
        slowSearchLogEnabled: true,
        slowSearchLogGroup,
        slowIndexLogEnabled: true,
        slowIndexLogGroup,
        auditLogEnabled: true,
        auditLogGroup,
      },
      suppressLogsResourcePolicy: true,
      enableAutoSoftwareUpdate: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Fine-grained access control decides who may do what; the resource policy lets
    // requests reach it. Set on the resource itself: CDK's accessPolicies prop would add
    // a custom resource (a Lambda) to apply it after creation.
    const { partition, region, account } = Stack.of(this);
    (this.domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'es:ESHttp*',
          Resource: `arn:${partition}:es:${region}:${account}:domain/${props.domainName}/*`,
        },
      ],
    };

    acknowledge(this.masterUser, {
      id: 'AwsSolutions-SMG4',
      reason:
        'Magento reads the OpenSearch credentials from its configuration, written at deploy; an unattended rotation would break catalog search until the next release. Rotated by a release (docs/runbooks/rotate-credentials.md).',
    });
    acknowledge(
      this.domain,
      {
        id: 'AwsSolutions-OS4',
        reason:
          "No dedicated master nodes: Magento's catalog index is a few small indices on one or two data nodes, where AWS's own guidance makes dedicated masters optional; cluster state stays on the data nodes.",
      },
      {
        id: 'AwsSolutions-OS3',
        reason:
          'The domain has no public endpoint: it lives in the private subnets, and its security group admits HTTPS from the Magento instances alone, a narrower allow-list than IP addresses.',
      },
      {
        id: 'AwsSolutions-OS5',
        reason:
          'The resource policy admits any principal only because fine-grained access control authenticates every request (master user in Secrets Manager); the domain is reachable only inside the VPC through a security group admitting the Magento instances.',
      },
      ...(zones === 1
        ? [
            {
              id: 'AwsSolutions-OS7',
              reason:
                'A single data node in this environment (config: search.dataNodes = 1): zone awareness needs two or more. Production runs two or more across AZs.',
            },
          ]
        : []),
    );
  }
}
