import { Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { VpnPeer } from '../../config/schema.ts';

export interface SiteToSiteVpnsProps {
  /** A VPC with a virtual private gateway. */
  readonly vpc: ec2.Vpc;
  readonly peers: readonly VpnPeer[];
  /** Prefix of the connections' Name tags: `<prefix>-<peer>`, as the console lists them. */
  readonly namePrefix: string;
}

/** One of the document's IPSec links, with the peer it connects. */
export interface SiteToSiteVpn {
  readonly peer: VpnPeer;
  readonly connection: ec2.VpnConnection;
}

/**
 * The document's three IPSec links to the client's sites: a customer gateway and
 * a VPN connection per peer, with static routes or BGP as configured. The routes
 * reach the private route tables through the gateway's route propagation.
 */
export class SiteToSiteVpns extends Construct {
  readonly connections: readonly SiteToSiteVpn[];

  constructor(scope: Construct, id: string, props: SiteToSiteVpnsProps) {
    super(scope, id);
    if (!props.vpc.vpnGatewayId) {
      throw new Error(`${this.node.path}: the VPC has no virtual private gateway (vpnGateway: true)`);
    }
    this.connections = props.peers.map((peer) => {
      // The peer's name is its identity: renaming a peer replaces its connection, as it should.
      const connection = new ec2.VpnConnection(this, peer.name, {
        vpc: props.vpc,
        ip: peer.publicIp,
        ...(peer.routing.type === 'static' ? { staticRoutes: [...peer.routing.cidrs] } : { asn: peer.routing.asn }),
      });
      Tags.of(connection).add('Name', `${props.namePrefix}-${peer.name}`);
      return { peer, connection };
    });
  }
}
