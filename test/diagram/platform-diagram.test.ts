import { beforeAll, describe, expect, it } from 'vitest';
import type { Assembly } from '../../src/diagram/assembly.ts';
import { environmentDiagram } from '../../src/diagram/environment-diagram.ts';
import type { Diagram, DiagramNode, NodeKind } from '../../src/diagram/graph.ts';
import { platformDiagram } from '../../src/diagram/platform-diagram.ts';
import { platformWith, samplePlatform } from '../support.ts';
import { synthesizedAssembly } from './support.ts';

function labelled(diagram: Diagram, kind: NodeKind): string[] {
  return diagram.nodesOf(kind).map((node) => node.label.join(' / '));
}

function nodeLabelled(diagram: Diagram, kind: NodeKind, first: string): DiagramNode {
  const node = diagram.nodesOf(kind).find((candidate) => candidate.label[0] === first);
  if (!node) throw new Error(`no ${kind} node labelled ${first}: ${labelled(diagram, kind).join('; ')}`);
  return node;
}

/** Edges as `from-label -> to-label [label]`, with a group's label for a group end. */
function edgesOf(diagram: Diagram, kind?: string): string[] {
  const name = (id: string) => diagram.node(id)?.label[0] ?? diagram.group(id)?.label ?? id;
  return diagram.edges
    .filter((edge) => kind === undefined || edge.kind === kind)
    .map((edge) => `${name(edge.from)} -> ${name(edge.to)}${edge.label ? ` [${edge.label}]` : ''}`);
}

/** No hand-drawn node: every node's source is a resource of the templates. */
function expectEveryNodeFromTheTemplates(diagram: Diagram, assembly: Assembly): void {
  for (const node of diagram.nodes) {
    const [stack = '', logicalId = ''] = node.source.split('/');
    expect(assembly.resource(stack, logicalId), `${node.id} (${node.source})`).toBeDefined();
  }
}

describe('the platform diagram (document: "Magento Production")', () => {
  let assembly: Assembly;
  let diagram: Diagram;
  beforeAll(() => {
    assembly = synthesizedAssembly(samplePlatform());
    diagram = platformDiagram(assembly, samplePlatform());
  });

  it('draws only resources of the templates', () => {
    expectEveryNodeFromTheTemplates(diagram, assembly);
    for (const group of diagram.groups.filter((candidate) => candidate.source)) {
      const [stack = '', logicalId = ''] = (group.source ?? '').split('/');
      expect(assembly.resource(stack, logicalId), group.id).toBeDefined();
    }
  });

  it('frames the VPC, its public and private subnet in each of the three AZs, a NAT gateway in each public one', () => {
    expect(diagram.groupsOf('vpc').map((group) => group.label)).toEqual(['VPC 10.0.0.0/16']);
    expect(diagram.groupsOf('public-subnet').map((group) => group.label)).toEqual([
      'eu-west-3a 10.0.1.0/24',
      'eu-west-3b 10.0.2.0/24',
      'eu-west-3c 10.0.3.0/24',
    ]);
    expect(diagram.groupsOf('private-subnet').map((group) => group.label)).toEqual([
      'eu-west-3a 10.0.101.0/24',
      'eu-west-3b 10.0.102.0/24',
      'eu-west-3c 10.0.103.0/24',
    ]);
    const nats = diagram.nodesOf('nat-gateway');
    expect(nats.map((nat) => diagram.group(nat.group ?? '')?.kind)).toEqual([
      'public-subnet',
      'public-subnet',
      'public-subnet',
    ]);
    expect(new Set(nats.map((nat) => nat.group)).size).toBe(3);
    // Each private subnet's route table sends 0.0.0.0/0 to a NAT gateway.
    expect(labelled(diagram, 'route-table')).toEqual([
      'route table / 0.0.0.0/0 to NAT',
      'route table / 0.0.0.0/0 to NAT',
      'route table / 0.0.0.0/0 to NAT',
    ]);
    const egress = diagram.edges.filter((edge) => edge.kind === 'egress');
    expect(egress.map((edge) => diagram.group(diagram.node(edge.from)?.group ?? '')?.kind)).toEqual([
      'private-subnet',
      'private-subnet',
      'private-subnet',
    ]);
    // Each to the NAT gateway of its own zone.
    expect(
      egress.map((edge) =>
        [edge.from, edge.to].map((id) => diagram.group(diagram.node(id)?.group ?? '')?.label.split(' ')[0]),
      ),
    ).toEqual([
      ['eu-west-3a', 'eu-west-3a'],
      ['eu-west-3b', 'eu-west-3b'],
      ['eu-west-3c', 'eu-west-3c'],
    ]);
  });

  it('draws the three site-to-site VPNs from their sites to the VPN gateway, and the OpenVPN entry', () => {
    expect(labelled(diagram, 'vpn-connection')).toEqual([
      'client-Lan site-to-site VPN / static 192.168.10.0/24',
      'client-Ml site-to-site VPN / static 192.168.20.0/24',
      'client-Cetsi site-to-site VPN / BGP ASN 65010',
    ]);
    expect(labelled(diagram, 'customer-site')).toEqual([
      'client-Lan / 203.0.113.10',
      'client-Ml / 198.51.100.20',
      'client-Cetsi / 192.0.2.30',
    ]);
    expect(edgesOf(diagram, 'vpn')).toContain('client-Cetsi site-to-site VPN -> VPN gateway');
    expect(edgesOf(diagram, 'vpn')).toContain('client-Cetsi -> client-Cetsi site-to-site VPN [IPsec]');
    expect(labelled(diagram, 'openvpn')).toEqual(['vpn.internal-client.url / OpenVPN (t3.small)']);
    expect(edgesOf(diagram, 'forward')).toContain('Internet -> vpn.internal-client.url [UDP 1194]');
  });

  it('draws the gateways with the ports they forward and where they forward them', () => {
    const forwards = edgesOf(diagram, 'forward');
    expect(forwards).toContain(
      'Internet -> gateway-windows.internal-client.url [smb 445, custom-app 8700-8800, rdp 3389\nftp 21, ftp-passive-low 2048-3388, ftp-passive-high 3390-4096]',
    );
    expect(forwards).toContain('Internet -> gateway-ftp.internal-client.url [ftp 21, ftp-passive 2048-4096]');
    expect(forwards).toContain('gateway-windows.internal-client.url -> windows.internal-client.url');
    expect(forwards).toContain('gateway-ftp.internal-client.url -> client-connector');
  });

  it('draws the load balancers and routes /backend/* to the back office, the rest to the front end', () => {
    expect(labelled(diagram, 'load-balancer')).toEqual([
      'Application Load Balancer / pim.client.url, connector.client.url / mirakl.client.url',
      'Application Load Balancer / preprod.client.url',
      'Application Load Balancer / client.url, www.client.url / origin.client.url',
    ]);
    const routes = edgesOf(diagram, 'route');
    expect(routes.filter((route) => route.includes('client-prod-'))).toEqual([
      'Application Load Balancer -> client-prod-backoffice [/backend/*]',
      'Application Load Balancer -> client-prod-frontend [all other paths]',
    ]);
    expect(routes).toContain('Application Load Balancer -> client-pim [pim.client.url]');
  });

  it('draws every Beanstalk environment with its capacity: the front end ×4, the back office, PIM, connector, Mirakl', () => {
    expect(labelled(diagram, 'beanstalk-environment').sort()).toEqual([
      'client-connector / Beanstalk 1 × t3.medium',
      'client-mirakl / Beanstalk 1 × t3.small',
      'client-pim / Beanstalk 1 × t3.medium',
      'client-preprod-backoffice / Beanstalk 1 × t3.large',
      'client-preprod-frontend / Beanstalk 1 × t3.large',
      'client-prod-backoffice / Beanstalk 1 × m7i.xlarge',
      'client-prod-frontend / Beanstalk 4 × c7i.xlarge',
    ]);
  });

  it('draws the NFS server and the shares each environment mounts from it', () => {
    expect(labelled(diagram, 'nfs-server')).toEqual(['nfs.internal-client.url / NFS server (m7i.large)']);
    expect(diagram.nodesOf('efs')).toEqual([]);
    const mounts = edgesOf(diagram, 'mount');
    expect(mounts).toContain(
      'Magento prod -> nfs.internal-client.url [client-media, magento-statics\nmagento-client, magento-sitemap]',
    );
    expect(mounts).toContain('satellite applications -> nfs.internal-client.url [connector]');
  });

  it('draws RDS with its standby and Redis with its replica in another AZ, linked by replication', () => {
    expect(labelled(diagram, 'database')).toContain('client-magento-prod / RDS MySQL primary (db.r7i.4xlarge)');
    expect(labelled(diagram, 'database-standby')).toEqual(['client-magento-prod / standby in another AZ']);
    const replication = edgesOf(diagram, 'replication');
    expect(replication).toContain('client-magento-prod -> client-magento-prod [synchronous]');
    expect(replication).toContain('client-prod-cache -> client-prod-cache [replication]');
    expect(replication).toContain('client-prod-sessions -> client-prod-sessions [replication]');
    const zoneOf = (node: DiagramNode) => diagram.group(node.group ?? '')?.label.split(' ')[0];
    const primary = nodeLabelled(diagram, 'redis-primary', 'client-prod-cache');
    const replica = nodeLabelled(diagram, 'redis-replica', 'client-prod-cache');
    expect([zoneOf(primary), zoneOf(replica)]).toEqual(['eu-west-3a', 'eu-west-3b']);
    // Pre-production has no replica (replicasPerGroup 0) and no standby (single-AZ).
    expect(labelled(diagram, 'redis-replica').filter((label) => label.includes('preprod'))).toEqual([]);
    expect(labelled(diagram, 'database-standby').filter((label) => label.includes('preprod'))).toEqual([]);
  });

  it('links each environment to its database, caches and search, and phpMyAdmin to every database', () => {
    const data = edgesOf(diagram, 'data');
    expect(data).toEqual(
      expect.arrayContaining([
        'Magento prod -> client-magento-prod [database]',
        'Magento prod -> client-prod-cache [cache]',
        'Magento prod -> client-prod-sessions [sessions]',
        'Magento prod -> OpenSearch prod [opensearch]',
        'satellite applications -> client-apps [database]',
        'phpmyadmin.internal-client.url -> client-magento-prod [MySQL 3306]',
        'phpmyadmin.internal-client.url -> client-apps [MySQL 3306]',
      ]),
    );
  });

  it('draws the Windows host, Rundeck, Ansible and phpMyAdmin in the first private subnet', () => {
    for (const [kind, label] of [
      ['windows-host', 'windows.internal-client.url / Windows server (m6i.xlarge)'],
      ['rundeck', 'rundeck.internal-client.url / Rundeck (t3.large)'],
      ['ansible', 'ansible.internal-client.url / Ansible (t3.small)'],
      ['phpmyadmin', 'phpmyadmin.internal-client.url / phpMyAdmin (t3.small)'],
    ] as const) {
      expect(labelled(diagram, kind)).toEqual([label]);
      expect(diagram.group(diagram.nodesOf(kind)[0]?.group ?? '')?.label).toBe('eu-west-3a 10.0.101.0/24');
    }
  });

  it('draws CloudFront media and static with their origin paths, the S3 buckets and the internet edge', () => {
    expect(labelled(diagram, 'cloudfront').sort()).toEqual([
      'media.client.url / CloudFront distribution',
      'static.client.url / CloudFront distribution',
    ]);
    const routes = edgesOf(diagram, 'route');
    expect(routes).toContain('media.client.url -> Application Load Balancer [origin.client.url/pub/media]');
    expect(routes).toContain('static.client.url -> Application Load Balancer [origin.client.url/pub/static]');
    expect(labelled(diagram, 'bucket').sort()).toEqual([
      'client-billing',
      'client-cloudfront-logs',
      'client-magento-config',
      'client-magento-elb-logs',
      'client-openvpn-pki',
      'client-release-artifacts',
      'client-s3-access-logs',
      'client-temp-storage',
    ]);
    expect(labelled(diagram, 'internet')).toEqual(['Internet / users, staff, partners']);
    expect(edgesOf(diagram, 'request')).toContain('Internet -> Application Load Balancer [HTTPS 443, HTTP 80]');
    expect(edgesOf(diagram, 'release')).toEqual([
      'rundeck.internal-client.url -> client-release-artifacts [release zips]',
    ]);
  });
});

describe('the Magento environment diagram (document: "Magento Environment")', () => {
  let assembly: Assembly;
  let diagram: Diagram;
  beforeAll(() => {
    assembly = synthesizedAssembly(samplePlatform());
    diagram = environmentDiagram(assembly, samplePlatform(), 'prod');
  });

  it('draws only resources of the templates', () => {
    expectEveryNodeFromTheTemplates(diagram, assembly);
  });

  it('follows a request from the users through CloudFront and the ALB rules to the instances', () => {
    expect(edgesOf(diagram, 'request')).toEqual([
      'Users -> Application Load Balancer [HTTPS 443, HTTP 80]',
      'Users -> media.client.url [HTTPS]',
      'Users -> static.client.url [HTTPS]',
    ]);
    expect(labelled(diagram, 'cloudfront')).toEqual([
      'media.client.url / origin path /pub/media',
      'static.client.url / origin path /pub/static',
    ]);
    expect(edgesOf(diagram, 'route')).toEqual([
      'media.client.url -> Application Load Balancer [origin.client.url/pub/media]',
      'static.client.url -> Application Load Balancer [origin.client.url/pub/static]',
      'Application Load Balancer -> /backend/*',
      '/backend/* -> client-prod-backoffice (Beanstalk, 1 × m7i.xlarge)',
      'Application Load Balancer -> all other paths',
      'all other paths -> client-prod-frontend (Beanstalk, 4 × c7i.xlarge)',
    ]);
  });

  it('draws each instance: four front ends and one back office', () => {
    const instances = (environment: string) =>
      diagram.nodesOf('instance').filter((node) => diagram.group(node.group ?? '')?.label.startsWith(environment));
    expect(instances('client-prod-frontend').map((node) => node.label[0])).toEqual([
      'frontend 1',
      'frontend 2',
      'frontend 3',
      'frontend 4',
    ]);
    expect(instances('client-prod-backoffice').map((node) => node.label[0])).toEqual(['backOffice 1']);
  });

  it('mounts the four NFS shares at the document mount points', () => {
    expect(diagram.groupsOf('file-server').map((group) => group.label)).toEqual([
      'nfs.internal-client.url (NFS server)',
    ]);
    expect(edgesOf(diagram, 'mount')).toEqual([
      'Magento prod instances (private subnets) -> client-media [/var/app/current/pub/media]',
      'Magento prod instances (private subnets) -> magento-statics [/var/app/current/pub/static]',
      'Magento prod instances (private subnets) -> magento-client [/var/app/current/client]',
      'Magento prod instances (private subnets) -> magento-sitemap [/var/app/current/sitemap]',
    ]);
    expect(labelled(diagram, 'nfs-share')).toContain('client-media / /exports/prod/client-media');
  });

  it('links the instances to RDS, Redis, OpenSearch, Secrets Manager and the artifact bucket', () => {
    expect(edgesOf(diagram, 'data')).toEqual([
      'Magento prod instances (private subnets) -> client-magento-prod [database]',
      'Magento prod instances (private subnets) -> client-prod-cache [cache]',
      'Magento prod instances (private subnets) -> client-prod-sessions [sessions]',
      'Magento prod instances (private subnets) -> OpenSearch prod [opensearch]',
      'Magento prod instances (private subnets) -> Secrets Manager [credentials at boot]',
      'Magento prod instances (private subnets) -> client-release-artifacts [bundle download]',
    ]);
    expect(labelled(diagram, 'secret').sort()).toEqual([
      'storestack/prod/database',
      'storestack/prod/magento-crypt-key',
      'storestack/prod/opensearch',
      'storestack/prod/redis-cache',
      'storestack/prod/redis-sessions',
    ]);
    expect(labelled(diagram, 'database-standby')).toEqual(['client-magento-prod / standby in another AZ']);
    expect(labelled(diagram, 'redis-replica')).toEqual([
      'client-prod-cache / Redis replica in eu-west-3b',
      'client-prod-sessions / Redis replica in eu-west-3b',
    ]);
  });

  it('draws the release path from Rundeck through the artifact bucket to Beanstalk', () => {
    expect(edgesOf(diagram, 'release')).toEqual([
      'rundeck.internal-client.url -> client-release-artifacts [1. build, upload]',
      'client-release-artifacts -> client-magento [2. application version]',
      'client-magento -> Magento prod instances (private subnets) [3. rolling deploy, one at a time]',
    ]);
  });

  it('draws pre-production without CloudFront (the distributions fetch from prod) and without standby', () => {
    const preprod = environmentDiagram(assembly, samplePlatform(), 'preprod');
    expect(preprod.nodesOf('cloudfront')).toEqual([]);
    expect(preprod.nodesOf('database-standby')).toEqual([]);
    expect(preprod.nodesOf('instance').map((node) => node.label[0])).toEqual(['backOffice 1', 'frontend 1']);
  });

  it('refuses an environment the templates do not hold', () => {
    expect(() => environmentDiagram(assembly, samplePlatform(), 'staging')).toThrow(
      'the templates hold no Magento environment reading /storestack/staging',
    );
  });
});

describe('the diagrams follow the configuration', () => {
  it('with EFS: an EFS node and its access points instead of the NFS server', () => {
    const platform = platformWith((input) => {
      input.storage.fileServer = { type: 'efs' };
    });
    const assembly = synthesizedAssembly(platform);
    const platformView = platformDiagram(assembly, platform);
    expect(platformView.nodesOf('nfs-server')).toEqual([]);
    expect(labelled(platformView, 'efs')).toEqual(['Amazon EFS / NFS shares, 3 mount targets']);
    expect(edgesOf(platformView, 'mount')).toContain(
      'Magento prod -> Amazon EFS [client-media, magento-statics\nmagento-client, magento-sitemap]',
    );
    const prod = environmentDiagram(assembly, platform, 'prod');
    expect(prod.groupsOf('file-server').map((group) => group.label)).toEqual(['Amazon EFS (access points)']);
    expect(labelled(prod, 'nfs-share')).toContain('client-media / EFS /prod/client-media');
  });

  it('with two front-end instances: two instance nodes and the capacity says so', () => {
    const platform = platformWith((input) => {
      const prod = input.environments.find((environment) => environment.name === 'prod');
      if (prod) prod.magento.frontend.instances = 2;
    });
    const assembly = synthesizedAssembly(platform);
    expect(labelled(platformDiagram(assembly, platform), 'beanstalk-environment')).toContain(
      'client-prod-frontend / Beanstalk 2 × c7i.xlarge',
    );
    const prod = environmentDiagram(assembly, platform, 'prod');
    expect(prod.nodesOf('instance').map((node) => node.label[0])).toEqual(['backOffice 1', 'frontend 1', 'frontend 2']);
  });
});
