import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { type PortRange, showRange } from '../../config/apps-schema.ts';
import { acknowledge } from '../gates/index.ts';

/** HTTPS out, for the package repositories (dnf) and Systems Manager. */
const HTTPS = 443;

export interface GatewayProps {
  readonly vpc: ec2.IVpc;
  /** The public subnet it sits in (the document's non-HA placement: the first one). */
  readonly subnet: ec2.ISubnet;
  /** e.g. `windows`: names the group, the instance and `gateway-<name>.<internal domain>`. */
  readonly name: string;
  readonly instanceType: string;
  /** Pinned: no routine deploy replaces a gateway. */
  readonly amiId: string;
  /** The only sources admitted (document 6.D: "a whitelisting of IP addresses"). */
  readonly whitelist: readonly string[];
  /** The forwarded TCP services, port for port. */
  readonly services: readonly { readonly name: string; readonly ports: PortRange }[];
  /** Where the backends live (the private subnets): the gateway's only other way out. */
  readonly backendCidrs: readonly string[];
  /** The user data that installs and configures HAProxy (rendered by src/assets/gateway). */
  readonly userData: string;
  readonly internalZone: route53.IHostedZone;
}

/**
 * One HAProxy gateway (document 6.D): an instance on a public subnet with an Elastic IP,
 * admitting only the whitelisted sources on exactly the forwarded ports, and reaching only the
 * private subnets on those ports (plus HTTPS out for its packages and Systems Manager). The AMI
 * is pinned and user-data changes do not replace it: a new HAProxy configuration is applied by
 * a stop and start (or Systems Manager), never by a new instance with a new address.
 */
export class Gateway extends Construct {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly elasticIp: ec2.CfnEIP;
  readonly hostName: string;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);
    if (props.whitelist.length === 0) throw new Error(`${this.node.path}: the whitelist is empty`);
    if (props.services.length === 0) throw new Error(`${this.node.path}: no service to forward`);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Gateway ${props.name}: the whitelisted sources on the forwarded ports only`,
      allowAllOutbound: false,
    });
    for (const service of props.services) {
      const port = portOf(service.ports);
      for (const cidr of props.whitelist) {
        this.securityGroup.addIngressRule(
          ec2.Peer.ipv4(cidr),
          port,
          `${service.name} (${showRange(service.ports)}) from ${cidr}`,
        );
      }
      for (const cidr of props.backendCidrs) {
        this.securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), port, `${service.name} to the backend in ${cidr}`);
      }
    }
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS), 'HTTPS: packages, Systems Manager');

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Gateway ${props.name}: Systems Manager access for operators (no SSH)`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    const { region } = Stack.of(this);
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage: ec2.MachineImage.genericLinux({ [region]: props.amiId }),
      securityGroup: this.securityGroup,
      role,
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
      userData: ec2.UserData.custom(props.userData),
      userDataCausesReplacement: false,
    });
    Tags.of(this.instance).add('Name', `gateway-${props.name}`);

    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIp', {
      domain: 'vpc',
      tags: [{ key: 'Name', value: `gateway-${props.name}` }],
    });
    new ec2.CfnEIPAssociation(this, 'ElasticIpAssociation', {
      allocationId: this.elasticIp.attrAllocationId,
      instanceId: this.instance.instanceId,
    });

    this.hostName = `gateway-${props.name}`;
    new route53.ARecord(this, 'DnsRecord', {
      zone: props.internalZone,
      recordName: this.hostName,
      target: route53.RecordTarget.fromIpAddresses(this.instance.instancePrivateIp),
      ttl: Duration.minutes(5),
    });

    acknowledge(this.instance, {
      id: 'AwsSolutions-EC29',
      reason:
        'A gateway holds no data: its whole state is the HAProxy configuration rendered from config into its user data, so termination protection would only get in the way of a deliberate rebuild.',
    });
    acknowledge(
      this,
      {
        id: 'CloudFormation-Validate::W9010',
        reason:
          'The AMI id is pinned in config (gateway.servers[].amiId) on purpose: a looked-up "latest" image would replace the gateway, and its Elastic IP association, at a routine deploy.',
      },
      {
        id: 'CloudFormation-Validate::W3010',
        reason:
          'The gateway sits on the first public subnet on purpose: the document runs one gateway, without high availability, and its Elastic IP moves with it.',
      },
    );
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        "AWS's policy for the Systems Manager agent (Session Manager, Run Command): how operators reach the gateway without SSH keys or an open port; AWS keeps it in step with the agent.",
    });
  }
}

function portOf(range: PortRange): ec2.Port {
  return range.from === range.to ? ec2.Port.tcp(range.from) : ec2.Port.tcpRange(range.from, range.to);
}
