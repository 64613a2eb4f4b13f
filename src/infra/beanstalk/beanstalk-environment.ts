import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { type OptionSetting, OptionSettings } from './option-settings.ts';

/** Condition values an ALB listener rule holds. */
const MAX_RULE_VALUES = 5;

/** One Beanstalk application: the versions its environments deploy. */
export class BeanstalkApplication extends Construct {
  readonly application: elasticbeanstalk.CfnApplication;
  readonly applicationName: string;

  constructor(scope: Construct, id: string, props: { readonly applicationName: string; readonly description: string }) {
    super(scope, id);
    this.applicationName = props.applicationName;
    this.application = new elasticbeanstalk.CfnApplication(this, 'Application', {
      applicationName: props.applicationName,
      description: props.description,
    });
  }
}

/** Where the environment's traffic comes from. */
export type BeanstalkLoadBalancing =
  | {
      /**
       * A load balancer storestack owns, shared with other environments (Beanstalk's shared
       * mode): Beanstalk creates the target group and the listener rules named here.
       */
      readonly type: 'shared';
      readonly loadBalancerArn: string;
      /** The load balancer's own group; without it, Beanstalk would attach a group of its own. */
      readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
      /** The HTTPS listener's port; rules go there only. */
      readonly listenerPort: number;
      /**
       * Listener rules by name, each sending to the environment's default process; Beanstalk's
       * own `default` rule (the environment's CNAME) is listed before them.
       */
      readonly rules: readonly {
        readonly name: string;
        readonly pathPatterns?: readonly string[];
        readonly hostHeaders?: readonly string[];
        /** Relative priority among this environment's rules; Beanstalk maps it to an absolute one. */
        readonly priority: number;
      }[];
    }
  | {
      /** A single instance, no load balancer. */
      readonly type: 'single-instance';
    };

export interface BeanstalkEnvironmentProps {
  readonly application: BeanstalkApplication;
  readonly environmentName: string;
  readonly description: string;
  /** The platform, pinned in config (a refresher script updates it; synth never looks it up). */
  readonly solutionStackName: string;
  readonly vpc: ec2.IVpc;
  /** Private subnets for the instances. */
  readonly instanceSubnets: readonly ec2.ISubnet[];
  readonly instanceType: string;
  /** The root volume (gp3, encrypted by the account's EBS default). */
  readonly rootVolumeGiB: number;
  /** Instances in service; the group never shrinks below it, not even during a deploy. */
  readonly instances: number;
  readonly instanceProfileName: string;
  readonly serviceRole: iam.IRole;
  /** The groups the instances wear (no group of Beanstalk's own is created). */
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  readonly loadBalancing: BeanstalkLoadBalancing;
  readonly healthCheck: { readonly path: string; readonly deregistrationDelay: Duration };
  readonly deploymentTimeout: Duration;
  /** Enhanced health's CloudWatch metrics, e.g. EnvironmentHealth, ApplicationRequests5xx. */
  readonly environmentMetrics: readonly string[];
  readonly instanceMetrics: readonly string[];
  readonly logRetentionDays: number;
  /** Environment properties: names and ARNs only, never a secret value. */
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** Platform options of the application's own (PHP settings, say). */
  readonly platformOptions?: readonly OptionSetting[];
}

/**
 * A Beanstalk environment with the platform's rules in its options: private instances with
 * IMDSv2 and encrypted gp3 root volumes, no security group of Beanstalk's own, rolling
 * deployments one instance at a time with an additional batch (capacity never drops),
 * rolling configuration updates, enhanced health with CloudWatch metrics and 4xx ignored,
 * logs streamed to CloudWatch.
 */
export class BeanstalkEnvironment extends Construct {
  readonly environment: elasticbeanstalk.CfnEnvironment;
  readonly options: OptionSettings;

  constructor(scope: Construct, id: string, props: BeanstalkEnvironmentProps) {
    super(scope, id);
    if (props.instances < 1) throw new Error(`${this.node.path}: instances must be at least 1, got ${props.instances}`);
    if (props.instanceSubnets.length === 0) throw new Error(`${this.node.path}: instanceSubnets is empty`);
    const options = new OptionSettings();
    this.options = options;

    options.setAll('aws:ec2:vpc', {
      VPCId: props.vpc.vpcId,
      Subnets: props.instanceSubnets.map((subnet) => subnet.subnetId).join(','),
      AssociatePublicIpAddress: false,
    });
    options.setAll('aws:autoscaling:launchconfiguration', {
      IamInstanceProfile: props.instanceProfileName,
      SecurityGroups: props.securityGroups.map((group) => group.securityGroupId).join(','),
      DisableDefaultEC2SecurityGroup: true,
      DisableIMDSv1: true,
      RootVolumeType: 'gp3',
      RootVolumeSize: props.rootVolumeGiB,
    });
    options.set('aws:ec2:instances', 'InstanceTypes', props.instanceType);
    options.setAll('aws:autoscaling:asg', { MinSize: props.instances, MaxSize: props.instances });
    options.set('aws:elasticbeanstalk:environment', 'ServiceRole', props.serviceRole.roleArn);
    // The platform version is pinned in config; managed updates would move it behind the pin's back.
    options.set('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', false);

    // Deployments: one instance at a time, on an extra instance first, so capacity never drops.
    options.setAll('aws:elasticbeanstalk:command', {
      DeploymentPolicy: props.loadBalancing.type === 'single-instance' ? 'Rolling' : 'RollingWithAdditionalBatch',
      BatchSizeType: 'Fixed',
      BatchSize: 1,
      Timeout: props.deploymentTimeout.toSeconds(),
    });
    // Configuration changes that replace instances roll too, one at a time, on health.
    options.setAll('aws:autoscaling:updatepolicy:rollingupdate', {
      RollingUpdateEnabled: true,
      RollingUpdateType: 'Health',
      MaxBatchSize: 1,
      MinInstancesInService: props.loadBalancing.type === 'single-instance' ? 0 : props.instances,
    });

    options.setAll('aws:elasticbeanstalk:healthreporting:system', {
      SystemType: 'enhanced',
      EnhancedHealthAuthEnabled: true,
      ConfigDocument: JSON.stringify({
        Version: 1,
        CloudWatchMetrics: {
          Environment: Object.fromEntries(props.environmentMetrics.map((metric) => [metric, 60])),
          Instance: Object.fromEntries(props.instanceMetrics.map((metric) => [metric, 60])),
        },
        // A client's 4xx (a missing product page) is not the environment's failure.
        Rules: { Environment: { Application: { ApplicationRequests4xx: { Enabled: false } } } },
      }),
    });
    // Rotated instance logs also go to Beanstalk's bucket, beside the CloudWatch streams.
    options.set('aws:elasticbeanstalk:hostmanager', 'LogPublicationControl', true);
    options.setAll('aws:elasticbeanstalk:cloudwatch:logs', {
      StreamLogs: true,
      RetentionInDays: props.logRetentionDays,
      DeleteOnTerminate: false,
    });
    options.setAll('aws:elasticbeanstalk:cloudwatch:logs:health', {
      HealthStreamingEnabled: true,
      RetentionInDays: props.logRetentionDays,
      DeleteOnTerminate: false,
    });

    this.configureLoadBalancing(options, props);
    for (const [name, value] of Object.entries(props.environmentVariables)) {
      options.set('aws:elasticbeanstalk:application:environment', name, value);
    }
    for (const setting of props.platformOptions ?? []) {
      options.set(setting.namespace, setting.optionName, setting.value, setting.resourceName);
    }

    this.environment = new elasticbeanstalk.CfnEnvironment(this, 'Environment', {
      applicationName: props.application.applicationName,
      environmentName: props.environmentName,
      description: props.description,
      solutionStackName: props.solutionStackName,
      tier: { name: 'WebServer', type: 'Standard' },
      optionSettings: options.toCloudFormation(),
    });
    this.node.addDependency(props.application);
  }

  private configureLoadBalancing(options: OptionSettings, props: BeanstalkEnvironmentProps): void {
    const balancing = props.loadBalancing;
    if (balancing.type === 'single-instance') {
      options.set('aws:elasticbeanstalk:environment', 'EnvironmentType', 'SingleInstance');
      return;
    }
    options.setAll('aws:elasticbeanstalk:environment', {
      EnvironmentType: 'LoadBalanced',
      LoadBalancerType: 'application',
      LoadBalancerIsShared: true,
    });
    options.setAll('aws:elbv2:loadbalancer', {
      SharedLoadBalancer: balancing.loadBalancerArn,
      SecurityGroups: balancing.loadBalancerSecurityGroup.securityGroupId,
      ManagedSecurityGroup: balancing.loadBalancerSecurityGroup.securityGroupId,
    });
    options.setAll('aws:elasticbeanstalk:environment:process:default', {
      Port: 80,
      Protocol: 'HTTP',
      HealthCheckPath: props.healthCheck.path,
      MatcherHTTPCode: '200',
      DeregistrationDelay: props.healthCheck.deregistrationDelay.toSeconds(),
    });
    options.set(
      `aws:elbv2:listener:${balancing.listenerPort}`,
      'Rules',
      ['default', ...balancing.rules.map((rule) => rule.name)].join(','),
    );
    for (const rule of balancing.rules) {
      if (rule.name === 'default' || !/^[a-z][a-z0-9]*$/.test(rule.name)) {
        throw new Error(
          `${this.node.path}: listener rule name ${JSON.stringify(rule.name)} must be lower-case letters and digits, and not "default" (Beanstalk's own rule)`,
        );
      }
      const values = (rule.pathPatterns?.length ?? 0) + (rule.hostHeaders?.length ?? 0);
      if (values === 0) {
        throw new Error(`${this.node.path}: listener rule ${rule.name} has no path pattern nor host header`);
      }
      // An ALB rule holds at most 5 condition values, and Beanstalk adds the environment's CNAME.
      if (values > MAX_RULE_VALUES - 1) {
        throw new Error(
          `${this.node.path}: listener rule ${rule.name} has ${values} condition values; a rule holds ${MAX_RULE_VALUES} and Beanstalk adds the environment's CNAME, so at most ${MAX_RULE_VALUES - 1}`,
        );
      }
      const namespace = `aws:elbv2:listenerrule:${rule.name}`;
      options.setAll(namespace, { Process: 'default', Priority: rule.priority });
      if (rule.pathPatterns?.length) options.set(namespace, 'PathPatterns', rule.pathPatterns.join(','));
      if (rule.hostHeaders?.length) options.set(namespace, 'HostHeaders', rule.hostHeaders.join(','));
    }
  }
}
