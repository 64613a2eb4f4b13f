import type { Construct } from 'constructs';
import { renderGateway } from '../../assets/gateway/render.ts';
import type { Platform } from '../../config/schema.ts';
import { Gateway } from '../ops/gateway.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { NetworkStack } from './network-stack.ts';

export interface OpsStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
}

/**
 * The operations services that hold no data (document 6): the HAProxy gateways (6.D), one per
 * `gateway.servers` entry. Their public addresses are published under
 * `/<project>/apps/gateways/<name>/public-ip` (the connector's FTP server advertises its gateway's).
 */
export class OpsStack extends PlatformStack {
  readonly gateways: ReadonlyMap<string, Gateway>;

  constructor(scope: Construct, props: OpsStackProps) {
    const { platform, network } = props;
    super(scope, {
      platform,
      kind: 'Ops',
      stateful: false,
      description: 'storestack: HAProxy gateways',
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
        return [server.name, gateway];
      }),
    );
  }
}
