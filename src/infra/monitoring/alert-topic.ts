import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertTopicProps {
  /** The topic's name, e.g. `client-alerts`. */
  readonly topicName: string;
  /** Who reads the alerts: one email subscription each (each address confirms it once). */
  readonly emails: readonly string[];
}

/**
 * Where the alarms send (document 7.F: "an email is sent to a mailing list"): an SNS topic
 * encrypted with its own key, which CloudWatch alarms of the account may use, and TLS-only.
 */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    if (props.emails.length === 0) throw new Error(`${this.node.path}: no email address to notify`);
    const key = new kms.Key(this, 'Key', {
      description: `${props.topicName}: the alert topic's messages`,
      enableKeyRotation: true,
    });
    // CloudWatch publishes the alarms' notifications to an encrypted topic with this key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
}
