// The NFS server's user data (hosting document, section 6.C): a config header generated from
// the shares, followed by the static body in setup-nfs-server.sh. Free of aws-cdk-lib. A volume
// id may still be a CDK token (`${Token[...]}`) here: it is only written out as text, and CDK
// resolves it inside the user data string.

import { parseCidr } from '../../config/cidr.ts';
import { readAssetFile } from '../asset-files.ts';

export interface NfsShareVolume {
  /** Share name, `[a-z0-9-]+`, unique, e.g. `prod-client-media`. Used in logs and errors. */
  readonly name: string;
  /** The EBS volume id (`vol-...`), or a CDK token that resolves to one. */
  readonly volumeId: string;
  /** Absolute path where the volume is mounted and exported, e.g. `/exports/prod/client-media`. */
  readonly mountPoint: string;
}

export interface NfsServerUserDataProps {
  readonly shares: readonly NfsShareVolume[];
  /** The client CIDR blocks (the private subnets) that every share is exported to. */
  readonly exportCidrs: readonly string[];
  /** How long the script waits for the volumes to be attached before it fails. */
  readonly waitTimeoutSeconds: number;
  /** Owner of a freshly formatted share's root: the clients' web user (root_squash forbids root). */
  readonly shareOwner: { readonly uid: number; readonly gid: number };
  /**
   * The CloudWatch namespace the CloudWatch agent publishes each share's `disk_used_percent` in,
   * with the share's mount point as its only dimension, `path` (see {@link cloudWatchAgentConfig}).
   */
  readonly diskMetricsNamespace: string;
}

const SCRIPT_NAME = 'setup-nfs-server.sh';
const SCRIPT_IN_PROJECT = `src/assets/nfs-server/${SCRIPT_NAME}`;

const SHARE_NAME = /^[a-z0-9-]+$/;
const VOLUME_ID = /^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
// Plain path characters only: fstab and exports would need escapes for anything else.
const MOUNT_POINT = /^(?:\/[A-Za-z0-9._-]+)+$/;
const TOKEN_MARKER = '${Token[';
// CloudWatch's rules for a namespace: up to 255 of these characters, and AWS/ is AWS's own.
const NAMESPACE = /^[A-Za-z0-9 ._/#:-]{1,255}$/;

function isToken(value: string): boolean {
  return value.includes(TOKEN_MARKER);
}

/** Single-quotes a value for bash. A CDK token inside stays as it is, for CDK to resolve. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function validate(props: NfsServerUserDataProps): string[] {
  const errors: string[] = [];
  const { shares, exportCidrs, waitTimeoutSeconds } = props;

  if (shares.length === 0) errors.push('shares must list at least one share');
  const names = new Map<string, number>();
  const volumes = new Map<string, number>();
  const mounts = new Map<string, number>();
  shares.forEach((share, index) => {
    const at = `shares[${index}]`;
    if (!SHARE_NAME.test(share.name)) {
      errors.push(`${at}.name ${JSON.stringify(share.name)} must match [a-z0-9-]+`);
    } else if (names.has(share.name)) {
      errors.push(`${at}.name ${JSON.stringify(share.name)} is already the name of shares[${names.get(share.name)}]`);
    } else {
      names.set(share.name, index);
    }

    if (share.volumeId === '') {
      errors.push(`${at}.volumeId is empty`);
    } else if (!isToken(share.volumeId) && !VOLUME_ID.test(share.volumeId)) {
      errors.push(
        `${at}.volumeId ${JSON.stringify(share.volumeId)} is not an EBS volume id (vol- and 8 or 17 hex digits)`,
      );
    } else if (volumes.has(share.volumeId)) {
      errors.push(`${at}.volumeId ${share.volumeId} is already the volume of shares[${volumes.get(share.volumeId)}]`);
    } else {
      volumes.set(share.volumeId, index);
    }

    const mountPoint = share.mountPoint;
    if (!mountPoint.startsWith('/')) {
      errors.push(`${at}.mountPoint ${JSON.stringify(mountPoint)} must be an absolute path`);
    } else if (/\s/.test(mountPoint)) {
      errors.push(`${at}.mountPoint ${JSON.stringify(mountPoint)} must not contain spaces`);
    } else if (!MOUNT_POINT.test(mountPoint) || mountPoint.split('/').some((part) => part === '.' || part === '..')) {
      errors.push(
        `${at}.mountPoint ${JSON.stringify(mountPoint)} must be a plain path like /exports/<env>/<share>: ` +
          'letters, digits, ".", "_", "-" between single slashes, no trailing slash, no . or .. parts',
      );
    } else if (mounts.has(mountPoint)) {
      errors.push(`${at}.mountPoint ${mountPoint} is already the mount point of shares[${mounts.get(mountPoint)}]`);
    } else {
      mounts.set(mountPoint, index);
    }
  });
  // A mount point inside another would depend on mount order, and exporting both nests exports.
  for (const [inner, innerIndex] of mounts) {
    for (const [outer, outerIndex] of mounts) {
      if (inner.startsWith(`${outer}/`)) {
        errors.push(`shares[${innerIndex}].mountPoint ${inner} is inside shares[${outerIndex}].mountPoint ${outer}`);
      }
    }
  }

  if (exportCidrs.length === 0) errors.push('exportCidrs must list at least one CIDR block');
  const cidrs = new Set<string>();
  exportCidrs.forEach((cidr, index) => {
    const at = `exportCidrs[${index}]`;
    if (!isToken(cidr)) {
      const parsed = parseCidr(cidr);
      if (!parsed.ok) errors.push(`${at} ${JSON.stringify(cidr)} ${parsed.reason}`);
    }
    if (cidrs.has(cidr)) errors.push(`${at} ${cidr} is listed twice`);
    cidrs.add(cidr);
  });

  if (!Number.isSafeInteger(waitTimeoutSeconds) || waitTimeoutSeconds <= 0) {
    errors.push(`waitTimeoutSeconds must be a positive whole number of seconds (got ${waitTimeoutSeconds})`);
  }
  for (const id of ['uid', 'gid'] as const) {
    const value = props.shareOwner[id];
    if (!Number.isSafeInteger(value) || value <= 0) {
      errors.push(`shareOwner.${id} must be a non-root id, a positive whole number (got ${value})`);
    }
  }
  const namespace = props.diskMetricsNamespace;
  if (!NAMESPACE.test(namespace) || namespace.startsWith('AWS/')) {
    errors.push(
      `diskMetricsNamespace ${JSON.stringify(namespace)} is not a CloudWatch namespace of your own ` +
        '(1 to 255 letters, digits or . _ / # : - and spaces, not under AWS/)',
    );
  }
  return errors;
}

/**
 * The CloudWatch agent's configuration: every 60 s, the used percentage of each share's
 * filesystem, as `disk_used_percent` (the agent names a metric <plugin>_<measurement>) in the
 * namespace, with the share's mount point as the dimension `path`, the one an alarm names.
 *
 * The disk plugin tags each value with path, device, fstype, mode and the host name. The agent
 * always drops mode; drop_device drops the device (an NVMe name, which Nitro may change at a
 * reboot) and omit_hostname the host (a new server would start new metrics). No
 * append_dimensions: an InstanceId would likewise change with a replaced server, and the alarms
 * would lose their metric. fstype cannot be dropped, so aggregation_dimensions [["path"]] has the
 * agent publish each value a second time with `path` alone: that is the metric the alarms
 * watch. The agent still publishes the first one, with path and fstype (one more custom metric
 * per share): drop_original_metrics could suppress it, but the agent only rolls up to fewer
 * dimensions than the original has, so were fstype ever missing it would drop the one metric left.
 */
export function cloudWatchAgentConfig(mountPoints: readonly string[], namespace: string): string {
  const config = {
    agent: { metrics_collection_interval: 60, omit_hostname: true },
    metrics: {
      namespace,
      metrics_collected: {
        disk: { measurement: ['used_percent'], resources: [...mountPoints], drop_device: true },
      },
      aggregation_dimensions: [['path']],
    },
  };
  // On one line: EC2 takes 16 KB of user data at most.
  return JSON.stringify(config);
}

function configHeader(props: NfsServerUserDataProps): string {
  const shareLines = props.shares.map(
    (share) => `  ${shellQuote(share.name)} ${shellQuote(share.volumeId)} ${shellQuote(share.mountPoint)}`,
  );
  return [
    '# storestack NFS server (hosting document 6.C), generated by src/assets/nfs-server/render.ts.',
    '# Each share: its name, its EBS volume id and its mount point.',
    'NFS_SHARES=(',
    ...shareLines,
    ')',
    '# The clients that every share is exported to (the private subnets).',
    `NFS_EXPORT_CIDRS=(${props.exportCidrs.map(shellQuote).join(' ')})`,
    '# How long to wait for the volumes to be attached, in seconds.',
    `NFS_WAIT_SECONDS=${props.waitTimeoutSeconds}`,
    `NFS_SHARE_OWNER=${shellQuote(`${props.shareOwner.uid}:${props.shareOwner.gid}`)}`,
    "# The CloudWatch agent's configuration: the disk usage of each share's mount point.",
    `NFS_AGENT_CONFIG=${shellQuote(
      cloudWatchAgentConfig(
        props.shares.map((share) => share.mountPoint),
        props.diskMetricsNamespace,
      ),
    )}`,
    '',
  ].join('\n');
}

/**
 * The whole user data script: `#!/bin/bash`, the config header, then setup-nfs-server.sh
 * without its own shebang line. Throws one error listing every invalid field.
 */
export function renderNfsServerUserData(props: NfsServerUserDataProps): string {
  const errors = validate(props);
  if (errors.length > 0) {
    throw new Error(`Invalid NFS server user data:\n  - ${errors.join('\n  - ')}`);
  }
  const body = readAssetFile(import.meta.dirname, SCRIPT_IN_PROJECT).replace(/^#!.*\n/, '');
  return `#!/bin/bash\n${configHeader(props)}${body}`;
}
