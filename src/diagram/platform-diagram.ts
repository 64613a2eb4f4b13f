// "Magento Production" of the hosting document, drawn from the synthesized templates: the
// VPC with its availability zones and subnets, what runs in each, the load balancers and
// their routing, the data tier with its standbys and replicas, the VPNs, the gateways and
// the ports they forward, CloudFront and the S3 buckets.
import { releaseArtifactsParameter } from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import { type Assembly, type AssemblyResource, tag, text } from './assembly.ts';
import { DiagramBuilder, lines, wrap } from './builder.ts';
import { capacity, type InstanceRole, ruleLabel, same } from './facts.ts';
import { type Diagram, type NodeKind, resourceId, sourceOf } from './graph.ts';

export function platformDiagram(assembly: Assembly, platform: Platform): Diagram {
  return new PlatformDiagramBuilder(assembly, platform).build();
}

const INSTANCE_KINDS: Record<InstanceRole, NodeKind> = {
  openvpn: 'openvpn',
  gateway: 'gateway',
  rundeck: 'rundeck',
  ansible: 'ansible',
  phpmyadmin: 'phpmyadmin',
  'windows-host': 'windows-host',
  'nfs-server': 'nfs-server',
};

const INSTANCE_TITLES: Record<InstanceRole, string> = {
  openvpn: 'OpenVPN',
  gateway: 'HAProxy gateway',
  rundeck: 'Rundeck',
  ansible: 'Ansible',
  phpmyadmin: 'phpMyAdmin',
  'windows-host': 'Windows server',
  'nfs-server': 'NFS server',
};

class PlatformDiagramBuilder extends DiagramBuilder {
  private readonly subnetGroups = new Map<string, string>();
  private readonly pendingForwards: { from: string; to: AssemblyResource }[] = [];
  private spanning = '';
  private internet = '';

  constructor(
    assembly: Assembly,
    private readonly platform: Platform,
  ) {
    super(assembly, 'platform', `${platform.client.name}: the platform (storestack)`);
  }

  build(): Diagram {
    this.network();
    this.vpns();
    this.instances();
    this.dataTier();
    this.loadBalancersAndEnvironments();
    this.edge();
    this.buckets();
    this.releasePath();
    return this.diagram;
  }

  private network(): void {
    const [vpc] = this.assembly.ofType('AWS::EC2::VPC');
    if (!vpc) throw new Error('the templates hold no VPC: is this the storestack platform?');
    const subnets = this.assembly.ofType('AWS::EC2::Subnet');
    const zones = [...new Set(subnets.map((subnet) => text(subnet, 'AvailabilityZone') ?? ''))].sort();
    const region = zones[0]?.replace(/[a-z]$/, '') ?? '';

    const [gateway] = this.assembly.ofType('AWS::EC2::InternetGateway');
    this.internet = gateway
      ? this.add(gateway, 'internet', ['Internet', 'users, staff, partners'])
      : this.diagram.addNode({ id: 'internet', kind: 'internet', label: ['Internet'], source: 'internet' });

    const regionGroup = this.diagram.addGroup({ id: 'region', kind: 'region', label: `AWS ${region}` });
    const vpcGroup = this.diagram.addGroup({
      id: resourceId(vpc.stack, vpc.logicalId),
      kind: 'vpc',
      label: `VPC ${text(vpc, 'CidrBlock') ?? ''}`,
      parent: regionGroup,
      source: sourceOf(vpc),
    });
    this.drawnAs(vpc, vpcGroup);
    // Subnets side by side by role; each names its availability zone (a frame per zone
    // would have to cut across the load balancers and environments that span all three).
    for (const role of ['Public', 'Private']) {
      const roleGroup = this.diagram.addGroup({
        id: `subnets-${role.toLowerCase()}`,
        kind: 'subnets',
        label: `${role.toLowerCase()} subnets`,
        parent: vpcGroup,
      });
      for (const zone of zones) {
        for (const subnet of subnets.filter(
          (candidate) =>
            text(candidate, 'AvailabilityZone') === zone &&
            (tag(candidate, 'aws-cdk:subnet-type') ?? 'Private') === role,
        )) {
          const id = this.diagram.addGroup({
            id: resourceId(subnet.stack, subnet.logicalId),
            kind: role === 'Public' ? 'public-subnet' : 'private-subnet',
            label: `${zone} ${text(subnet, 'CidrBlock') ?? ''}`,
            parent: roleGroup,
            source: sourceOf(subnet),
          });
          this.subnetGroups.set(sourceOf(subnet), id);
        }
      }
    }
    this.spanning = this.diagram.addGroup({
      id: 'spanning',
      kind: 'spanning',
      label: `across ${zones.join(', ')}`,
      parent: vpcGroup,
    });

    for (const nat of this.assembly.ofType('AWS::EC2::NatGateway')) {
      const subnet = this.assembly.referenced(nat.stack, nat.properties.SubnetId);
      this.add(nat, 'nat-gateway', ['NAT gateway'], this.subnetGroupOf(subnet));
    }
    // Each private subnet's route table, its default route to a NAT gateway.
    for (const route of this.assembly.ofType('AWS::EC2::Route')) {
      const nat = this.drawnOf(this.assembly.referenced(route.stack, route.properties.NatGatewayId));
      const table = this.assembly.referenced(route.stack, route.properties.RouteTableId);
      if (!nat || !table) continue;
      for (const association of this.assembly.ofType('AWS::EC2::SubnetRouteTableAssociation', route.stack)) {
        const associated = this.assembly.referenced(association.stack, association.properties.RouteTableId);
        const group = this.subnetGroupOf(this.assembly.referenced(association.stack, association.properties.SubnetId));
        if (!associated || !same(associated, table) || !group || this.drawnOf(table)) continue;
        const node = this.add(
          table,
          'route-table',
          ['route table', `${text(route, 'DestinationCidrBlock')} to NAT`],
          group,
        );
        this.diagram.addEdge({ from: node, to: nat, kind: 'egress' });
      }
    }
  }

  private subnetGroupOf(subnet: AssemblyResource | undefined): string | undefined {
    return subnet ? this.subnetGroups.get(sourceOf(subnet)) : undefined;
  }

  private vpns(): void {
    const [vpnGateway] = this.assembly.ofType('AWS::EC2::VPNGateway');
    const vpcGroup = this.diagram.groupsOf('vpc')[0]?.id;
    const gatewayNode = vpnGateway
      ? this.add(
          vpnGateway,
          'vpn-gateway',
          ['VPN gateway', `ASN ${vpnGateway.properties.AmazonSideAsn ?? ''}`],
          vpcGroup,
        )
      : undefined;
    for (const connection of this.assembly.ofType('AWS::EC2::VPNConnection')) {
      const customer = this.assembly.referenced(connection.stack, connection.properties.CustomerGatewayId);
      const routes = this.assembly
        .ofType('AWS::EC2::VPNConnectionRoute')
        .filter((route) => {
          const target = this.assembly.referenced(route.stack, route.properties.VpnConnectionId);
          return target !== undefined && same(target, connection);
        })
        .map((route) => text(route, 'DestinationCidrBlock') ?? '');
      const routing =
        connection.properties.StaticRoutesOnly === true
          ? `static ${routes.join(', ')}`
          : `BGP ASN ${customer?.properties.BgpAsn ?? ''}`;
      const name = tag(connection) ?? connection.logicalId;
      const node = this.add(connection, 'vpn-connection', [`${name} site-to-site VPN`, routing]);
      if (customer) {
        const site = this.add(customer, 'customer-site', [name, `${text(customer, 'IpAddress') ?? ''}`]);
        this.diagram.addEdge({ from: site, to: node, kind: 'vpn', label: 'IPsec' });
      }
      if (gatewayNode) this.diagram.addEdge({ from: node, to: gatewayNode, kind: 'vpn' });
    }
  }

  private instances(): void {
    for (const instance of this.assembly.ofType('AWS::EC2::Instance')) {
      const role = this.facts.instanceRole(instance);
      const kind = role ? INSTANCE_KINDS[role] : 'instance';
      const [dnsName] = this.facts.dnsNames(instance);
      const title = role ? INSTANCE_TITLES[role] : (tag(instance) ?? instance.logicalId);
      const label = [
        dnsName ?? tag(instance) ?? instance.logicalId,
        `${title} (${text(instance, 'InstanceType') ?? ''})`,
      ];
      const node = this.add(instance, kind, label, this.subnetGroupOf(this.facts.subnetOf(instance)) ?? this.spanning);
      if (role === 'openvpn' || role === 'gateway') {
        this.diagram.addEdge({
          from: this.internet,
          to: node,
          kind: 'forward',
          label: lines(this.facts.ingressPorts(instance), 3),
        });
      }
    }
    // The gateways' backends, once every instance is drawn.
    for (const instance of this.assembly.ofType('AWS::EC2::Instance')) {
      if (this.facts.instanceRole(instance) !== 'gateway') continue;
      const backend = this.facts.gatewayBackend(instance, this.platform.domains.internal);
      const from = this.drawnOf(instance);
      if (backend && from) this.pendingForwards.push({ from, to: backend });
    }
  }

  private dataTier(): void {
    for (const database of this.assembly.ofType('AWS::RDS::DBInstance')) this.drawDatabase(database, this.spanning);
    for (const fileSystem of this.assembly.ofType('AWS::EFS::FileSystem'))
      this.drawFileSystem(fileSystem, this.spanning);
    // A Redis node is in its preferred availability zone's private subnet.
    const privateSubnetIn = (zone: string | undefined) =>
      this.diagram
        .groupsOf('private-subnet')
        .find((subnet) => zone !== undefined && subnet.label.startsWith(`${zone} `))?.id ?? this.spanning;
    for (const group of this.assembly.ofType('AWS::ElastiCache::ReplicationGroup'))
      this.drawRedis(group, privateSubnetIn);
    for (const domain of this.assembly.ofType('AWS::OpenSearchService::Domain')) this.drawSearch(domain, this.spanning);
    // The instances the data tier lets in directly (phpMyAdmin, the administrators' way in).
    for (const { client, service, label } of this.facts.instanceClientsOfData()) {
      const from = this.drawnOf(client);
      const to = this.drawnOf(service);
      if (from && to) this.diagram.addEdge({ from, to, kind: 'data', label });
    }
  }

  private loadBalancersAndEnvironments(): void {
    const environments = this.facts.environments();
    for (const loadBalancer of this.assembly.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      const served = environments.filter(
        (environment) => environment.loadBalancer && same(environment.loadBalancer, loadBalancer),
      );
      const hosts = [...new Set(served.flatMap((environment) => environment.rules.flatMap((rule) => rule.hosts)))];
      const node = this.add(
        loadBalancer,
        'load-balancer',
        ['Application Load Balancer', ...wrap(hosts, 2)],
        this.spanning,
      );
      this.diagram.addEdge({
        from: this.internet,
        to: node,
        kind: 'request',
        label: this.facts.listenersOf(loadBalancer),
      });
    }

    // One frame per environment's Magento pair (and one for the satellite apps).
    const frames = new Map<string, string>();
    for (const environment of environments) {
      const frameName = environment.app
        ? 'satellite applications'
        : `Magento ${environment.parameterPath?.split('/')[2] ?? ''}`;
      let frame = frames.get(frameName);
      if (!frame) {
        frame = this.diagram.addGroup({
          id: `frame-${frameName.replace(/\W+/g, '-')}`,
          kind: 'environment',
          label: frameName,
          parent: this.spanning,
        });
        frames.set(frameName, frame);
      }
      const node = this.add(
        environment.resource,
        'beanstalk-environment',
        [environment.name, `Beanstalk ${capacity(environment)}`],
        frame,
      );
      const loadBalancer = this.drawnOf(environment.loadBalancer);
      if (loadBalancer) {
        this.diagram.addEdge({
          from: loadBalancer,
          to: node,
          kind: 'route',
          label: ruleLabel(environment, environments),
        });
      }
    }

    for (const { from, to } of this.pendingForwards) {
      const target = this.drawnOf(to);
      if (target) this.diagram.addEdge({ from, to: target, kind: 'forward' });
    }

    // What each frame's instances are given: shares, database, caches, search (once per frame).
    for (const frame of frames.values()) {
      const members = environments.filter((environment) =>
        this.diagram.nodesWithin(frame).some((node) => node.source === sourceOf(environment.resource)),
      );
      const linked = new Set<string>();
      const link = (target: string | undefined, kind: 'mount' | 'data', label: string) => {
        if (!target || linked.has(`${target}:${label}`)) return;
        linked.add(`${target}:${label}`);
        this.diagram.addEdge({ from: frame, to: target, kind, label });
      };
      for (const environment of members) {
        const shares = this.facts.sharesOf(environment);
        for (const server of new Set(shares.map((share) => this.drawnOf(share.server)))) {
          const names = shares.filter((share) => this.drawnOf(share.server) === server).map((share) => share.name);
          link(server, 'mount', lines(names, 2));
        }
        for (const service of this.facts.servicesOf(environment))
          link(this.drawnOf(service.resource), 'data', service.label);
      }
    }
  }

  private edge(): void {
    const edgeGroup = this.diagram.addGroup({ id: 'edge', kind: 'edge', label: 'CloudFront (global)' });
    const environments = this.facts.environments();
    for (const { resource, aliases, origins } of this.facts.distributions()) {
      const node = this.add(
        resource,
        'cloudfront',
        [aliases.join(', ') || resource.logicalId, 'CloudFront distribution'],
        edgeGroup,
      );
      this.diagram.addEdge({ from: this.internet, to: node, kind: 'request', label: 'HTTPS' });
      for (const { host, path } of origins) {
        const serving = environments.find((environment) => environment.rules.some((rule) => rule.hosts.includes(host)));
        const target = this.drawnOf(serving?.loadBalancer);
        if (target) this.diagram.addEdge({ from: node, to: target, kind: 'route', label: `${host}${path}` });
      }
    }
  }

  private buckets(): void {
    const regional = this.diagram.addGroup({ id: 'buckets', kind: 'regional', label: 'S3 buckets', parent: 'region' });
    for (const bucket of this.assembly.ofType('AWS::S3::Bucket')) {
      this.add(bucket, 'bucket', [text(bucket, 'BucketName') ?? bucket.logicalId], regional);
    }
  }

  /** Rundeck builds releases into the artifact bucket (the parameter the CLI reads names it). */
  private releasePath(): void {
    const bucket = this.facts.parameterTarget(releaseArtifactsParameter(this.platform));
    const from = this.drawnOf(this.facts.rundeck());
    const to = this.drawnOf(bucket);
    if (from && to) this.diagram.addEdge({ from, to, kind: 'release', label: 'release zips' });
  }
}
