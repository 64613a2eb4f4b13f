import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import {
  BeanstalkApplication,
  BeanstalkEnvironment,
  type BeanstalkEnvironmentProps,
} from '../../src/infra/beanstalk/beanstalk-environment.ts';
import { ENV } from './template.ts';

type Option = { Namespace: string; OptionName: string; Value: string };

/** A back-office-like environment on a shared load balancer, with `change` applied to its props. */
function environment(change: (props: BeanstalkEnvironmentProps) => BeanstalkEnvironmentProps = (p) => p) {
  const stack = new Stack(undefined, 'Test', { env: ENV });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-12345678',
    availabilityZones: ['eu-west-3a', 'eu-west-3b'],
    privateSubnetIds: ['subnet-aaaa1111', 'subnet-bbbb2222'],
  });
  const props: BeanstalkEnvironmentProps = {
    application: new BeanstalkApplication(stack, 'App', { applicationName: 'client-magento', description: 'Magento' }),
    environmentName: 'client-prod-backoffice',
    description: 'Back office of prod',
    solutionStackName: '64bit Amazon Linux 2023 v4.7.0 running PHP 8.3',
    vpc,
    instanceSubnets: vpc.privateSubnets,
    instanceType: 'm7i.xlarge',
    rootVolumeGiB: 30,
    instances: 1,
    instanceProfileName: 'client-magento-prod',
    serviceRole: iam.Role.fromRoleName(stack, 'ServiceRole', 'aws-elasticbeanstalk-service-role'),
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0123456789abcdef0')],
    loadBalancing: {
      type: 'shared',
      loadBalancerArn:
        'arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/client-prod/0123456789abcdef',
      loadBalancerSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'AlbSg', 'sg-0fedcba9876543210'),
      listenerPort: 443,
      rules: [{ name: 'backend', pathPatterns: ['/backend/*'], priority: 1 }],
    },
    healthCheck: { path: '/pub/health_check.php', deregistrationDelay: Duration.seconds(60) },
    deploymentTimeout: Duration.minutes(30),
    environmentMetrics: ['EnvironmentHealth', 'ApplicationRequests5xx'],
    instanceMetrics: ['LoadAverage5min', 'InstanceHealth'],
    logRetentionDays: 365,
    environmentVariables: { STORESTACK_PARAMETERS: '/storestack/prod' },
  };
  new BeanstalkEnvironment(stack, 'Environment', change(props));
  const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::ElasticBeanstalk::Environment'));
  const options = (resource?.Properties.OptionSettings ?? []) as Option[];
  return (namespace: string, name: string) =>
    options.find((option) => option.Namespace === namespace && option.OptionName === name)?.Value;
}

describe('BeanstalkEnvironment', () => {
  it('deploys one instance at a time on an additional batch, so capacity never drops', () => {
    const option = environment();
    expect(option('aws:elasticbeanstalk:command', 'DeploymentPolicy')).toBe('RollingWithAdditionalBatch');
    expect(option('aws:elasticbeanstalk:command', 'BatchSizeType')).toBe('Fixed');
    expect(option('aws:elasticbeanstalk:command', 'BatchSize')).toBe('1');
    expect(option('aws:elasticbeanstalk:command', 'Timeout')).toBe('1800');
    expect(option('aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateType')).toBe('Health');
    expect(option('aws:autoscaling:updatepolicy:rollingupdate', 'MaxBatchSize')).toBe('1');
  });

  it('keeps instances private, IMDSv2-only, without a security group of its own', () => {
    const option = environment();
    expect(option('aws:ec2:vpc', 'AssociatePublicIpAddress')).toBe('false');
    expect(option('aws:ec2:vpc', 'Subnets')).toBe('subnet-aaaa1111,subnet-bbbb2222');
    expect(option('aws:autoscaling:launchconfiguration', 'DisableIMDSv1')).toBe('true');
    expect(option('aws:autoscaling:launchconfiguration', 'DisableDefaultEC2SecurityGroup')).toBe('true');
    expect(option('aws:autoscaling:launchconfiguration', 'SecurityGroups')).toBe('sg-0123456789abcdef0');
    expect(option('aws:autoscaling:launchconfiguration', 'RootVolumeType')).toBe('gp3');
    expect(option('aws:autoscaling:launchconfiguration', 'RootVolumeSize')).toBe('30');
  });

  it('stays on the pinned platform: no managed platform updates', () => {
    expect(environment()('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled')).toBe('false');
  });

  it('joins the shared load balancer with its named rules on the HTTPS listener, health-checked on the path', () => {
    const option = environment();
    expect(option('aws:elasticbeanstalk:environment', 'LoadBalancerIsShared')).toBe('true');
    expect(option('aws:elbv2:listener:443', 'Rules')).toBe('default,backend');
    // The load balancer's own group, so Beanstalk attaches none of its own.
    expect(option('aws:elbv2:loadbalancer', 'SecurityGroups')).toBe('sg-0fedcba9876543210');
    expect(option('aws:elbv2:loadbalancer', 'ManagedSecurityGroup')).toBe('sg-0fedcba9876543210');
    expect(option('aws:elbv2:listener:80', 'Rules')).toBeUndefined();
    expect(option('aws:elbv2:listenerrule:backend', 'PathPatterns')).toBe('/backend/*');
    expect(option('aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath')).toBe('/pub/health_check.php');
    expect(option('aws:elasticbeanstalk:environment:process:default', 'DeregistrationDelay')).toBe('60');
  });

  it('reports enhanced health with the CloudWatch metrics asked for, 4xx ignored', () => {
    const document = JSON.parse(environment()('aws:elasticbeanstalk:healthreporting:system', 'ConfigDocument') ?? '{}');
    expect(document.CloudWatchMetrics).toEqual({
      Environment: { EnvironmentHealth: 60, ApplicationRequests5xx: 60 },
      Instance: { LoadAverage5min: 60, InstanceHealth: 60 },
    });
    expect(document.Rules.Environment.Application.ApplicationRequests4xx.Enabled).toBe(false);
  });

  it('refuses a rule with more condition values than an ALB rule holds beside the CNAME Beanstalk adds', () => {
    expect(() =>
      environment((props) => ({
        ...props,
        loadBalancing: {
          ...shared(props),
          rules: [{ name: 'frontend', hostHeaders: ['a.x', 'b.x', 'c.x', 'd.x', 'e.x'], priority: 2 }],
        },
      })),
    ).toThrow(
      /listener rule frontend has 5 condition values; a rule holds 5 and Beanstalk adds the environment's CNAME, so at most 4/,
    );
  });

  it.each(['default', 'Front-End', ''])('refuses the rule name %j', (name) => {
    expect(() =>
      environment((props) => ({
        ...props,
        loadBalancing: { ...shared(props), rules: [{ name, pathPatterns: ['/x/*'], priority: 1 }] },
      })),
    ).toThrow(/must be lower-case letters and digits, and not "default"/);
  });
});

function shared(props: BeanstalkEnvironmentProps) {
  if (props.loadBalancing.type !== 'shared') throw new Error('the test environment is on a shared load balancer');
  return props.loadBalancing;
}
