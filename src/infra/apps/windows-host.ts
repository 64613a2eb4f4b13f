import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { type PortRange, showRange } from '../../config/apps-schema.ts';
import { acknowledge } from '../gates/index.ts';

/** The volumes' device names, in the order of `windows.volumes`. */
export const WINDOWS_DATA_DEVICES = ['xvdf', 'xvdg'] as const;

export interface WindowsHostProps {
  readonly vpc: ec2.IVpc;
  /** The subnet of its data volumes (they attach only in their own AZ). */
  readonly subnet: ec2.ISubnet;
  readonly instanceType: string;
  /** Pinned: its software was installed by hand. */
  readonly amiId: string;
  /** The data volumes (AppsData), attached in this order. */
  readonly volumes: readonly ec2.IVolume[];
  /** Who reaches which ports: the gateways' groups and the VPN's networks. */
  readonly admitted: readonly {
    readonly peer: ec2.IPeer;
    readonly services: readonly { readonly name: string; readonly ports: PortRange }[];
    readonly label: string;
  }[];
  readonly internalZone: route53.IHostedZone;
  /**
   * PowerShell run at first boot, if any. A change never replaces the instance (it is stopped,
   * given the new user data and started).
   * @default - none: the software was installed by hand
   */
  readonly userData?: string;
}

/**
 * The client's Windows custom application (document 5): a Windows Server instance in a private
 * subnet, whose software was installed by hand, so no routine deploy may replace it. Its AMI is
 * pinned, user-data changes do not replace it, termination is refused (API termination off),
 * and its two data volumes live in the stateful AppsData stack. Reachable only from its
 * gateway on the forwarded ports and from the VPN; named `windows.<internal domain>`.
 */
export class WindowsHost extends Construct {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: WindowsHostProps) {
    super(scope, id);
    if (props.volumes.length > WINDOWS_DATA_DEVICES.length) {
      throw new Error(`${this.node.path}: at most ${WINDOWS_DATA_DEVICES.length} data volumes`);
    }
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Windows custom application: from its gateway and the VPN only',
      // Windows Update, the application's own outbound calls.
      allowAllOutbound: true,
    });
    for (const { peer, services, label } of props.admitted) {
      for (const service of services) {
        const port =
          service.ports.from === service.ports.to
            ? ec2.Port.tcp(service.ports.from)
            : ec2.Port.tcpRange(service.ports.from, service.ports.to);
        this.securityGroup.addIngressRule(peer, port, `${service.name} (${showRange(service.ports)}) from ${label}`);
      }
    }

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Windows custom application: Systems Manager access for operators',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    const { region } = Stack.of(this);
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage: ec2.MachineImage.genericWindows({ [region]: props.amiId }),
      securityGroup: this.securityGroup,
      role,
      requireImdsv2: true,
      detailedMonitoring: true,
      disableApiTermination: true,
      blockDevices: [
        {
          deviceName: '/dev/sda1',
          volume: ec2.BlockDeviceVolume.ebs(100, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
      ...(props.userData === undefined ? {} : { userData: ec2.UserData.custom(props.userData) }),
      userDataCausesReplacement: false,
    });
    Tags.of(this.instance).add('Name', 'windows');
    props.volumes.forEach((volume, i) => {
      new ec2.CfnVolumeAttachment(this, `Volume${i + 1}`, {
        instanceId: this.instance.instanceId,
        volumeId: volume.volumeId,
        device: WINDOWS_DATA_DEVICES[i] as string,
      });
    });

    new route53.ARecord(this, 'DnsRecord', {
      zone: props.internalZone,
      recordName: 'windows',
      target: route53.RecordTarget.fromIpAddresses(this.instance.instancePrivateIp),
      ttl: Duration.minutes(5),
    });

    acknowledge(
      this,
      {
        id: 'CloudFormation-Validate::W9010',
        reason:
          'The AMI id is pinned in config (windows.amiId) on purpose: the software on this instance was installed by hand, and a looked-up image would replace it at a routine deploy.',
      },
      {
        id: 'CloudFormation-Validate::W3010',
        reason:
          'The instance sits in the AZ of its two data volumes on purpose: an EBS volume attaches only in its own AZ, and the document gives this application no high availability.',
      },
    );
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        "AWS's policy for the Systems Manager agent (Session Manager, Fleet Manager's RDP): how operators reach the instance besides the VPN; AWS keeps it in step with the agent.",
    });
  }
}
