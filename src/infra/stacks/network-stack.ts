import { Fn } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { natAddressesParameter } from '../../config/names.ts';
import type { Platform } from '../../config/schema.ts';
import { EbsEncryptionByDefault } from '../account/ebs-encryption-by-default.ts';
import { ConsumerSecurityGroups } from '../network/consumer-security-groups.ts';
import { PlatformVpc } from '../network/platform-vpc.ts';
import { SiteToSiteVpns } from '../network/site-to-site-vpns.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';

export interface NetworkStackProps {
  readonly platform: Platform;
}

/**
 * Document section G and the internal half of 7.H: the VPC, its VPNs and the private
 * zone; and the security groups that identify the data tier's consumers.
 */
export class NetworkStack extends PlatformStack {
  readonly network: PlatformVpc;
  readonly vpns: SiteToSiteVpns;
  readonly internalZone: route53.PrivateHostedZone;
  readonly consumers: ConsumerSecurityGroups;
  /** The account and region encrypt every new EBS volume: what Beanstalk's root volumes rely on. */
  readonly ebsEncryption: EbsEncryptionByDefault;

  constructor(scope: Construct, props: NetworkStackProps) {
    const { platform } = props;
    super(scope, {
      platform,
      kind: 'Network',
      stateful: true,
      description:
        'storestack: VPC, subnets, NAT gateways, site-to-site VPNs, flow logs, internal DNS zone, EBS encryption by default',
    });
    this.network = new PlatformVpc(this, 'Network', {
      network: platform.network,
      availabilityZones: platform.aws.availabilityZones,
    });
    this.vpns = new SiteToSiteVpns(this, 'SiteToSiteVpns', {
      vpc: this.network.vpc,
      peers: platform.network.vpn.connections,
      namePrefix: platform.client.name,
    });
    this.internalZone = new route53.PrivateHostedZone(this, 'InternalZone', {
      zoneName: platform.domains.internal,
      vpc: this.network.vpc,
      comment: 'Internal names (nfs, rundeck, windows, ...), answered only inside the VPC',
    });
    this.consumers = new ConsumerSecurityGroups(this, 'Consumers', {
      vpc: this.network.vpc,
      environments: platform.environments.map((environment) => environment.name),
      namePrefix: platform.client.name,
    });
    // Account-wide, so in the stack every other one follows (the document's volumes are encrypted).
    this.ebsEncryption = new EbsEncryptionByDefault(this, 'EbsEncryptionByDefault');
    // Where instances register their own internal names (the connector, for its gateway).
    const shared = new PublishedParameters(this, 'SharedParameters', `/${platform.project}/shared`);
    shared.publish('internal-zone-id', this.internalZone.hostedZoneId, 'The internal hosted zone');
    // The releases' maintenance rules exempt the NAT gateways' addresses (Rundeck and the smoke
    // test reach the store through them).
    const natAddresses = this.network.vpc.publicSubnets.map((subnet) => {
      const eip = subnet.node.tryFindChild('EIP') as ec2.CfnEIP | undefined;
      if (!eip) throw new Error(`${subnet.node.path}: no NAT gateway address`);
      return eip.ref;
    });
    shared.publish(
      natAddressesParameter(platform).slice(`/${platform.project}/shared/`.length),
      Fn.join(',', natAddresses),
      "The NAT gateways' public addresses, comma-separated",
    );
  }
}
