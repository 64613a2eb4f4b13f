import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from '../gates/index.ts';

/**
 * The service role Beanstalk assumes for an environment's enhanced health: it reads the
 * environment's load balancer, Auto Scaling group and instances. Managed platform updates, the
 * other use of a service role, stay off (the platform is pinned in config).
 */
export class BeanstalkServiceRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: { readonly label: string }) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('elasticbeanstalk.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } },
      }),
      description: `${props.label}: Beanstalk's enhanced health monitoring`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSElasticBeanstalkEnhancedHealth')],
    });
    acknowledge(this.role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth]',
      reason:
        "AWS's policy for Beanstalk's enhanced health service role: it reads the environment's load balancer, Auto Scaling group and instances to compute health, and AWS keeps it in step with the service.",
    });
  }
}
