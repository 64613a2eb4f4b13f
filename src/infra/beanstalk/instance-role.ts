import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResources, literalPartition } from '../gates/index.ts';

export interface BeanstalkInstanceRoleProps {
  /** e.g. `Magento prod`, `PIM`, for descriptions. */
  readonly label: string;
  /** The Beanstalk application and the environments whose instances wear the role. */
  readonly applicationName: string;
  readonly environmentNames: readonly string[];
  /** The parameter paths the instances read, each with everything below it, e.g. `/storestack/prod`. */
  readonly parameterPaths: readonly string[];
  /** Name prefixes (ending with `/`) and names of the secrets they read, e.g. `storestack/prod/`. */
  readonly secretNamePrefixes: readonly string[];
  /** The keys that encrypt those secrets (read only through Secrets Manager). */
  readonly secretsKeys: readonly kms.IKey[];
  /** Non-secret configuration (the bucket's literal name and a prefix), read under the prefix only. */
  readonly config?: { readonly bucketName: string; readonly prefix: string };
  /** The release bundles Beanstalk deploys (the bucket's literal name). */
  readonly artifactBucketName: string;
  /** The key of both buckets (read only through S3). */
  readonly bucketsKey: kms.IKey;
  /** What else the application needs: mounting EFS shares, registering its internal name. */
  readonly extraStatements?: readonly iam.PolicyStatement[];
}

/**
 * The role and instance profile of a Beanstalk application's instances, and what they may do:
 * Systems Manager (operators connect and run commands without SSH), Beanstalk's host manager
 * (health statistics, log streaming to its log groups with retention, its own bucket), and
 * reading their own parameters, secrets, configuration and the release bundles. Nothing else:
 * no write to a bucket of the platform, no other environment's or application's secrets.
 */
export class BeanstalkInstanceRole extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.CfnInstanceProfile;

  constructor(scope: Construct, id: string, props: BeanstalkInstanceRoleProps) {
    super(scope, id);
    const { region, account } = Stack.of(this);
    const partition = literalPartition(this);
    const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
    const bucket = (name: string, key?: string) => `arn:${partition}:s3:::${name}${key === undefined ? '' : `/${key}`}`;
    const s3Via = { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } };

    const statements = [
      new iam.PolicyStatement({
        sid: 'BeanstalkHealthStatistics',
        actions: ['elasticbeanstalk:PutInstanceStatistics'],
        resources: [
          arn('elasticbeanstalk', `application/${props.applicationName}`),
          ...props.environmentNames.map((name) =>
            arn('elasticbeanstalk', `environment/${props.applicationName}/${name}`),
          ),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'StreamLogsWithRetention',
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
          'logs:PutRetentionPolicy',
        ],
        resources: props.environmentNames.flatMap((name) => [
          arn('logs', `log-group:/aws/elasticbeanstalk/${name}/*`),
          arn('logs', `log-group:/aws/elasticbeanstalk/${name}/*:log-stream:*`),
        ]),
      }),
      new iam.PolicyStatement({
        sid: 'CloudWatchAgentMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
      }),
      new iam.PolicyStatement({
        // Beanstalk's own bucket: the host manager uploads requested and rotated logs there.
        sid: 'BeanstalkBucket',
        actions: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
        resources: [
          bucket(`elasticbeanstalk-${region}-${account}`),
          bucket(`elasticbeanstalk-${region}-${account}`, 'resources/environments/*'),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'ReadEnvironmentParameters',
        actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
        resources: props.parameterPaths.flatMap((path) => [
          arn('ssm', `parameter${path}`),
          arn('ssm', `parameter${path}/*`),
        ]),
      }),
      new iam.PolicyStatement({
        sid: 'ReadEnvironmentSecrets',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        // A secret's ARN ends with a random six-character suffix.
        resources: props.secretNamePrefixes.map((prefix) =>
          arn('secretsmanager', `secret:${prefix}${prefix.endsWith('/') ? '*' : '-??????'}`),
        ),
      }),
      new iam.PolicyStatement({
        sid: 'DecryptSecretsThroughSecretsManager',
        actions: ['kms:Decrypt'],
        resources: props.secretsKeys.map((key) => key.keyArn),
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
      ...(props.config ? configStatements(bucket(props.config.bucketName), props.config.prefix) : []),
      new iam.PolicyStatement({
        sid: 'ReadReleases',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket(props.artifactBucketName, '*')],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptBucketsThroughS3',
        actions: ['kms:Decrypt'],
        resources: [props.bucketsKey.keyArn],
        conditions: s3Via,
      }),
      ...(props.extraStatements ?? []),
    ];
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `${props.label} instances: Beanstalk host manager, parameters, secrets, configuration, releases`,
      statements,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${props.label} instances (Beanstalk)`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'), policy],
    });
    this.instanceProfile = new iam.CfnInstanceProfile(this, 'InstanceProfile', {
      roles: [this.role.roleName],
    });

    acknowledge(this.role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        "AWS's policy for the Systems Manager agent (Session Manager, Run Command): how operators and `storestack` reach the instances without SSH keys or an open port; AWS keeps it in step with the agent.",
    });
    acknowledgeWildcardResources(
      policy,
      statements.flatMap((statement) => statement.resources),
      "Wildcards only where names are not known at synth: log groups and streams Beanstalk creates under /aws/elasticbeanstalk/<environment>/, the random suffix of the environment's secret ARNs, parameters under the environment's path, objects under the configuration prefix and in the release bucket, Beanstalk's prefix for log bundles; PutMetricData has no resource type and is held to the CWAgent namespace.",
    );
  }
}

/** Reading a configuration bucket under one prefix: its objects, and listing that prefix only. */
function configStatements(bucketArn: string, prefix: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadConfiguration',
      actions: ['s3:GetObject'],
      resources: [`${bucketArn}/${prefix}*`],
    }),
    new iam.PolicyStatement({
      sid: 'ListConfiguration',
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  ];
}
