import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { SubnetConfig } from '../../config/schema.ts';

/**
 * Gives the VPC exactly the configured subnet blocks instead of CDK's sequential
 * allocation (which would start at 10.0.0.0/24): the document fixes the subnets'
 * addresses, and the client's VPN peers route to them.
 */
export class ConfiguredSubnetCidrs implements ec2.IIpAddresses {
  constructor(
    private readonly vpcCidr: string,
    private readonly subnets: Readonly<
      Record<ec2.SubnetType.PUBLIC | ec2.SubnetType.PRIVATE_WITH_EGRESS, readonly SubnetConfig[]>
    >,
  ) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.vpcCidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    return {
      allocatedSubnets: input.requestedSubnets.map((request) => {
        const type = request.configuration.subnetType as keyof typeof this.subnets;
        const subnet = this.subnets[type]?.find((candidate) => candidate.az === request.availabilityZone);
        if (!subnet) {
          throw new Error(
            `no ${request.configuration.subnetType} subnet configured in ${request.availabilityZone} (network.*Subnets)`,
          );
        }
        return { cidr: subnet.cidr };
      }),
    };
  }
}
