import { Duration } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { renderPhpIniOptionSettings } from '../../assets/beanstalk/magento/php/render.ts';
import { httpsListenerParameter, magentoEnvironmentNames } from '../../config/names.ts';
import type { EnvironmentConfig, Platform } from '../../config/schema.ts';
import { BeanstalkEnvironment, type BeanstalkEnvironmentProps } from '../beanstalk/beanstalk-environment.ts';
import { BeanstalkInstanceRole } from '../beanstalk/instance-role.ts';
import { BeanstalkServiceRole } from '../beanstalk/service-role.ts';
import { StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';
import { HTTPS_PORT, SharedLoadBalancer } from '../magento/shared-load-balancer.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { DataStack } from './data-stack.ts';
import type { MagentoApplicationStack } from './magento-application-stack.ts';
import type { NetworkStack } from './network-stack.ts';
import type { StorageStack } from './storage-stack.ts';

/** Enhanced health's environment metrics in CloudWatch: what the dashboard and alarms read (document 7.F). */
export const MAGENTO_ENVIRONMENT_METRICS = [
  'EnvironmentHealth',
  'ApplicationRequestsTotal',
  'ApplicationRequests2xx',
  'ApplicationRequests3xx',
  'ApplicationRequests4xx',
  'ApplicationRequests5xx',
  'ApplicationLatencyP99',
  'InstancesOk',
  'InstancesDegraded',
  'InstancesSevere',
] as const;
/** Enhanced health's per-instance metrics in CloudWatch. */
export const MAGENTO_INSTANCE_METRICS = [
  'InstanceHealth',
  'LoadAverage5min',
  'RootFilesystemUtil',
  'ApplicationRequests5xx',
  'ApplicationLatencyP99',
] as const;

/** The instance's role in the environment, the Beanstalk property the bundle's cron hook reads. */
export const MAGENTO_ROLES = { frontend: 'frontend', backOffice: 'backOffice' } as const;
/** Magento's admin path: the back office's rule (document 1: "/backend/*"). */
export const BACKEND_PATH_PATTERN = '/backend/*';
/** Room for a Magento release, its generated code and the platform beside it. */
const ROOT_VOLUME_GIB = 30;
/** The port nginx listens on, on the instances. */
const INSTANCE_HTTP_PORT = 80;

export interface MagentoStackProps {
  readonly platform: Platform;
  readonly environment: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly storage: StorageStack;
  readonly data: DataStack;
  readonly application: MagentoApplicationStack;
}

/**
 * One environment's Magento web tier (document 1): the front-end and back-office Beanstalk
 * environments behind one shared Application Load Balancer, which sends `/backend/*` to the
 * back office and the store's names to the front end; the instances' role and the Beanstalk
 * service role. Stateless: everything here can be rebuilt from config and the release bundles.
 */
export class MagentoStack extends PlatformStack {
  readonly loadBalancer: SharedLoadBalancer;
  readonly instanceRole: BeanstalkInstanceRole;
  readonly frontend: BeanstalkEnvironment;
  readonly backOffice: BeanstalkEnvironment;

  constructor(scope: Construct, props: MagentoStackProps) {
    const { platform, environment, network, storage, data, application } = props;
    super(scope, {
      platform,
      kind: 'Magento',
      environment,
      stateful: false,
      description: `storestack: Magento ${environment.name} on Beanstalk (front end, back office) behind a shared ALB`,
    });
    const env = environment.name;
    const tier = platform.magento;
    const label = `Magento ${env}`;
    const { vpc } = network.network;
    const applicationName = application.application.applicationName;
    const names = magentoEnvironmentNames(platform, env);
    const parameterPath = `/${platform.project}/${env}`;

    this.loadBalancer = new SharedLoadBalancer(this, 'LoadBalancer', {
      vpc,
      subnets: network.network.subnets('public'),
      certificateArn: platform.certificate.arn,
      accessLogBucket: storage.buckets.elbLogs,
      deletionProtection: environment.magento.loadBalancer.deletionProtection,
      label,
    });
    const instances = network.consumers.magento(env);
    // The only way in: the rule lands in this stack, on the group the Network stack owns.
    this.loadBalancer.admit(instances, INSTANCE_HTTP_PORT, `HTTP from the ${label} load balancer`);

    this.instanceRole = new BeanstalkInstanceRole(this, 'Instances', {
      label,
      applicationName,
      environmentNames: [names.frontend, names.backOffice],
      parameterPaths: [parameterPath],
      secretNamePrefixes: [
        `${platform.project}/${env}/`,
        ...(environment.magento.cryptKeySecretName ? [environment.magento.cryptKeySecretName] : []),
      ],
      secretsKeys: [StackKeys.of(data).secrets],
      config: { bucketName: storage.buckets.magentoConfig.name, prefix: `${env}/` },
      artifactBucketName: storage.buckets.releaseArtifacts.name,
      bucketsKey: storage.buckets.key,
      extraStatements: storage.fileShares.clientStatements(
        platform.storage.shares.map((share) => `${env}/${share.name}`),
      ),
    });

    const serviceRole = new BeanstalkServiceRole(this, 'ServiceRole', { label }).role;

    const common = {
      application: application.application,
      solutionStackName: tier.solutionStackName,
      vpc,
      instanceSubnets: network.network.subnets('private'),
      rootVolumeGiB: ROOT_VOLUME_GIB,
      instanceProfileName: this.instanceRole.instanceProfile.ref,
      serviceRole,
      securityGroups: [instances],
      healthCheck: {
        path: tier.healthCheck.path,
        deregistrationDelay: Duration.seconds(tier.healthCheck.deregistrationDelaySeconds),
      },
      deploymentTimeout: Duration.seconds(tier.deployment.timeoutSeconds),
      environmentMetrics: MAGENTO_ENVIRONMENT_METRICS,
      instanceMetrics: MAGENTO_INSTANCE_METRICS,
      logRetentionDays: tier.logRetentionDays,
      platformOptions: renderPhpIniOptionSettings(tier.php),
    } satisfies Partial<BeanstalkEnvironmentProps>;
    const shared = {
      type: 'shared',
      loadBalancerArn: this.loadBalancer.loadBalancer.loadBalancerArn,
      loadBalancerSecurityGroup: this.loadBalancer.securityGroup,
      listenerPort: HTTPS_PORT,
    } as const;
    // Names and paths only: the hooks read values from SSM and Secrets Manager.
    const properties = (role: string) => ({
      STORESTACK_ROLE: role,
      STORESTACK_ENVIRONMENT: env,
      STORESTACK_PARAMETER_PATH: parameterPath,
    });
    const hostNames = environment.magento.hostNames;

    // The back office first: Beanstalk orders a shared load balancer's rules by creation, and
    // `/backend/*` must come before the front end's rule for the same host names (docs/adr/0006).
    this.backOffice = new BeanstalkEnvironment(this, 'BackOffice', {
      ...common,
      environmentName: names.backOffice,
      description: `${label}: back office (admin, imports, indexers, cron)`,
      instanceType: environment.magento.backOffice.instanceType,
      instances: environment.magento.backOffice.instances,
      loadBalancing: {
        ...shared,
        // The host names too: Beanstalk adds the environment's CNAME to a rule's host condition.
        rules: [{ name: 'backend', pathPatterns: [BACKEND_PATH_PATTERN], hostHeaders: hostNames, priority: 1 }],
      },
      environmentVariables: properties(MAGENTO_ROLES.backOffice),
    });
    this.frontend = new BeanstalkEnvironment(this, 'Frontend', {
      ...common,
      environmentName: names.frontend,
      description: `${label}: front end (the store)`,
      instanceType: environment.magento.frontend.instanceType,
      instances: environment.magento.frontend.instances,
      loadBalancing: { ...shared, rules: [{ name: 'store', hostHeaders: hostNames, priority: 1 }] },
      environmentVariables: properties(MAGENTO_ROLES.frontend),
    });
    this.frontend.node.addDependency(this.backOffice);

    for (const beanstalk of [this.backOffice, this.frontend]) {
      acknowledge(beanstalk, {
        id: 'AwsSolutions-EB3',
        reason:
          'Managed platform updates are off on purpose: the platform version is pinned in config (magento.solutionStackName) and moved deliberately with `npm run refresh-platform` and a reviewed deploy, never by Beanstalk in a maintenance window.',
      });
      // Root volumes are encrypted only once the account's EBS default is on.
      beanstalk.node.addDependency(network.ebsEncryption.resource);
      // The rules go on the HTTPS listener, which must exist when Beanstalk adds them.
      beanstalk.node.addDependency(this.loadBalancer.httpsListener);
    }
    this.loadBalancer.addHttpRedirect([this.backOffice, this.frontend]);

    // The release CLI puts its maintenance rules on this listener, ahead of Beanstalk's.
    new ssm.StringParameter(this, 'HttpsListenerArn', {
      parameterName: httpsListenerParameter(platform, env),
      stringValue: this.loadBalancer.httpsListener.listenerArn,
      description: `The HTTPS listener of ${env}'s load balancer: the release's maintenance rules go on it`,
    });
  }
}
