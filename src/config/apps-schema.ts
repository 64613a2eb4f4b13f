// The satellite applications (document sections 2-5) and the HAProxy gateways (6.D): the PIM,
// the custom connection application and its FTP server, the Mirakl-HiPay connector, the Windows
// custom application, and the gateways that expose some of their ports to whitelisted sources.
import { z } from 'zod';
import { amiId, cidrBlock, dnsName, instanceType, show, validCidr } from './fields.ts';

export const tcpPort = z
  .number()
  .int()
  .min(1, { error: (issue) => `${show(issue.input)} is not a TCP port (1-65535)` })
  .max(65535, { error: (issue) => `${show(issue.input)} is not a TCP port (1-65535)` });

/** A port or a range of ports, both ends included: `{ from: 2048, to: 4096 }`, `{ from: 21 }`. */
export const portRangeSchema = z
  .strictObject({
    from: tcpPort,
    /** The last port of the range. Default: `from` (one port). */
    to: tcpPort.optional(),
  })
  .refine((range) => range.to === undefined || range.to >= range.from, {
    error: 'to must not be below from',
    path: ['to'],
  })
  .transform((range) => ({ from: range.from, to: range.to ?? range.from }));

export type PortRange = z.output<typeof portRangeSchema>;

export const showRange = (range: PortRange): string =>
  range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;

const SOLUTION_STACK = /^64bit Amazon Linux 2023 v\d+\.\d+\.\d+ running PHP \d+\.\d+$/;

const beanstalkAppSchema = z.strictObject({
  /** The public name the application answers over HTTPS (document: HTTP on the load balancer's name). */
  hostName: dnsName,
  instanceType,
  /** The pinned Beanstalk platform, like `magento.solutionStackName`. */
  solutionStackName: z.string().regex(SOLUTION_STACK, {
    error: (issue) =>
      `${show(issue.input)} is not an Amazon Linux 2023 PHP platform such as "64bit Amazon Linux 2023 v4.7.5 running PHP 8.3"`,
  }),
  /**
   * The deploy step that updates the database schema from the code (document 2: "Updating the DB
   * scheme from the code"), run in the application's directory as the web user.
   */
  schemaUpdateCommand: z.string().min(1),
});

const cronEntrySchema = z.strictObject({
  /** Five cron fields, e.g. `*\/10 * * * *`. */
  schedule: z.string().regex(/^(\S+\s+){4}\S+$/, {
    error: (issue) => `${show(issue.input)} is not a cron schedule of five fields such as "*/10 * * * *"`,
  }),
  /** Run in the application's directory as the web user. */
  command: z.string().regex(/^[^\n%]+$/, {
    error: (issue) =>
      `${show(issue.input)} must be one line without "%" (cron turns "%" into a new line; put the command in a script)`,
  }),
});

export const appsSchema = z.strictObject({
  /** Section 2: the PIM. */
  pim: beanstalkAppSchema,
  /** Section 3: the custom connection application and its FTP server. */
  connector: beanstalkAppSchema.extend({
    ftp: z.strictObject({
      /** The FTP account created at deploy (its password is generated in Secrets Manager). */
      user: z.string().regex(/^[a-z_][a-z0-9_-]{0,30}$/, {
        error: (issue) => `${show(issue.input)} is not a Linux user name`,
      }),
      /** vsftpd's passive data ports; the connector's gateway must forward them. */
      passivePorts: portRangeSchema,
      /** The directory of the web root where uploads land, linked to the connector's share. */
      uploadDirectory: z
        .string()
        .regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/, {
          error: (issue) => `${show(issue.input)} is not a relative path inside the web root such as media/import`,
        })
        .default('ftp')
        .describe("The web root's directory that holds the FTP uploads. Default: ftp."),
    }),
  }),
  /** Section 4: the Mirakl-HiPay connector, on Beanstalk's Apache proxy. */
  mirakl: beanstalkAppSchema.extend({
    /** Its cron operations (document 4: "A cron operation is also added"). */
    cron: z.array(cronEntrySchema).min(1),
    configKeys: z
      .array(
        z.string().regex(/^[A-Z][A-Z0-9_]*$/, {
          error: (issue) => `${show(issue.input)} is not an environment variable name such as MIRAKL_API_KEY`,
        }),
      )
      .min(1)
      .default(['MIRAKL_API_URL', 'MIRAKL_API_KEY', 'HIPAY_API_USERNAME', 'HIPAY_API_PASSWORD'])
      .describe(
        'The keys of its configuration file (document 4), which operators add to the storestack/apps/mirakl-config secret; the deploy fails naming any key missing or empty. Default: MIRAKL_API_URL, MIRAKL_API_KEY, HIPAY_API_USERNAME, HIPAY_API_PASSWORD.',
      ),
  }),
});

export const windowsSchema = z.strictObject({
  instanceType,
  /** Pinned: the software on it was installed by hand, so no deploy may replace the instance. */
  amiId,
  /** The two extra EBS volumes (document 5), encrypted and retained, in the AppsData stack. */
  volumes: z
    .array(z.strictObject({ sizeGiB: z.number().int().min(1).max(16384) }))
    .length(2, { error: 'the document gives the Windows instance exactly two extra volumes' }),
});

/** FTP's control port, which a gateway to an FTP server must forward. */
export const FTP_PORT = 21;

/** Which internal name a gateway forwards to: `<backend>.<internal domain>`. */
export const GATEWAY_BACKENDS = ['windows', 'connector'] as const;

const gatewayServiceSchema = z.strictObject({
  /** Short name, used in the HAProxy section names: `smb`, `ftp-passive`. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, {
    error: (issue) => `${show(issue.input)} is not a service name (lower-case letters, digits and dashes)`,
  }),
  ports: portRangeSchema,
});

const gatewayServerSchema = z.strictObject({
  /** Short name: resources, `gateway-<name>.<internal domain>`, `storestack render gateway <name>`. */
  name: z.string().regex(/^[a-z][a-z0-9]{0,15}$/, {
    error: (issue) => `${show(issue.input)} is not a gateway name (lower-case letters and digits)`,
  }),
  instanceType,
  /** Pinned Amazon Linux 2023 image: no routine deploy replaces a gateway. */
  amiId,
  backend: z.enum(GATEWAY_BACKENDS),
  /** The TCP services forwarded to the backend, port for port. */
  services: z.array(gatewayServiceSchema).min(1),
});

export const gatewaySchema = z.strictObject({
  /** The only sources the HAProxy gateways accept (document 6.D: "a whitelisting of IP addresses"). */
  whitelist: z
    .array(
      cidrBlock.refine((text) => validCidr(text)?.prefix !== 0, {
        error: (issue) =>
          `${show(issue.input)} would open the gateway to the whole internet; list the client's addresses`,
      }),
    )
    .min(1),
  /** One gateway per set of services whose ports do not collide (both FTP servers need 21). */
  servers: z.array(gatewayServerSchema).min(1),
});

type GatewayShape = z.output<typeof gatewaySchema>;

/** Rules within the gateways: unique names, no port forwarded twice on one gateway. */
export function checkGateways(gateway: GatewayShape, ctx: z.RefinementCtx, path: (string | number)[]): void {
  gateway.servers.forEach((server, i) => {
    const first = gateway.servers.findIndex((other) => other.name === server.name);
    if (first !== i) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'servers', i, 'name'],
        message: `${server.name} is already the name of gateway.servers[${first}]`,
      });
    }
    server.services.forEach((service, j) => {
      const earlier = server.services
        .slice(0, j)
        .findIndex((other) => other.ports.from <= service.ports.to && service.ports.from <= other.ports.to);
      if (earlier !== -1) {
        const other = server.services[earlier] as (typeof server.services)[number];
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'servers', i, 'services', j, 'ports'],
          message: `${showRange(service.ports)} overlaps ${other.name} (${showRange(other.ports)}, gateway.servers[${i}].services[${earlier}]): a port is forwarded once per gateway`,
        });
      }
      const firstName = server.services.findIndex((other) => other.name === service.name);
      if (firstName !== j) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'servers', i, 'services', j, 'name'],
          message: `${service.name} is already the name of gateway.servers[${i}].services[${firstName}]`,
        });
      }
    });
  });
}

/** The connector's passive ports must be forwarded by a gateway to the connector, or FTP transfers hang. */
export function checkConnectorPassivePorts(
  gateway: GatewayShape,
  apps: z.output<typeof appsSchema>,
  ctx: z.RefinementCtx,
): void {
  const passive = apps.connector.ftp.passivePorts;
  const gateways = gateway.servers.filter((server) => server.backend === 'connector');
  if (gateways.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['gateway', 'servers'],
      message: 'no gateway forwards to the connector: its FTP server is reachable from the internet only through one',
    });
    return;
  }
  for (const server of gateways) {
    if (!coversRange(server.services, passive)) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps', 'connector', 'ftp', 'passivePorts'],
        message: `${showRange(passive)} is not within the ports gateway ${server.name} forwards (${server.services.map((service) => showRange(service.ports)).join(', ')}): passive transfers would hang`,
      });
    }
    if (!coversRange(server.services, { from: FTP_PORT, to: FTP_PORT })) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway', 'servers', gateway.servers.indexOf(server), 'services'],
        message: `gateway ${server.name} forwards to the connector but not FTP's port ${FTP_PORT}`,
      });
    }
  }
}

/** Whether `services` together forward every port of `range`. */
function coversRange(services: readonly { ports: PortRange }[], range: PortRange): boolean {
  const sorted = services.map((service) => service.ports).sort((a, b) => a.from - b.from);
  let next = range.from;
  for (const ports of sorted) {
    if (ports.from > next) break;
    next = Math.max(next, ports.to + 1);
  }
  return next > range.to;
}
