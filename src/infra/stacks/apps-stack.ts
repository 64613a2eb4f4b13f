import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { FTP_PORT } from '../../config/apps-schema.ts';
import { satelliteApplicationName } from '../../config/names.ts';
import type { Platform } from '../../config/schema.ts';
import { WindowsHost } from '../apps/windows-host.ts';
import { BeanstalkApplication, BeanstalkEnvironment } from '../beanstalk/beanstalk-environment.ts';
import { BeanstalkInstanceRole } from '../beanstalk/instance-role.ts';
import { BeanstalkServiceRole } from '../beanstalk/service-role.ts';
import { StackKeys } from '../encryption.ts';
import { acknowledge, literalPartition } from '../gates/index.ts';
import { HTTPS_PORT, SharedLoadBalancer } from '../magento/shared-load-balancer.ts';
import type { SatelliteApp } from '../network/consumer-security-groups.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { AppsDataStack } from './apps-data-stack.ts';
import type { NetworkStack } from './network-stack.ts';
import type { OpsStack } from './ops-stack.ts';
import type { StorageStack } from './storage-stack.ts';

/** The Beanstalk applications of document 2, 3 and 4, in the config's order. */
export const BEANSTALK_APPS = ['pim', 'connector', 'mirakl'] as const satisfies readonly SatelliteApp[];

const ENVIRONMENT_METRICS = ['EnvironmentHealth', 'ApplicationRequests5xx', 'ApplicationLatencyP99'];
const INSTANCE_METRICS = ['InstanceHealth', 'LoadAverage5min'];
/** nginx, or Apache for the Mirakl-HiPay connector (document 4: "along with the Apache configuration"). */
const PROXY_SERVERS: Record<(typeof BEANSTALK_APPS)[number], 'nginx' | 'apache'> = {
  pim: 'nginx',
  connector: 'nginx',
  mirakl: 'apache',
};

export interface AppsStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
  readonly storage: StorageStack;
  readonly appsData: AppsDataStack;
  readonly ops: OpsStack;
}

/**
 * The satellite applications (document 2-5): the PIM, the custom connection application (with
 * its FTP server, reached through its gateway) and the Mirakl-HiPay connector, each one
 * instance on Beanstalk, behind one shared ALB over HTTPS with the imported certificate; and
 * the Windows custom application's instance. Their data lives in AppsData.
 */
export class AppsStack extends PlatformStack {
  readonly loadBalancer: SharedLoadBalancer;
  readonly environments: ReadonlyMap<string, BeanstalkEnvironment>;
  readonly roles: ReadonlyMap<string, BeanstalkInstanceRole>;
  readonly windows: WindowsHost;

  constructor(scope: Construct, props: AppsStackProps) {
    const { platform, network, storage, appsData, ops } = props;
    super(scope, {
      platform,
      kind: 'Apps',
      stateful: false,
      description: 'storestack: PIM, custom connection application (FTP), Mirakl-HiPay connector, Windows instance',
    });
    const { vpc } = network.network;
    const project = platform.project;
    const privateSubnets = network.network.subnets('private');

    this.loadBalancer = new SharedLoadBalancer(this, 'LoadBalancer', {
      vpc,
      subnets: network.network.subnets('public'),
      certificateArn: platform.certificate.arn,
      accessLogBucket: storage.buckets.elbLogs,
      deletionProtection: true,
      label: 'Satellite applications',
    });
    const serviceRole = new BeanstalkServiceRole(this, 'ServiceRole', { label: 'Satellite applications' }).role;
    const ftpGateway = platform.gateway.servers.find((server) => server.backend === 'connector');
    if (!ftpGateway)
      throw new Error(`${this.node.path}: no gateway forwards to the connector (config validation requires one)`);

    const environments = new Map<string, BeanstalkEnvironment>();
    const roles = new Map<string, BeanstalkInstanceRole>();
    const environmentOf: BeanstalkEnvironment[] = [];
    for (const app of BEANSTALK_APPS) {
      const config = platform.apps[app];
      const name = satelliteApplicationName(platform, app);
      const instances = network.consumers.app(app);
      this.loadBalancer.admit(instances, 80, `HTTP from the satellite applications' load balancer to ${app}`);
      const application = new BeanstalkApplication(this, `Application-${app}`, {
        applicationName: name,
        description: `The ${app} application (hosting document)`,
      });
      const role = new BeanstalkInstanceRole(this, `Instances-${app}`, {
        label: app,
        applicationName: name,
        environmentNames: [name],
        parameterPaths: [
          `/${project}/apps/database`,
          `/${project}/apps/${app}`,
          ...(app === 'connector'
            ? [
                `/${project}/shared/shares/connector`,
                `/${project}/shared/internal-zone-id`,
                `/${project}/apps/gateways/${ftpGateway.name}/public-ip`,
              ]
            : []),
        ],
        secretNamePrefixes: [
          `${project}/apps/database`,
          ...(app === 'connector' ? [`${project}/apps/connector-ftp`] : []),
          ...(app === 'mirakl' ? [`${project}/apps/mirakl-config`] : []),
        ],
        secretsKeys: [StackKeys.of(appsData).secrets],
        artifactBucketName: storage.buckets.releaseArtifacts.name,
        bucketsKey: storage.buckets.key,
        extraStatements:
          app === 'connector'
            ? [
                ...storage.fileShares.clientStatements([platform.storage.connectorShare.name]),
                ...this.registerInternalName(network, `connector.${platform.domains.internal}`),
              ]
            : [],
      });
      roles.set(app, role);
      const environment = new BeanstalkEnvironment(this, `Environment-${app}`, {
        application,
        environmentName: name,
        description: `The ${app} application: one instance (the document asks no high availability)`,
        solutionStackName: config.solutionStackName,
        vpc,
        instanceSubnets: privateSubnets,
        instanceType: config.instanceType,
        rootVolumeGiB: 20,
        instances: 1,
        instanceProfileName: role.instanceProfile.ref,
        serviceRole,
        securityGroups: [instances],
        loadBalancing: {
          type: 'shared',
          loadBalancerArn: this.loadBalancer.loadBalancer.loadBalancerArn,
          loadBalancerSecurityGroup: this.loadBalancer.securityGroup,
          listenerPort: HTTPS_PORT,
          rules: [{ name: 'app', hostHeaders: [config.hostName], priority: 1 }],
        },
        healthCheck: { path: '/', deregistrationDelay: Duration.seconds(30) },
        deploymentTimeout: Duration.minutes(15),
        environmentMetrics: ENVIRONMENT_METRICS,
        instanceMetrics: INSTANCE_METRICS,
        logRetentionDays: platform.magento.logRetentionDays,
        // Names only: the bundle's hooks read the values from SSM and Secrets Manager.
        environmentVariables: { STORESTACK_APP: app, STORESTACK_PARAMETER_PATH: `/${project}/apps` },
        platformOptions: [
          { namespace: 'aws:elasticbeanstalk:environment:proxy', optionName: 'ProxyServer', value: PROXY_SERVERS[app] },
        ],
      });
      environment.node.addDependency(network.ebsEncryption.resource, this.loadBalancer.httpsListener);
      acknowledge(environment, {
        id: 'AwsSolutions-EB3',
        reason:
          'Managed platform updates are off on purpose: the platform version is pinned in config (apps.<app>.solutionStackName) and moved deliberately with a reviewed deploy, never by Beanstalk in a maintenance window.',
      });
      environments.set(app, environment);
      environmentOf.push(environment);
    }
    this.loadBalancer.addHttpRedirect(environmentOf);
    this.environments = environments;
    this.roles = roles;

    // Document 3: the FTP server is reached through its gateway only (21 and the passive range).
    const connector = network.consumers.app('connector');
    const ftpGatewayGroup = ops.gateways.get(ftpGateway.name)?.securityGroup;
    if (!ftpGatewayGroup) throw new Error(`${this.node.path}: no gateway ${ftpGateway.name} in the Ops stack`);
    const { passivePorts } = platform.apps.connector.ftp;
    new ec2.CfnSecurityGroupIngress(this, 'ConnectorFtpFromGateway', {
      groupId: connector.securityGroupId,
      sourceSecurityGroupId: ftpGatewayGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: FTP_PORT,
      toPort: FTP_PORT,
      description: `FTP from gateway ${ftpGateway.name}`,
    });
    new ec2.CfnSecurityGroupIngress(this, 'ConnectorFtpPassiveFromGateway', {
      groupId: connector.securityGroupId,
      sourceSecurityGroupId: ftpGatewayGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: passivePorts.from,
      toPort: passivePorts.to,
      description: `FTP passive ports from gateway ${ftpGateway.name}`,
    });

    // Document 5: the Windows instance, from its gateways and the VPN's networks.
    const windowsSubnet = network.network.nonHaPlacement('private').subnets?.[0];
    if (!windowsSubnet) throw new Error(`${this.node.path}: no private subnet`);
    const windowsGateways = platform.gateway.servers.filter((server) => server.backend === 'windows');
    const vpnCidrs = platform.network.vpn.connections.flatMap((peer) =>
      peer.routing.type === 'static' ? peer.routing.cidrs.map((cidr) => ({ peer: peer.name, cidr })) : [],
    );
    this.windows = new WindowsHost(this, 'Windows', {
      vpc,
      subnet: windowsSubnet,
      instanceType: platform.windows.instanceType,
      amiId: platform.windows.amiId,
      volumes: appsData.windowsVolumes,
      admitted: [
        ...windowsGateways.map((server) => ({
          peer: ops.gateways.get(server.name)?.securityGroup as ec2.ISecurityGroup,
          services: server.services,
          label: `gateway ${server.name}`,
        })),
        ...vpnCidrs.map(({ peer, cidr }) => ({
          peer: ec2.Peer.ipv4(cidr),
          services: windowsGateways.flatMap((server) => server.services),
          label: `the ${peer} VPN (${cidr})`,
        })),
      ],
      internalZone: network.internalZone,
    });
  }

  /** Lets the connector's instance keep `recordName` pointing at itself in the internal zone. */
  private registerInternalName(network: NetworkStack, recordName: string): iam.PolicyStatement[] {
    const partition = literalPartition(this);
    const upsert = new iam.PolicyStatement({
      sid: 'RegisterInternalName',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [`arn:${partition}:route53:::hostedzone/${network.internalZone.hostedZoneId}`],
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [recordName],
          'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    });
    // The hook waits until Route 53 reports the change INSYNC; change ids are not known in advance.
    const wait = new iam.PolicyStatement({
      sid: 'WaitForInternalName',
      actions: ['route53:GetChange'],
      resources: [`arn:${partition}:route53:::change/*`],
    });
    return [upsert, wait];
  }
}
