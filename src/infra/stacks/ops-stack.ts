import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { renderAnsibleUserData } from '../../assets/ansible/render.ts';
import { renderGateway } from '../../assets/gateway/render.ts';
import { renderOpenVpnUserData } from '../../assets/openvpn/render.ts';
import { renderPhpMyAdminUserData } from '../../assets/phpmyadmin/render.ts';
import { renderRundeckJobs } from '../../assets/rundeck/jobs.ts';
import { RUNDECK_PORT, renderRundeckUserData } from '../../assets/rundeck/render.ts';
import { fitUserData } from '../../assets/user-data/compress.ts';
import { cidr } from '../../config/cidr.ts';
import type { Platform } from '../../config/schema.ts';
import { acknowledge, acknowledgeWildcardResources, literalPartition } from '../gates/index.ts';
import { publishInstanceId } from '../monitoring/instance-ids.ts';
import { Gateway } from '../ops/gateway.ts';
import { buildOperationsPackage } from '../ops/operations-package.ts';
import { OpsServer } from '../ops/ops-server.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { NetworkStack } from './network-stack.ts';
import { type OpsDataStack, openVpnStateKeyAlias, rundeckAdminSecretName } from './ops-data-stack.ts';

export interface OpsStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
  readonly opsData: OpsDataStack;
}

/** Where the Rundeck jobs find the storestack CLI on the build host. */
export const STORESTACK_COMMAND = '/opt/storestack/bin/storestack';
/** Where the operations package's location is published; storestack's launcher on Rundeck reads it. */
export const STORESTACK_PACKAGE_PARAMETER = (platform: Platform) => `/${platform.project}/ops/storestack-package`;
/** Where OpenVPN's public address is published; the client profiles' `remote`. */
export const OPENVPN_PUBLIC_IP_PARAMETER = (platform: Platform) => `/${platform.project}/ops/openvpn/public-ip`;
/** The object of the OpenVPN PKI state in its bucket. */
export const OPENVPN_STATE_KEY = 'openvpn/pki.tar.gz';
/** The PHP extensions a Magento build needs (composer install, setup:di:compile, static content). */
const BUILD_PHP_EXTENSIONS = ['cli', 'bcmath', 'gd', 'intl', 'mbstring', 'mysqlnd', 'soap', 'xml', 'zip', 'sodium'];

/**
 * The operations services that hold no data (document 6): the HAProxy gateways (6.D), one per
 * `gateway.servers` entry. Their public addresses are published under
 * `/<project>/apps/gateways/<name>/public-ip` (the connector's FTP server advertises its gateway's).
 */
export class OpsStack extends PlatformStack {
  readonly gateways: ReadonlyMap<string, Gateway>;
  readonly openVpn: OpsServer;
  readonly openVpnAddress: ec2.CfnEIP;
  readonly rundeck: OpsServer;
  readonly phpMyAdmin: OpsServer;
  readonly ansible: OpsServer;

  constructor(scope: Construct, props: OpsStackProps) {
    const { platform, network, opsData } = props;
    super(scope, {
      platform,
      kind: 'Ops',
      stateful: false,
      description: 'storestack: HAProxy gateways, OpenVPN, Rundeck (the release build host)',
    });
    const publicSubnet = network.network.nonHaPlacement('public').subnets?.[0];
    if (!publicSubnet) throw new Error(`${this.node.path}: no public subnet`);
    const parameters = new PublishedParameters(this, 'Parameters', `/${platform.project}/apps/gateways`);
    this.gateways = new Map(
      platform.gateway.servers.map((server) => {
        const userData = renderGateway(platform, server.name).find((file) => file.path === 'user-data.sh');
        if (!userData) throw new Error(`${this.node.path}: the gateway renderer wrote no user-data.sh`);
        const gateway = new Gateway(this, `Gateway-${server.name}`, {
          vpc: network.network.vpc,
          subnet: publicSubnet,
          name: server.name,
          instanceType: server.instanceType,
          amiId: server.amiId,
          whitelist: platform.gateway.whitelist,
          services: server.services,
          backendCidrs: platform.network.privateSubnets.map((subnet) => subnet.cidr),
          userData: userData.content,
          internalZone: network.internalZone,
        });
        parameters.publish(
          `${server.name}/public-ip`,
          gateway.elasticIp.ref,
          `Public address of gateway ${server.name}`,
        );
        publishInstanceId(this, platform, `gateway-${server.name}`, gateway.instance.instanceId);
        return [server.name, gateway];
      }),
    );

    const { vpc } = network.network;
    const privateSubnet = network.network.nonHaPlacement('private').subnets?.[0] as ec2.ISubnet;
    const { region } = Stack.of(this);
    // The VPC (and so the OpenVPN clients, masqueraded there) and the site-to-site VPNs' networks.
    const insiders = [
      platform.network.vpcCidr,
      ...platform.network.vpn.connections.flatMap((peer) => (peer.routing.type === 'static' ? peer.routing.cidrs : [])),
    ];

    // Document 6.A: OpenVPN, its PKI saved in the OpsData stack after every change.
    this.openVpnAddress = new ec2.CfnEIP(this, 'OpenVpnAddress', {
      domain: 'vpc',
      tags: [{ key: 'Name', value: 'openvpn' }],
    });
    const opsParameters = new PublishedParameters(this, 'OpsParameters', `/${platform.project}/ops`);
    const publicIpParameter = opsParameters.publish(
      OPENVPN_PUBLIC_IP_PARAMETER(platform).slice(`/${platform.project}/ops/`.length),
      this.openVpnAddress.ref,
      "OpenVPN's public address",
    );
    const partition = literalPartition(this);
    // Literal ARNs: the wildcard acknowledgements name them as written.
    const stateObjects = `arn:${partition}:s3:::${opsData.openVpnState.name}/openvpn/*`;
    this.openVpn = new OpsServer(this, 'OpenVpn', {
      vpc,
      subnet: publicSubnet,
      name: 'vpn',
      description: 'OpenVPN server',
      instanceType: platform.ops.openVpn.instanceType,
      image: { pinned: platform.ops.openVpn.amiId },
      userData: fitUserData(
        renderOpenVpnUserData({
          vpnCidr: platform.ops.openVpn.clientCidr,
          pushedRoutes: [platform.network.vpcCidr],
          dnsServer: vpcResolver(platform.network.vpcCidr),
          internalDomain: platform.domains.internal,
          port: platform.ops.openVpn.port,
          protocol: 'udp',
          // Literal names: the user data is compressed at synth (EC2's 16 KB), so it holds no reference.
          publicHostParameter: OPENVPN_PUBLIC_IP_PARAMETER(platform),
          region,
          stateBucket: opsData.openVpnState.name,
          stateKey: OPENVPN_STATE_KEY,
          stateKmsKeyId: openVpnStateKeyAlias(platform),
        }),
      ),
      ingress: [
        {
          peer: ec2.Peer.anyIpv4(),
          port: ec2.Port.udp(platform.ops.openVpn.port),
          description: 'OpenVPN from anywhere (certificates authenticate)',
        },
      ],
      statements: [
        new iam.PolicyStatement({
          sid: 'PkiState',
          actions: ['s3:GetObject', 's3:PutObject'],
          resources: [stateObjects],
        }),
        new iam.PolicyStatement({
          sid: 'PkiStateListing',
          actions: ['s3:ListBucket'],
          resources: [opsData.openVpnState.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'PkiStateKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [opsData.openVpnStateKey.keyArn],
        }),
        new iam.PolicyStatement({
          sid: 'PublicAddress',
          actions: ['ssm:GetParameter'],
          resources: [publicIpParameter.parameterArn],
        }),
      ],
      internalZone: network.internalZone,
    });
    new ec2.CfnEIPAssociation(this, 'OpenVpnAddressAssociation', {
      allocationId: this.openVpnAddress.attrAllocationId,
      instanceId: this.openVpn.instance.instanceId,
    });
    acknowledge(this.openVpn.securityGroup, {
      id: 'AwsSolutions-EC23',
      reason:
        'The staff VPN must be reachable from wherever staff are: its UDP port is open to the internet, and only a client certificate signed by its CA (and not revoked) completes the TLS handshake.',
    });
    acknowledgeWildcardResources(
      this.openVpn.node.findChild('Policy'),
      [stateObjects],
      "The PKI state's objects under openvpn/ in its own bucket: the server writes a new version of its state object there after every change.",
    );

    // Document 6.B: Rundeck, its data on the OpsData volume; also the release build host, where
    // storestack runs from the operations package this stack ships (see operations-package.ts).
    const storestackPackage = new s3assets.Asset(this, 'StorestackPackage', {
      path: buildOperationsPackage(platform),
    });
    const storestackPackageParameter = opsParameters.publish(
      STORESTACK_PACKAGE_PARAMETER(platform).slice(`/${platform.project}/ops/`.length),
      storestackPackage.s3ObjectUrl,
      "storestack's operations package (CLI and configuration), which the launcher on Rundeck runs",
    );
    const buildSecrets = `arn:${partition}:secretsmanager:${region}:${Stack.of(this).account}:secret:${platform.project}/build/*`;
    const phpBranch = /running PHP (\d+\.\d+)$/.exec(platform.magento.solutionStackName)?.[1] ?? '8.3';
    this.rundeck = new OpsServer(this, 'Rundeck', {
      vpc,
      subnet: privateSubnet,
      name: 'rundeck',
      description: 'Rundeck (and the release build host)',
      instanceType: platform.ops.rundeck.instanceType,
      image: { pinned: platform.ops.rundeck.amiId },
      userData: fitUserData(
        renderRundeckUserData({
          volumeId: opsData.rundeckVolume.volumeId,
          internalHostName: `rundeck.${platform.domains.internal}`,
          region,
          projectName: platform.ops.rundeck.project,
          adminSecretName: rundeckAdminSecretName(platform),
          jobsYaml: renderRundeckJobs({
            projectName: platform.ops.rundeck.project,
            environments: platform.environments.map((environment) => ({
              name: environment.name,
              label: environment.name.toUpperCase(),
            })),
            storestackCommand: STORESTACK_COMMAND,
          }),
          storestackCommand: STORESTACK_COMMAND,
          storestackPackageParameter: STORESTACK_PACKAGE_PARAMETER(platform),
          phpPackages: BUILD_PHP_EXTENSIONS.map((extension) => `php${phpBranch}-${extension}`),
          composer: { version: platform.ops.rundeck.composerVersion },
        }),
      ),
      ingress: insiders.map((cidr) => ({
        peer: ec2.Peer.ipv4(cidr),
        port: ec2.Port.tcp(RUNDECK_PORT),
        description: `Rundeck's web UI from ${cidr}`,
      })),
      statements: [
        new iam.PolicyStatement({
          sid: 'BuildSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [buildSecrets],
        }),
        // Its web login's password; the key through Secrets Manager only. Granted here, not by the
        // secret (grantRead would add Rundeck's role to OpsData's key policy: a cycle).
        new iam.PolicyStatement({
          sid: 'AdminLogin',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [opsData.rundeckAdmin.secretArn],
        }),
        new iam.PolicyStatement({
          sid: 'AdminLoginKey',
          actions: ['kms:Decrypt'],
          resources: [opsData.rundeckAdmin.encryptionKey?.keyArn as string],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'StorestackPackage',
          actions: ['ssm:GetParameter'],
          resources: [storestackPackageParameter.parameterArn],
        }),
        new iam.PolicyStatement({
          sid: 'StorestackPackageObject',
          actions: ['s3:GetObject'],
          resources: [`arn:${partition}:s3:::${storestackPackage.s3BucketName}/${storestackPackage.s3ObjectKey}`],
        }),
      ],
      awsManagedPolicies: [
        {
          name: 'AdministratorAccess-AWSElasticBeanstalk',
          reason:
            "The release build host deploys: Beanstalk's UpdateEnvironment runs CloudFormation, Auto Scaling, EC2 and load balancer calls with the caller's permissions, and AWS publishes this policy for the principals that deploy to Beanstalk; it changes with Beanstalk's needs.",
        },
      ],
      rootVolumeGiB: 40,
      internalZone: network.internalZone,
    });
    const release = releasePermissions(this, platform);
    this.rundeck.role.addManagedPolicy(release.policy);
    acknowledgeWildcardResources(release.policy, release.wildcards, release.reason);
    acknowledgeWildcardResources(
      this.rundeck.node.findChild('Policy'),
      [buildSecrets],
      'The build reads the secrets operators keep under <project>/build/ (the git deploy key, the composer repository credentials), whose ARNs end with a random suffix.',
    );
    new ec2.CfnVolumeAttachment(this, 'RundeckVolumeAttachment', {
      instanceId: this.rundeck.instance.instanceId,
      volumeId: opsData.rundeckVolume.volumeId,
      device: '/dev/sdf',
    });

    // phpMyAdmin: the three databases, cookie login, from the VPC and the VPNs only.
    const internal = (name: string) => `${name}.${platform.domains.internal}`;
    const databaseParameters = [
      ...platform.environments.map((environment) => ({
        label: `Magento ${environment.name}`,
        endpointParameter: `/${platform.project}/${environment.name}/database/endpoint`,
      })),
      { label: 'Apps (PIM - connector - Mirakl)', endpointParameter: `/${platform.project}/apps/database/endpoint` },
    ];
    this.phpMyAdmin = new OpsServer(this, 'PhpMyAdmin', {
      vpc,
      subnet: privateSubnet,
      name: 'phpmyadmin',
      description: 'phpMyAdmin (the three databases, cookie login)',
      instanceType: platform.ops.phpMyAdmin.instanceType,
      image: 'current-amazon-linux-2023',
      userData: renderPhpMyAdminUserData({
        version: platform.ops.phpMyAdmin.version,
        region,
        servers: databaseParameters,
      }),
      ingress: insiders.map((cidr) => ({
        peer: ec2.Peer.ipv4(cidr),
        port: ec2.Port.tcp(80),
        description: `phpMyAdmin from ${cidr}`,
      })),
      statements: [
        new iam.PolicyStatement({
          sid: 'DatabaseEndpoints',
          actions: ['ssm:GetParameter'],
          resources: databaseParameters.map(
            ({ endpointParameter }) =>
              `arn:${partition}:ssm:${region}:${Stack.of(this).account}:parameter${endpointParameter}`,
          ),
        }),
      ],
      internalZone: network.internalZone,
    });
    // The identity the databases admit (docs/adr/0005).
    this.phpMyAdmin.instance.addSecurityGroup(network.consumers.databaseAdmin);

    // The Ansible control node, with the internal names of the servers it manages.
    this.ansible = new OpsServer(this, 'Ansible', {
      vpc,
      subnet: privateSubnet,
      name: 'ansible',
      description: 'Ansible control node',
      instanceType: platform.ops.ansible.instanceType,
      image: 'current-amazon-linux-2023',
      userData: renderAnsibleUserData({
        groups: [
          ...(platform.storage.fileServer.type === 'nfs-server' ? [{ group: 'nfs', hosts: [internal('nfs')] }] : []),
          { group: 'gateways', hosts: platform.gateway.servers.map((server) => internal(`gateway-${server.name}`)) },
          { group: 'ops', hosts: [internal('vpn'), internal('rundeck'), internal('phpmyadmin')] },
        ],
      }),
      ingress: [],
      internalZone: network.internalZone,
    });
    // The servers whose loss stops the staff (the VPN) or the releases (Rundeck): status-check alarms.
    publishInstanceId(this, platform, 'vpn', this.openVpn.instance.instanceId);
    publishInstanceId(this, platform, 'rundeck', this.rundeck.instance.instanceId);
  }
}

/**
 * What `storestack release` and the day-2 commands do from Rundeck, beyond Beanstalk's deploy
 * policy: read the names the stacks publish and hold the release lock (SSM), run scripts on the
 * instances (SSM Run Command), upload artifacts (S3, through the bucket's KMS key), put and lift
 * the maintenance rules (ELBv2), snapshot the databases (RDS) and read the alarms (CloudWatch).
 */
function releasePermissions(scope: Construct, platform: Platform) {
  const stack = Stack.of(scope);
  const partition = literalPartition(stack);
  const { region, account } = stack;
  const client = platform.client.name;
  const parameters = `arn:${partition}:ssm:${region}:${account}:parameter/${platform.project}/*`;
  const locks = `arn:${partition}:ssm:${region}:${account}:parameter/${platform.project}/*/release-lock/*`;
  const instances = `arn:${partition}:ec2:${region}:${account}:instance/*`;
  const artifacts = `arn:${partition}:s3:::${client}-release-artifacts`;
  const rules = `arn:${partition}:elasticloadbalancing:${region}:${account}:listener-rule/app/*`;
  const listeners = `arn:${partition}:elasticloadbalancing:${region}:${account}:listener/app/*`;
  const databases = `arn:${partition}:rds:${region}:${account}:db:${client}-magento-*`;
  const snapshots = `arn:${partition}:rds:${region}:${account}:snapshot:${client}-magento-*-release-*`;
  const statements = [
    new iam.PolicyStatement({ sid: 'PublishedNames', actions: ['ssm:GetParameter'], resources: [parameters] }),
    new iam.PolicyStatement({
      sid: 'ReleaseLocks',
      actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
      resources: [locks],
    }),
    new iam.PolicyStatement({
      sid: 'RunOnInstances',
      actions: ['ssm:SendCommand'],
      resources: [`arn:${partition}:ssm:${region}::document/AWS-RunShellScript`, instances],
    }),
    new iam.PolicyStatement({
      sid: 'CommandResults',
      actions: ['ssm:GetCommandInvocation', 'ssm:DescribeInstanceInformation'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'Artifacts',
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: [`${artifacts}/*`],
    }),
    new iam.PolicyStatement({
      sid: 'ArtifactsKey',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [`arn:${partition}:kms:${region}:${account}:key/*`],
      conditions: {
        StringEquals: {
          'kms:ViaService': `s3.${region}.amazonaws.com`,
          'kms:EncryptionContext:aws:s3:arn': artifacts,
        },
      },
    }),
    new iam.PolicyStatement({
      sid: 'ListenerRulesRead',
      actions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'MaintenanceRules',
      actions: [
        'elasticloadbalancing:CreateRule',
        'elasticloadbalancing:DeleteRule',
        'elasticloadbalancing:SetRulePriorities',
        'elasticloadbalancing:AddTags',
      ],
      resources: [rules, listeners],
    }),
    new iam.PolicyStatement({
      sid: 'ReleaseSnapshots',
      actions: ['rds:CreateDBSnapshot', 'rds:AddTagsToResource'],
      resources: [databases, snapshots],
    }),
    new iam.PolicyStatement({
      sid: 'ReadState',
      actions: ['rds:DescribeDBSnapshots', 'cloudwatch:DescribeAlarms'],
      resources: ['*'],
    }),
  ];
  return {
    policy: new iam.ManagedPolicy(scope, 'RundeckReleasePolicy', {
      description: 'Rundeck: what storestack release and the day-2 commands do beyond the Beanstalk deploy',
      statements,
    }),
    wildcards: [
      parameters,
      locks,
      instances,
      `${artifacts}/*`,
      `arn:${partition}:kms:${region}:${account}:key/*`,
      '*',
      rules,
      listeners,
      databases,
      snapshots,
    ],
    reason:
      "The release's resources are named by the platform's prefixes, not known ARNs: the project's SSM names and release locks, Beanstalk's instances and listener rules (created by Beanstalk and the release), the artifacts bucket's objects and its key (only through S3 for that bucket), the client's Magento databases and their release snapshots; Describe/Get calls that take no resource.",
  };
}

/** The VPC's DNS resolver: the VPC block's base address plus two. */
function vpcResolver(vpcCidr: string): string {
  const address = cidr(vpcCidr).network + 2;
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join('.');
}
