// The platform configuration: one typed object from which every stack, asset and
// operation is derived. Structural rules live on the fields; rules that relate
// fields to each other live in the refinements at the bottom of each section.
// Every field with a default says so in its description ("Default: ...").
import { z } from 'zod';
import { alertingSchema } from './alerting-schema.ts';
import { appsSchema, checkConnectorPassivePorts, checkGateways, gatewaySchema, windowsSchema } from './apps-schema.ts';
import { coveringName } from './certificate.ts';
import { cidrContains, cidrsOverlap, type Ipv4Cidr } from './cidr.ts';
import {
  databaseSchema,
  databasesSchema,
  enginesSchema,
  magentoMountSchema,
  NFS_MAX_ENVIRONMENTS,
  NFS_SLOTS_PER_ENVIRONMENT,
  redisSchema,
  searchSchema,
  searchZones,
  storageSchema,
} from './data-schema.ts';
import { edgeSchema } from './edge-schema.ts';
import {
  asn,
  awsRegion,
  cidrBlock,
  dnsName,
  instanceType,
  logRetentionDays,
  publicIpv4,
  show,
  validCidr,
} from './fields.ts';
import { magentoTierSchema } from './magento-schema.ts';
import { RELEASE_APPLICATIONS } from './names.ts';
import { opsSchema } from './ops-schema.ts';
import { releaseSchema } from './release-schema.ts';

// ---------------------------------------------------------------------------
// Network (document section G)
// ---------------------------------------------------------------------------

const subnetSchema = z.strictObject({
  /** Availability zone, one of `aws.availabilityZones`. */
  az: z.string(),
  /** The subnet's IPv4 block, inside `network.vpcCidr`. */
  cidr: cidrBlock,
});

const vpnRoutingSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('static'),
    /** The peer's networks, routed into the VPN connection and propagated to the private route tables. */
    cidrs: z.array(cidrBlock).min(1),
  }),
  z.strictObject({
    type: z.literal('bgp'),
    /** The customer gateway's BGP ASN. */
    asn,
  }),
]);

const vpnPeerSchema = z.strictObject({
  /** Short name of the peer site; used in resource names and the `<prefix>-<name> VPN status` alarm. */
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/, {
    error: (issue) => `${show(issue.input)} is not a peer name (letters and digits, starting with a letter)`,
  }),
  /** Public IPv4 address of the peer's VPN device (the customer gateway). */
  publicIp: publicIpv4,
  routing: vpnRoutingSchema,
});

const flowLogsSchema = z.strictObject({
  retentionDays: logRetentionDays
    .default(365)
    .describe('Days CloudWatch Logs keeps the VPC flow logs. Default: 365 (PCI DSS 10.7 asks for one year).'),
  trafficType: z
    .enum(['ALL', 'ACCEPT', 'REJECT'])
    .default('ALL')
    .describe('Which traffic the flow logs record. Default: ALL.'),
});

const vpnSchema = z.strictObject({
  amazonSideAsn: asn
    .refine((n) => (n >= 64512 && n <= 65534) || n >= 4200000000, {
      error: (issue) => `${show(issue.input)} is not a private ASN (64512-65534 or 4200000000-4294967294)`,
    })
    .default(64512)
    .describe("BGP ASN of the virtual private gateway (AWS's side). Default: 64512."),
  /** The site-to-site IPSec links to the client's sites (document: Lan, Ml, Cetsi). */
  connections: z.array(vpnPeerSchema),
});

type NetworkShape = {
  vpcCidr: string;
  publicSubnets: { az: string; cidr: string }[];
  privateSubnets: { az: string; cidr: string }[];
  vpn: { amazonSideAsn: number; connections: z.output<typeof vpnPeerSchema>[] };
};

function checkNetwork(network: NetworkShape, ctx: z.RefinementCtx): void {
  const vpc = validCidr(network.vpcCidr);
  const subnets = [
    ...network.publicSubnets.map((s, i) => ({ ...s, path: ['publicSubnets', i], block: validCidr(s.cidr) })),
    ...network.privateSubnets.map((s, i) => ({ ...s, path: ['privateSubnets', i], block: validCidr(s.cidr) })),
  ].flatMap((subnet) => (subnet.block ? [{ ...subnet, block: subnet.block }] : []));
  const label = (path: (string | number)[]) => `network.${path[0]}[${path[1]}]`;

  for (const subnet of subnets) {
    if (vpc && !cidrContains(vpc, subnet.block)) {
      ctx.addIssue({
        code: 'custom',
        path: [...subnet.path, 'cidr'],
        message: `${subnet.cidr} is outside the VPC ${network.vpcCidr}`,
      });
    }
  }
  subnets.forEach((subnet, i) => {
    const earlier = subnets.slice(0, i).find((other) => cidrsOverlap(other.block, subnet.block));
    if (earlier) {
      ctx.addIssue({
        code: 'custom',
        path: [...subnet.path, 'cidr'],
        message: `${subnet.cidr} overlaps ${earlier.cidr} (${label(earlier.path)})`,
      });
    }
  });

  for (const role of ['publicSubnets', 'privateSubnets'] as const) {
    const kind = role === 'publicSubnets' ? 'public' : 'private';
    network[role].forEach((subnet, i) => {
      const first = network[role].findIndex((other) => other.az === subnet.az);
      if (first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: [role, i, 'az'],
          message: `${subnet.az} already has a ${kind} subnet (network.${role}[${first}]); the document has one public and one private subnet per AZ`,
        });
      }
    });
  }
  const publicAzs = new Set(network.publicSubnets.map((s) => s.az));
  const privateAzs = new Set(network.privateSubnets.map((s) => s.az));
  network.privateSubnets.forEach((subnet, i) => {
    if (!publicAzs.has(subnet.az)) {
      ctx.addIssue({
        code: 'custom',
        path: ['privateSubnets', i, 'az'],
        message: `${subnet.az} has a private subnet but no public subnet (its NAT gateway lives there)`,
      });
    }
  });
  network.publicSubnets.forEach((subnet, i) => {
    if (!privateAzs.has(subnet.az)) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicSubnets', i, 'az'],
        message: `${subnet.az} has a public subnet but no private subnet`,
      });
    }
  });

  const peers = network.vpn.connections;
  const staticRoutes: { peer: string; block: Ipv4Cidr }[] = [];
  peers.forEach((peer, i) => {
    const path = ['vpn', 'connections', i];
    const sameName = peers.findIndex((other) => other.name.toLowerCase() === peer.name.toLowerCase());
    if (sameName !== i) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'name'],
        message: `${peer.name} is already the name of network.vpn.connections[${sameName}]`,
      });
    }
    const sameIp = peers.findIndex((other) => other.publicIp === peer.publicIp);
    if (sameIp !== i) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'publicIp'],
        message: `${peer.publicIp} is already the address of network.vpn.connections[${sameIp}] (${peers[sameIp]?.name})`,
      });
    }
    if (peer.routing.type === 'bgp' && peer.routing.asn === network.vpn.amazonSideAsn) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'routing', 'asn'],
        message: `${peer.routing.asn} is the Amazon side's ASN (network.vpn.amazonSideAsn); the peer needs its own`,
      });
    }
    if (peer.routing.type === 'static') {
      peer.routing.cidrs.forEach((text, j) => {
        const block = validCidr(text);
        if (!block) return;
        const routePath = [...path, 'routing', 'cidrs', j];
        if (vpc && cidrsOverlap(block, vpc)) {
          ctx.addIssue({
            code: 'custom',
            path: routePath,
            message: `${text} overlaps the VPC ${network.vpcCidr}; a VPN route must lead outside it`,
          });
        }
        const clash = staticRoutes.find((route) => cidrsOverlap(route.block, block));
        if (clash) {
          ctx.addIssue({
            code: 'custom',
            path: routePath,
            message: `${text} overlaps ${clash.block.text}, already routed to ${clash.peer}`,
          });
        }
        staticRoutes.push({ peer: peer.name, block });
      });
    }
  });
}

const networkSchema = z
  .strictObject({
    /** The VPC's IPv4 block (document: XXX.0.0.0/16). */
    vpcCidr: cidrBlock,
    /** One public subnet per AZ, in order: the first hosts the non-HA public instances. */
    publicSubnets: z.array(subnetSchema).min(1),
    /** One private subnet per AZ, in order: the first hosts the non-HA private instances. */
    privateSubnets: z.array(subnetSchema).min(1),
    flowLogs: flowLogsSchema
      .default({ retentionDays: 365, trafficType: 'ALL' })
      .describe('VPC flow logs. Default: all traffic, kept 365 days.'),
    vpn: vpnSchema,
  })
  .superRefine(checkNetwork);

// ---------------------------------------------------------------------------
// Environments (document section 1: prod and preprod)
// ---------------------------------------------------------------------------

/**
 * Store host names per environment: the back office's rule holds them all, plus `/backend/*` and
 * the environment's CNAME (which Beanstalk adds), within an ALB rule's 5 condition values.
 */
export const MAX_STORE_HOST_NAMES = 3;

const instanceGroupSchema = z.strictObject({
  instanceType,
  /** How many instances serve at once. */
  instances: z.number().int().min(1).max(20),
});

const environmentSchema = z.strictObject({
  /** Short name, used in stack names (`storestack-Data-prod`) and resource names. */
  name: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, {
    error: (issue) =>
      `${show(issue.input)} is not an environment name (lower-case letters and digits, 2-16 characters)`,
  }),
  magento: z.strictObject({
    /** The front-end Beanstalk environment (document, prod: four servers). */
    frontend: instanceGroupSchema,
    /** The back-office Beanstalk environment (document: one server). */
    backOffice: instanceGroupSchema,
    /**
     * The host names the environment's store answers (document 7.H: client.url, www.client.url;
     * prod also the CDN's origin name, origin.client.url). Each must be covered by the certificate.
     */
    hostNames: z
      .array(dnsName)
      .min(1)
      .max(MAX_STORE_HOST_NAMES, {
        error: `at most ${MAX_STORE_HOST_NAMES} names: the back office's /backend/* rule holds them, its path and the environment's CNAME Beanstalk adds, and an ALB rule holds 5 condition values`,
      }),
    loadBalancer: z
      .strictObject({
        deletionProtection: z
          .boolean()
          .default(true)
          .describe("Refuse to delete the environment's load balancer until this is turned off. Default: true."),
      })
      .prefault({}),
    cryptKeySecretName: z
      .string()
      .min(1)
      .optional()
      .describe("An existing store's crypt key in Secrets Manager. Default: a new key is generated (a new store)."),
  }),
  /** The environment's database (document 7: prod Multi-AZ r4.4xlarge, preprod single-AZ r4.large). */
  database: databaseSchema,
  /** The environment's Redis: cache and sessions in separate replication groups. */
  redis: redisSchema,
  /** The environment's OpenSearch domain (Magento 2.4's catalog search). */
  search: searchSchema,
});

const environmentsSchema = z
  .array(environmentSchema)
  .min(1)
  .superRefine((environments, ctx) => {
    environments.forEach((environment, i) => {
      const first = environments.findIndex((other) => other.name === environment.name);
      if (first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `${environment.name} is already the name of environments[${first}]`,
        });
      }
    });
  });

// ---------------------------------------------------------------------------
// The platform
// ---------------------------------------------------------------------------

export const platformSchema = z
  .strictObject({
    client: z.strictObject({
      /** The client's short name, used in resource, bucket and alarm names (`client-media`). */
      name: z.string().regex(/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/, {
        error: (issue) => `${show(issue.input)} is not a short name (2-20 lower-case letters, digits and dashes)`,
      }),
    }),
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/)
      .default('storestack')
      .describe('Prefix of every stack name and value of the `project` tag. Default: storestack.'),
    aws: z.strictObject({
      account: z
        .string()
        .regex(/^\d{12}$/, { error: (issue) => `${show(issue.input)} is not a 12-digit AWS account id` }),
      region: awsRegion,
      /** The AZs the platform spans (document: three), each with one public and one private subnet. */
      availabilityZones: z.array(z.string()).min(2).max(6),
    }),
    domains: z.strictObject({
      /** The store's public domain (document: client.url), registered outside AWS. */
      public: dnsName,
      /** The internal domain, served by a private hosted zone (document: internal-client.url). */
      internal: dnsName,
    }),
    network: networkSchema,
    /** Monitoring (document 7.F): the mailing list, the document's alarms, the added ones' thresholds. */
    alerting: alertingSchema,
    /** Releases (document: the Rundeck and Beanstalk deployment processes): repositories, build, maintenance. */
    release: releaseSchema,
    /** The HAProxy gateways (document 6.D) and the sources they accept. */
    gateway: gatewaySchema,
    /** The satellite applications on Beanstalk (document 2, 3, 4). */
    apps: appsSchema,
    /** The Windows custom application's instance (document 5). */
    windows: windowsSchema,
    environments: environmentsSchema,
    certificate: z.strictObject({
      /** The imported certificate (document 7.E: *.client.url), in the platform's region, for the load balancers. */
      arn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, {
        error: (issue) => `${show(issue.input)} is not an ACM certificate ARN`,
      }),
      /** The names the certificate covers (its subject and alternative names), e.g. *.client.url and client.url. */
      coveredNames: z
        .array(
          z.string().regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
            error: (issue) => `${show(issue.input)} is not a certificate name such as *.client.url`,
          }),
        )
        .min(1),
    }),
    /** CloudFront and the public zone (document 7.C, 7.H). */
    edge: edgeSchema,
    /** The operations servers (document 6.A, 6.B): OpenVPN, Rundeck, Ansible, phpMyAdmin. */
    ops: opsSchema,
    databases: databasesSchema.extend({
      /** The database shared by the PIM, the custom connection application and the Mirakl connector. */
      apps: databaseSchema,
    }),
    engines: enginesSchema,
    storage: storageSchema,
    magento: magentoTierSchema.extend({
      /** The shares the Magento instances mount (document 1), each at a path inside the release. */
      mounts: z.array(magentoMountSchema).min(1),
    }),
  })
  .superRefine((platform, ctx) => {
    const { region, availabilityZones } = platform.aws;
    availabilityZones.forEach((az, i) => {
      if (!(az.startsWith(region) && /^[a-z]$/.test(az.slice(region.length)))) {
        ctx.addIssue({
          code: 'custom',
          path: ['aws', 'availabilityZones', i],
          message: `${az} is not an availability zone of ${region}`,
        });
      }
      const first = availabilityZones.indexOf(az);
      if (first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['aws', 'availabilityZones', i],
          message: `${az} is listed twice (aws.availabilityZones[${first}])`,
        });
      }
    });
    for (const role of ['publicSubnets', 'privateSubnets'] as const) {
      const subnets = platform.network[role];
      subnets.forEach((subnet, i) => {
        if (!availabilityZones.includes(subnet.az)) {
          ctx.addIssue({
            code: 'custom',
            path: ['network', role, i, 'az'],
            message: `${subnet.az} is not one of aws.availabilityZones (${availabilityZones.join(', ')})`,
          });
        }
      });
      for (const az of availabilityZones) {
        if (!subnets.some((subnet) => subnet.az === az)) {
          ctx.addIssue({
            code: 'custom',
            path: ['network', role],
            message: `${az} (aws.availabilityZones) has no ${role === 'publicSubnets' ? 'public' : 'private'} subnet`,
          });
        }
      }
    }
    checkDataTier(platform, ctx);
    checkCertificateCoverage(platform, ctx);
    checkGateways(platform.gateway, ctx, ['gateway']);
    const vpnClients = validCidr(platform.ops.openVpn.clientCidr);
    const vpc = validCidr(platform.network.vpcCidr);
    if (vpnClients && vpc && cidrsOverlap(vpnClients, vpc)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ops', 'openVpn', 'clientCidr'],
        message: `${platform.ops.openVpn.clientCidr} overlaps the VPC ${platform.network.vpcCidr}: the clients' addresses must be routable apart from it`,
      });
    }
    if (!platform.environments.some((environment) => environment.name === platform.edge.environment)) {
      ctx.addIssue({
        code: 'custom',
        path: ['edge', 'environment'],
        message: `${platform.edge.environment} is not one of environments (${platform.environments.map((environment) => environment.name).join(', ')})`,
      });
    }
    checkConnectorPassivePorts(platform.gateway, platform.apps, ctx);
    for (const application of RELEASE_APPLICATIONS) {
      for (const environment of Object.keys(platform.release.applications[application].configBranches)) {
        if (!platform.environments.some(({ name }) => name === environment)) {
          ctx.addIssue({
            code: 'custom',
            path: ['release', 'applications', application, 'configBranches', environment],
            message: `${environment} is not one of environments (${platform.environments.map(({ name }) => name).join(', ')})`,
          });
        }
      }
    }
    const peers = platform.network.vpn.connections.map((peer) => peer.name);
    platform.alerting.vpnAlarms.peers.forEach((peer, i) => {
      if (!peers.includes(peer)) {
        ctx.addIssue({
          code: 'custom',
          path: ['alerting', 'vpnAlarms', 'peers', i],
          message: `${peer} is not a VPN peer of network.vpn.connections (${peers.join(', ') || 'none'})`,
        });
      }
      const first = platform.alerting.vpnAlarms.peers.indexOf(peer);
      if (first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['alerting', 'vpnAlarms', 'peers', i],
          message: `${peer} is listed twice (alerting.vpnAlarms.peers[${first}])`,
        });
      }
    });
    if (platform.domains.public === platform.domains.internal) {
      ctx.addIssue({
        code: 'custom',
        path: ['domains', 'internal'],
        message: `${platform.domains.internal} is also the public domain; the internal zone must not shadow it`,
      });
    }
  });

/** Every host name storestack serves over HTTPS must be covered by the imported certificate. */
function checkCertificateCoverage(
  platform: Pick<z.output<typeof platformSchema>, 'aws' | 'environments' | 'certificate' | 'apps' | 'domains'>,
  ctx: z.RefinementCtx,
): void {
  const covered = platform.certificate.coveredNames;
  const region = platform.certificate.arn.split(':')[3];
  if (region && region !== platform.aws.region) {
    ctx.addIssue({
      code: 'custom',
      path: ['certificate', 'arn'],
      message: `the certificate is in ${region}, not the platform's region ${platform.aws.region}: a load balancer takes a certificate of its own region`,
    });
  }
  const hosts: { host: string; path: (string | number)[] }[] = [
    ...platform.environments.flatMap((environment, i) =>
      environment.magento.hostNames.map((host, j) => ({ host, path: ['environments', i, 'magento', 'hostNames', j] })),
    ),
    ...(['media', 'static'] as const).map((name) => ({
      host: `${name}.${platform.domains.public}`,
      path: ['certificate', 'coveredNames'],
    })),
    ...(['pim', 'connector', 'mirakl'] as const).map((app) => ({
      host: platform.apps[app].hostName,
      path: ['apps', app, 'hostName'],
    })),
  ];
  for (const { host, path } of hosts) {
    if (!coveringName(covered, host)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${host} is not covered by the certificate (certificate.coveredNames: ${covered.join(', ')}); a wildcard covers one label only`,
      });
    }
  }
}

type PlatformShape = Pick<z.output<typeof platformSchema>, 'aws' | 'environments' | 'storage' | 'magento'>;

/** Rules between the data tier and the rest: share sizes per environment, mounts, replicas per AZ. */
function checkDataTier(platform: PlatformShape, ctx: z.RefinementCtx): void {
  const environments = platform.environments.map((environment) => environment.name);
  const { shares, connectorShare, fileServer } = platform.storage;
  const mounts = platform.magento.mounts;

  shares.forEach((share, i) => {
    const path = ['storage', 'shares', i];
    const first = shares.findIndex((other) => other.name === share.name);
    if (first !== i) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'name'],
        message: `${share.name} is already storage.shares[${first}]`,
      });
    }
    if (share.name === connectorShare.name) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'name'],
        message: `${share.name} is also storage.connectorShare.name`,
      });
    }
    if (!mounts.some((mount) => mount.share === share.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'name'],
        message: `${share.name} is not mounted by Magento (magento.mounts); with ${fileServer.type === 'efs' ? 'EFS each share is an access point' : 'the NFS server each share is a volume'} that only Magento uses`,
      });
    }
    if (fileServer.type === 'nfs-server') {
      for (const environment of environments) {
        if (share.sizeGiB[environment] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'sizeGiB'],
            message: `no size for environment ${environment}`,
          });
        }
      }
    }
    for (const key of Object.keys(share.sizeGiB)) {
      if (!environments.includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'sizeGiB', key],
          message: `${key} is not an environment (${environments.join(', ')})`,
        });
      }
    }
  });

  if (fileServer.type === 'nfs-server') {
    if (shares.length > NFS_SLOTS_PER_ENVIRONMENT) {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', 'shares'],
        message: `${shares.length} shares; the NFS server holds ${NFS_SLOTS_PER_ENVIRONMENT} per environment (use EFS for more)`,
      });
    }
    if (environments.length > NFS_MAX_ENVIRONMENTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments'],
        message: `${environments.length} environments; the NFS server serves at most ${NFS_MAX_ENVIRONMENTS} (use EFS for more)`,
      });
    }
  }
  for (const environment of environments) {
    const shadowed = shares.find((share) => `${environment}-${share.name}` === connectorShare.name);
    if (shadowed) {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', 'connectorShare', 'name'],
        message: `${connectorShare.name} is also the name of ${environment}'s share ${shadowed.name} on the server; choose another`,
      });
    }
  }

  mounts.forEach((mount, i) => {
    if (!shares.some((share) => share.name === mount.share)) {
      ctx.addIssue({
        code: 'custom',
        path: ['magento', 'mounts', i, 'share'],
        message: `${mount.share} is not one of storage.shares (${shares.map((share) => share.name).join(', ')})${fileServer.type === 'efs' ? ': with EFS, every Magento mount needs its access point' : ''}`,
      });
    }
    const first = mounts.findIndex((other) => other.path === mount.path);
    if (first !== i) {
      ctx.addIssue({
        code: 'custom',
        path: ['magento', 'mounts', i, 'path'],
        message: `${mount.path} is already mounted (magento.mounts[${first}])`,
      });
    }
  });

  const azs = platform.aws.availabilityZones.length;
  platform.environments.forEach((environment, i) => {
    if (environment.redis.replicasPerGroup + 1 > azs) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', i, 'redis', 'replicasPerGroup'],
        message: `${environment.redis.replicasPerGroup} replicas and a primary need ${environment.redis.replicasPerGroup + 1} AZs; the platform has ${azs}`,
      });
    }
    if (searchZones(environment.search.dataNodes, azs) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', i, 'search', 'dataNodes'],
        message: `${environment.search.dataNodes} data nodes cannot be spread evenly over two or three AZs; use 1, an even number, or a multiple of 3`,
      });
    }
    const { allocatedStorageGiB, maxAllocatedStorageGiB } = environment.database;
    if (maxAllocatedStorageGiB !== undefined && maxAllocatedStorageGiB <= allocatedStorageGiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', i, 'database', 'maxAllocatedStorageGiB'],
        message: `${maxAllocatedStorageGiB} must exceed allocatedStorageGiB (${allocatedStorageGiB})`,
      });
    }
  });
}

/** The configuration as a user writes it: fields with defaults may be left out. */
export type PlatformInput = z.input<typeof platformSchema>;
/** The effective configuration, every default applied. */
export type Platform = z.output<typeof platformSchema>;
export type EnvironmentConfig = Platform['environments'][number];
export type VpnPeer = Platform['network']['vpn']['connections'][number];
export type SubnetConfig = Platform['network']['publicSubnets'][number];
export type DatabaseConfig = EnvironmentConfig['database'];
export type StorageConfig = Platform['storage'];
