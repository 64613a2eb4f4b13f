import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, type AwsSdkCall, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { encryptedLogGroup } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';

/** The stack-level ID of the Lambda function every `AwsCustomResource` of a stack shares. */
export const AWS_CUSTOM_RESOURCE_PROVIDER_ID = `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;

/** The one EC2 action the construct calls; EC2 grants it on `*` only (no resource-level permissions). */
const ENABLE_ACTION = 'ec2:EnableEbsEncryptionByDefault';

/**
 * Turns on EBS encryption by default for the stack's account and region, at deploy time.
 *
 * Elastic Beanstalk has no per-environment setting that encrypts the root volumes of its
 * instances: they are encrypted only when the account and region encrypt new volumes by
 * default (PCI DSS 3.4). Make every Beanstalk environment depend on `resource`, so the
 * default is on before any environment launches an instance.
 *
 * Volumes are encrypted under the region's default EBS key (the AWS managed `aws/ebs`
 * unless the account chose another). Deleting the construct leaves the default on.
 *
 * The construct brings the role and log group of the Lambda function that all
 * `AwsCustomResource`s of a stack share, so it must be the first of them in its stack.
 */
export class EbsEncryptionByDefault extends Construct {
  /** The custom resource that turns the default on: what Beanstalk environments depend on. */
  readonly resource: AwsCustomResource;
  /** The role of the stack's `AwsCustomResource` function: the EC2 call and its own log group, nothing else. */
  readonly role: iam.Role;
  /** Where the stack's `AwsCustomResource` function logs: kept a year, encrypted with the stack's logs key. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    if (stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID)) {
      throw new Error(
        `${this.node.path}: must be the first AwsCustomResource of stack ${stack.node.path}: the function they share already exists, with a role and log group this construct would not control`,
      );
    }

    this.logGroup = encryptedLogGroup(this, 'ProviderLogs');
    const policy = new iam.ManagedPolicy(this, 'ProviderPolicy', {
      description: `${stack.stackName}: turn on EBS encryption by default and write its own logs`,
      statements: [
        new iam.PolicyStatement({ actions: [ENABLE_ACTION], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
      ],
    });
    // A customer managed policy, listed on the role, so the role (and the function) exist
    // only once the policy does; and no AWS managed policy: AWSLambdaBasicExecutionRole
    // would let the function write to every log group of the account.
    this.role = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${stack.stackName}: the function behind the stack's AWS SDK custom resources`,
      managedPolicies: [policy],
    });

    const enable: AwsSdkCall = {
      service: 'EC2',
      action: 'EnableEbsEncryptionByDefault',
      physicalResourceId: PhysicalResourceId.of('ebs-encryption-by-default'),
      outputPaths: ['EbsEncryptionByDefault'],
    };
    this.resource = new AwsCustomResource(this, 'Resource', {
      resourceType: 'Custom::EbsEncryptionByDefault',
      onCreate: enable,
      onUpdate: enable,
      // No onDelete: the default is the account's, not the stack's. Other stacks, other
      // tools and people rely on it, and volumes launched after a delete would be plain
      // again (PCI DSS 3.4); turning it off is a decision for the account, not a stack.
      role: this.role,
      logGroup: this.logGroup,
      // The EC2 client in the Lambda runtime has this API since 2019: nothing to download at deploy.
      installLatestAwsSdk: false,
    });

    acknowledge(policy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `${ENABLE_ACTION} supports no resource-level permissions (the Service Authorization Reference lists no resource type for it): EC2 grants it on "*" only. The policy allows no other action on "*".`,
    });
    acknowledge(stack.node.findChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID), {
      id: 'PCI.DSS.321-LambdaInsideVPC',
      reason:
        "The stack's AwsCustomResource function only calls AWS APIs (here EC2 EnableEbsEncryptionByDefault, once per deploy): it reaches nothing in the VPC, holds no cardholder data and, like any Lambda function, accepts no inbound connection. In the VPC it would need a NAT route or an EC2 endpoint to reach the same API.",
    });
  }
}
