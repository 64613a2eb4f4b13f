import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { allowCloudWatchLogs } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';
import { ConfiguredSubnetCidrs } from './configured-subnet-cidrs.ts';

export type SubnetRole = 'public' | 'private';

export interface PlatformVpcProps {
  readonly network: Platform['network'];
  readonly availabilityZones: readonly string[];
}

/**
 * The one VPC of the document (section G): exactly the configured subnets, an
 * internet gateway, a NAT gateway in each AZ with each private subnet routed
 * through its own, a virtual private gateway for the site-to-site VPNs, and flow
 * logs kept in an encrypted log group.
 */
export class PlatformVpc extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;
  private readonly network: Platform['network'];

  constructor(scope: Construct, id: string, props: PlatformVpcProps) {
    super(scope, id);
    this.network = props.network;
    const { network } = props;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: new ConfiguredSubnetCidrs(network.vpcCidr, {
        [ec2.SubnetType.PUBLIC]: network.publicSubnets,
        [ec2.SubnetType.PRIVATE_WITH_EGRESS]: network.privateSubnets,
      }),
      availabilityZones: [...props.availabilityZones],
      subnetConfiguration: [
        // Instances that need a public address (OpenVPN, gateways) get an Elastic IP, never an automatic one.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      natGateways: props.availabilityZones.length,
      restrictDefaultSecurityGroup: true,
      vpnGateway: true,
      vpnGatewayAsn: network.vpn.amazonSideAsn,
      vpnRoutePropagation: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
    });

    const key = new kms.Key(this, 'FlowLogKey', {
      description: 'Encrypts the VPC flow logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowCloudWatchLogs(key);
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      retention: network.flowLogs.retentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, this.flowLogRole()),
      trafficType: ec2.FlowLogTrafficType[network.flowLogs.trafficType],
    });

    acknowledge(this.vpc, {
      id: 'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
      reason:
        'Only the public subnets route 0.0.0.0/0 to the internet gateway: they hold what the document exposes (NAT gateways, ALBs, OpenVPN, the HAProxy gateways), each behind its own security group. Private subnets route through their NAT gateway.',
    });
  }

  /**
   * The role the flow log service writes with. Its permissions are a customer
   * managed policy rather than the inline policy CDK's grants would add (PCI DSS
   * 7.1.2: no inline policies), so grants against it are not recorded.
   */
  private flowLogRole(): iam.IRole {
    const role = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: 'Writes the VPC flow logs',
    });
    role.addManagedPolicy(
      new iam.ManagedPolicy(this, 'FlowLogWritePolicy', {
        description: 'Lets VPC Flow Logs write into the flow log group',
        statements: [
          new iam.PolicyStatement({
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            resources: [this.flowLogGroup.logGroupArn],
          }),
        ],
      }),
    );
    return role.withoutPolicyUpdates();
  }

  /** The subnets of a role, in the configured order. */
  subnets(role: SubnetRole): ec2.ISubnet[] {
    const configured = role === 'public' ? this.network.publicSubnets : this.network.privateSubnets;
    const created = role === 'public' ? this.vpc.publicSubnets : this.vpc.privateSubnets;
    return configured.map(({ az }) => {
      const subnet = created.find((candidate) => candidate.availabilityZone === az);
      if (!subnet) throw new Error(`no ${role} subnet in ${az}`);
      return subnet;
    });
  }

  /** The subnet of a role in one AZ. */
  subnet(role: SubnetRole, az: string): ec2.ISubnet {
    const subnet = this.subnets(role).find((candidate) => candidate.availabilityZone === az);
    if (!subnet)
      throw new Error(`no ${role} subnet in ${az}; configured AZs: ${this.vpc.availabilityZones.join(', ')}`);
    return subnet;
  }

  /**
   * Where instances that need no high availability go: by the document's convention,
   * the first subnet of the role (10.0.1.0/24 or 10.0.101.0/24 in the sample).
   */
  nonHaPlacement(role: SubnetRole): ec2.SubnetSelection {
    const [first] = this.subnets(role);
    return { subnets: [first as ec2.ISubnet] };
  }
}
