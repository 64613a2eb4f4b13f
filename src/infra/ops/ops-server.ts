import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { acknowledge } from '../gates/index.ts';

/** Who may reach the server on which port. */
export interface OpsServerIngress {
  readonly peer: ec2.IPeer;
  readonly port: ec2.Port;
  readonly description: string;
}

export interface OpsServerProps {
  readonly vpc: ec2.IVpc;
  readonly subnet: ec2.ISubnet;
  /** Its internal name: `<name>.<internal domain>`, the instance's Name tag. */
  readonly name: string;
  readonly description: string;
  readonly instanceType: string;
  /**
   * A pinned AMI id (a server with state of its own: no routine deploy replaces it), or the
   * current Amazon Linux 2023, resolved by CloudFormation at deploy time (a server rebuilt from
   * its user data alone; a newer image replaces it at the next deploy).
   */
  readonly image: { readonly pinned: string } | 'current-amazon-linux-2023';
  readonly userData: string;
  readonly ingress: readonly OpsServerIngress[];
  /** What the server's role may do beyond Systems Manager. */
  readonly statements?: readonly iam.PolicyStatement[];
  /**
   * AWS managed policies the role also gets, each with the reason a reviewer checks.
   * @default - none
   */
  readonly awsManagedPolicies?: readonly { readonly name: string; readonly reason: string }[];
  readonly rootVolumeGiB?: number;
  readonly internalZone: route53.IHostedZone;
}

/**
 * One operations server (document 6): an Amazon Linux 2023 instance with IMDSv2, an encrypted
 * gp3 root volume, Systems Manager access (no SSH), a role limited to what it needs, user data
 * rendered by src/assets, a group admitting only the listed sources, and its internal name.
 */
export class OpsServer extends Construct {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OpsServerProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: props.description,
      // Packages, Systems Manager, AWS APIs, the servers it administers.
      allowAllOutbound: true,
    });
    for (const rule of props.ingress) this.securityGroup.addIngressRule(rule.peer, rule.port, rule.description);

    const policy = props.statements?.length
      ? [
          new iam.ManagedPolicy(this, 'Policy', {
            description: `${props.name}: what the server needs beyond Systems Manager`,
            statements: [...props.statements],
          }),
        ]
      : [];
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${props.description}: Systems Manager access (no SSH) and its own needs`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
        ...(props.awsManagedPolicies ?? []).map(({ name }) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
        ...policy,
      ],
    });
    const { region } = Stack.of(this);
    const pinned = props.image !== 'current-amazon-linux-2023';
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage:
        props.image === 'current-amazon-linux-2023'
          ? ec2.MachineImage.latestAmazonLinux2023()
          : ec2.MachineImage.genericLinux({ [region]: props.image.pinned }),
      securityGroup: this.securityGroup,
      role: this.role,
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 20, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
      userData: ec2.UserData.custom(props.userData),
      userDataCausesReplacement: false,
    });
    Tags.of(this.instance).add('Name', props.name);
    new route53.ARecord(this, 'DnsRecord', {
      zone: props.internalZone,
      recordName: props.name,
      target: route53.RecordTarget.fromIpAddresses(this.instance.instancePrivateIp),
      ttl: Duration.minutes(5),
    });

    acknowledge(this.instance, {
      id: 'AwsSolutions-EC29',
      reason: pinned
        ? `${props.description}: its state lives outside the instance (the OpsData stack), so a deliberate replacement loses nothing; termination protection would only block that runbook.`
        : `${props.description}: rebuilt from its user data alone (no state of its own), so termination protection would protect nothing.`,
    });
    acknowledge(
      this,
      {
        id: 'CloudFormation-Validate::W3010',
        reason: `${props.description} runs on one pinned subnet on purpose: the document runs one such server, without high availability.`,
      },
      ...(pinned
        ? [
            {
              id: 'CloudFormation-Validate::W9010',
              reason: `The AMI id is pinned in config on purpose: a looked-up image would replace ${props.name} at a routine deploy.`,
            },
          ]
        : []),
    );
    acknowledge(this.role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        "AWS's policy for the Systems Manager agent (Session Manager, Run Command): how operators reach the server without SSH keys or an open port; AWS keeps it in step with the agent.",
    });
    for (const { name, reason } of props.awsManagedPolicies ?? []) {
      acknowledge(this.role, { id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`, reason });
    }
  }
}
