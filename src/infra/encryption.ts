import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';

/** PCI DSS 10.7: audit trails are kept a year. */
export const LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/**
 * The customer managed keys of one stack (PCI DSS 3.4: secrets and logs encrypted
 * under keys the client controls), created the first time a construct asks for them.
 */
export class StackKeys extends Construct {
  /** The keys of the stack that holds `scope`. */
  static of(scope: IConstruct): StackKeys {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild('Keys') as StackKeys | undefined) ?? new StackKeys(stack, 'Keys');
  }

  private secretsKey?: kms.Key;
  private logsKey?: kms.Key;

  /** Encrypts the stack's Secrets Manager secrets. */
  get secrets(): kms.Key {
    this.secretsKey ??= new kms.Key(this, 'Secrets', {
      description: `${Stack.of(this).stackName}: Secrets Manager secrets`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return this.secretsKey;
  }

  /** Encrypts the stack's CloudWatch log groups. */
  get logs(): kms.Key {
    if (!this.logsKey) {
      this.logsKey = new kms.Key(this, 'Logs', {
        description: `${Stack.of(this).stackName}: CloudWatch Logs`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      allowCloudWatchLogs(this.logsKey);
    }
    return this.logsKey;
  }
}

/**
 * Lets CloudWatch Logs of the key's region use `key` for the account's log groups. The
 * principal is the regional one (`logs.<region>.amazonaws.com`): with the global name,
 * associating a log group with the key fails.
 */
export function allowCloudWatchLogs(key: kms.IKey): void {
  const { region, partition, account } = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` },
      },
    }),
  );
}

export interface EncryptedLogGroupProps {
  /** @default - a name CloudFormation generates */
  readonly logGroupName?: string;
}

/** A log group kept a year, encrypted with the stack's logs key, retained with the stack's data. */
export function encryptedLogGroup(scope: Construct, id: string, props: EncryptedLogGroupProps = {}): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    logGroupName: props.logGroupName,
    retention: LOG_RETENTION,
    encryptionKey: StackKeys.of(scope).logs,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
