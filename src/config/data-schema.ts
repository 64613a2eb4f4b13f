// The data and storage tier's configuration (document 1, 6.C, 7, 7.B, 7.D): databases,
// Redis, OpenSearch, the file shares and their server, buckets, backups.
import { z } from 'zod';
import { amiId, instanceType, show } from './fields.ts';

// ---------------------------------------------------------------------------
// Instance classes: the family must be one the service offers, so that a typo
// (db.r7x.large) fails here rather than half-way through a CloudFormation deploy.
// ---------------------------------------------------------------------------

const SIZE = '(nano|micro|small|medium|large|xlarge|[1-9][0-9]?xlarge|metal)';

function instanceClass(
  service: 'RDS' | 'ElastiCache' | 'OpenSearch',
  families: readonly string[],
  prefix: string,
  suffix: string,
  example: string,
) {
  const pattern = new RegExp(`^${prefix}([a-z0-9]+)\\.${SIZE}${suffix}$`);
  return z.string().superRefine((value, ctx) => {
    const match = pattern.exec(value);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `${value} is not an ${service} instance class such as ${example}` });
    } else if (!families.includes(match[1] as string)) {
      ctx.addIssue({
        code: 'custom',
        message: `${value}: ${service} has no instance family "${match[1]}" (known: ${families.join(', ')})`,
      });
    }
  });
}

/** Current and previous generations RDS for MySQL offers. */
export const RDS_FAMILIES = [
  't3',
  't4g',
  'm5',
  'm6g',
  'm6i',
  'm7g',
  'm7i',
  'm8g',
  'r5',
  'r6g',
  'r6i',
  'r7g',
  'r7i',
  'r8g',
  'x2g',
];
export const ELASTICACHE_FAMILIES = ['t3', 't4g', 'm5', 'm6g', 'm7g', 'r5', 'r6g', 'r6gd', 'r7g'];
export const OPENSEARCH_FAMILIES = [
  't3',
  'm5',
  'm6g',
  'm7g',
  'm7i',
  'c5',
  'c6g',
  'c7g',
  'r5',
  'r6g',
  'r6gd',
  'r7g',
  'r7gd',
  'r7i',
];

const rdsInstanceClass = instanceClass('RDS', RDS_FAMILIES, 'db\\.', '', 'db.r7g.large');
const cacheNodeType = instanceClass('ElastiCache', ELASTICACHE_FAMILIES, 'cache\\.', '', 'cache.r7g.large');
const searchInstanceType = instanceClass('OpenSearch', OPENSEARCH_FAMILIES, '', '\\.search', 'r7g.large.search');

const gibibytes = (min: number, max: number) => z.number().int().min(min).max(max);

// ---------------------------------------------------------------------------
// Databases (document 7)
// ---------------------------------------------------------------------------

export const databaseSchema = z.strictObject({
  /** Instance class (document: r4.4xlarge in prod, r4.large in preprod; current-generation equivalents). */
  instanceClass: rdsInstanceClass,
  /** A synchronous standby in another AZ (document: prod only). */
  multiAz: z.boolean(),
  allocatedStorageGiB: gibibytes(20, 65536).default(100).describe('gp3 storage at creation. Default: 100.'),
  maxAllocatedStorageGiB: gibibytes(21, 65536)
    .optional()
    .describe('Ceiling for RDS storage autoscaling. Default: no autoscaling.'),
  backupRetentionDays: z
    .number()
    .int()
    .max(35)
    .min(1, { error: (issue) => `${show(issue.input)} days would turn automated backups off; use 1 to 35` })
    .default(7)
    .describe(
      "Days of automated backups (point-in-time recovery). Default: 7 (the document's one day is a deviation).",
    ),
  deletionProtection: z
    .boolean()
    .default(true)
    .describe('Refuse deletion of the instance until this is turned off. Default: true.'),
});

/** Engine and parameters shared by every database of the platform. */
export const databasesSchema = z.strictObject({
  /** RDS for MySQL 8.4 LTS, minor version pinned (8.0 left standard support in July 2026). */
  engineVersion: z.string().regex(/^8\.4\.\d+$/, {
    error: (issue) => `${show(issue.input)} is not a MySQL 8.4 LTS version such as 8.4.7`,
  }),
  maxAllowedPacketBytes: z
    .number()
    .int()
    .min(16 * 1024 * 1024, { error: 'Magento needs at least 16 MiB (16777216)' })
    .max(1024 * 1024 * 1024)
    .default(256 * 1024 * 1024)
    .describe("MySQL's max_allowed_packet: Magento's imports send large rows. Default: 268435456 (256 MiB)."),
  longQueryTimeSeconds: z
    .number()
    .positive()
    .default(2)
    .describe('Queries slower than this go to the slow query log, exported to CloudWatch. Default: 2.'),
});

// ---------------------------------------------------------------------------
// Redis (document 7.B) and OpenSearch (a deviation: Magento 2.4 needs it)
// ---------------------------------------------------------------------------

export const redisSchema = z.strictObject({
  /** Node type of the cache replication group (Magento's page and object cache). */
  cacheNodeType,
  /** Node type of the session replication group, kept apart so that cache evictions never drop sessions. */
  sessionNodeType: cacheNodeType,
  /**
   * Read replicas per replication group, each in another AZ. With one or more, automatic
   * failover and Multi-AZ are on (document: prod has a primary and a read replica).
   */
  replicasPerGroup: z.number().int().min(0).max(5),
});

/**
 * How many AZs an OpenSearch domain of `dataNodes` spans: one node, one AZ; otherwise three
 * when the nodes divide evenly over three and the platform has them, else two. OpenSearch
 * needs the node count to be a multiple of the AZ count: undefined when no count fits.
 */
export function searchZones(dataNodes: number, availabilityZones: number): number | undefined {
  if (dataNodes === 1) return 1;
  if (dataNodes % 3 === 0 && availabilityZones >= 3) return 3;
  return dataNodes % 2 === 0 ? 2 : undefined;
}

export const searchSchema = z.strictObject({
  instanceType: searchInstanceType,
  /** Data nodes; two or more are spread across AZs (zone awareness). */
  dataNodes: z.number().int().min(1).max(10),
  volumeGiB: gibibytes(10, 3072).default(50).describe('gp3 volume of each data node. Default: 50.'),
});

/** The engines shared by every environment's Redis and OpenSearch. */
export const enginesSchema = z.strictObject({
  /** ElastiCache for Redis OSS engine version. */
  redis: z
    .string()
    .regex(/^[6-7]\.\d+$/, { error: (issue) => `${show(issue.input)} is not a Redis version such as 7.1` }),
  /** OpenSearch engine version, as the service names it. */
  openSearch: z.string().regex(/^OpenSearch_\d+\.\d+$/, {
    error: (issue) => `${show(issue.input)} is not an OpenSearch version such as OpenSearch_2.19`,
  }),
});

// ---------------------------------------------------------------------------
// File shares (documents 1 and 6.C), buckets (7.D), backups
// ---------------------------------------------------------------------------

/**
 * The NFS server gives each environment a fixed block of volume slots (devices), so that
 * appending a share or an environment never moves an existing volume's attachment.
 */
export const NFS_SLOTS_PER_ENVIRONMENT = 6;
export const NFS_MAX_ENVIRONMENTS = 3;

const shareName = z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, {
  error: (issue) => `${show(issue.input)} is not a share name (lower-case letters, digits and dashes)`,
});

export const fileServerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    /** The document's server: an EC2 instance exporting one EBS volume per share. */
    type: z.literal('nfs-server'),
    instanceType,
    /** Pinned AMI id (Amazon Linux 2023): a new image is a reviewed change, never a side effect of a deploy. */
    amiId,
    volumeWaitSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(300)
      .describe('How long the server waits at boot for each volume to be attached. Default: 300.'),
    replacing: z
      .boolean()
      .default(false)
      .describe(
        'Step 1 of a deliberate replacement of the server (docs/runbooks/replace-nfs-server.md): detaches the volumes and lifts termination protection. Default: false.',
      ),
  }),
  z.strictObject({
    /** Amazon EFS instead: one access point per share, mount targets in every private subnet. */
    type: z.literal('efs'),
  }),
]);

export const storageSchema = z.strictObject({
  fileServer: fileServerSchema,
  /**
   * The shares of each environment (document 6.C: client-media, magento-statics,
   * magento-client, magento-sitemap); every one is mounted by Magento (`magento.mounts`).
   * `sizeGiB` gives each environment's volume (ignored with EFS, which grows as needed).
   */
  shares: z.array(z.strictObject({ name: shareName, sizeGiB: z.record(z.string(), gibibytes(1, 16384)) })).min(1),
  /** The custom connection application's FTP share: its uploads must survive deploys. */
  connectorShare: z.strictObject({ name: shareName, sizeGiB: gibibytes(1, 16384) }),
  buckets: z
    .strictObject({
      tempStorageExpirationDays: z
        .number()
        .int()
        .min(1)
        .default(30)
        .describe('Objects in the temporary-storage bucket expire after this many days. Default: 30.'),
      accessLogExpirationDays: z
        .number()
        .int()
        .min(365, { error: 'PCI DSS 10.7 keeps audit logs for at least 365 days' })
        .default(365)
        .describe('Server and load balancer access logs are kept this many days. Default: 365.'),
      terraformState: z
        .boolean()
        .default(false)
        .describe(
          'Create the Terraform remote-state bucket of the document. Default: false (the state is in CloudFormation).',
        ),
    })
    .default({ tempStorageExpirationDays: 30, accessLogExpirationDays: 365, terraformState: false })
    .describe('The S3 buckets of document 7.D. Default: 30-day temporary storage, 365-day logs, no Terraform bucket.'),
  backup: z
    .strictObject({
      retentionDays: z
        .number()
        .int()
        .min(1, { error: (issue) => `${show(issue.input)} days would keep no recovery point; use at least 1` })
        .max(36500)
        .default(35)
        .describe('Days each daily recovery point is kept. Default: 35.'),
      scheduleCron: z
        .string()
        .regex(/^cron\(.+\)$/)
        .default('cron(0 2 * * ? *)')
        .describe('When the daily backup starts (UTC, AWS cron syntax). Default: cron(0 2 * * ? *), 02:00.'),
    })
    .default({ retentionDays: 35, scheduleCron: 'cron(0 2 * * ? *)' })
    .describe('The AWS Backup plan. Default: daily at 02:00 UTC, kept 35 days.'),
});

export const magentoMountSchema = z.strictObject({
  /** Path inside the Magento release (document 1: pub/media, pub/static, sitemap, client). */
  path: z.string().regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/, {
    error: (issue) => `${show(issue.input)} is not a relative path inside the release such as pub/media`,
  }),
  /** The share mounted there, one of `storage.shares`. */
  share: shareName,
});
