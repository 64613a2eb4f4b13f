import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { NFS_MAX_ENVIRONMENTS, NFS_SLOTS_PER_ENVIRONMENT } from '../../config/data-schema.ts';
import type { Platform } from '../../config/schema.ts';

/**
 * The clients' web user, `webapp` on the Beanstalk PHP platforms: it owns the root of
 * every share, so that Magento (and the connector's FTP user, in its group) can write.
 */
export const WEB_USER = { uid: 900, gid: 900 } as const;

/** One share: an environment's (`prod/client-media`) or the connector's (`connector-ftp`). */
export interface FileShare {
  /** `<env>/<share>` for Magento's shares, the share's name for the connector's. */
  readonly key: string;
  /** Volume size; EFS ignores it (it grows as needed). */
  readonly sizeGiB: number;
  /**
   * Where the share sits among the server's volumes, fixed for its lifetime: environment
   * `e`'s share `s` (their positions in the config) takes slot `e * NFS_SLOTS_PER_ENVIRONMENT + s`,
   * the connector's the last. Appending a share or an environment leaves every existing
   * share's slot, and so its volume attachment, as it was.
   */
  readonly slot: number;
}

/** The connector's share takes the slot after every environment's block. */
export const CONNECTOR_SLOT = NFS_SLOTS_PER_ENVIRONMENT * NFS_MAX_ENVIRONMENTS;

/** A group admitted to the shares. */
export interface FileShareClient {
  readonly name: string;
  readonly securityGroup: ec2.ISecurityGroup;
}

/** What the Magento and connector instances mount, whichever server holds the shares. */
export interface FileShares {
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * What a client mounts for the share: `nfs.<internal domain>:/exports/<key>` for the NFS
   * server, `<file system id>:<access point id>` for EFS (mounted with efs-utils and TLS).
   */
  mountSource(key: string): string;
  /**
   * What a client's instance role needs to mount the shares of `keys`, beyond the network: EFS
   * mounts with IAM (ClientMount and ClientWrite through the shares' access points); the NFS
   * server needs nothing.
   */
  clientStatements(keys: readonly string[]): iam.PolicyStatement[];
}

/** Every share of the platform: each environment's Magento shares, then the connector's. */
export function platformShares(platform: Platform): FileShare[] {
  return [
    ...platform.environments.flatMap((environment, e) =>
      platform.storage.shares.map((share, s) => ({
        key: `${environment.name}/${share.name}`,
        // EFS ignores the size; the schema requires it for every environment on the NFS server.
        sizeGiB: share.sizeGiB[environment.name] ?? 1,
        slot: e * NFS_SLOTS_PER_ENVIRONMENT + s,
      })),
    ),
    {
      key: platform.storage.connectorShare.name,
      sizeGiB: platform.storage.connectorShare.sizeGiB,
      slot: CONNECTOR_SLOT,
    },
  ];
}
