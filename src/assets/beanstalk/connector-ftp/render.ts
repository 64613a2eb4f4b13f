// The connector's FTP server (hosting document, section 3) as files of the connector's release
// bundle: a postdeploy platform hook, a config header generated from the props followed by the
// static body beside this module (setup-ftp.sh), and the files it installs from
// .platform/storestack/connector-ftp. Free of aws-cdk-lib; every value is known at release time.
import { readAssetFile } from '../../asset-files.ts';
import type { BundleFile } from '../magento/hooks/render.ts';
import {
  DEFAULT_FTP_PORT,
  DEFAULT_VSFTPD_PAM_SERVICE,
  passivePortErrors,
  renderVsftpdConfig,
  renderVsftpdPamService,
  VSFTPD_PASV_ADDRESS_PLACEHOLDER,
} from './vsftpd.ts';

export type { BundleFile };

export interface ConnectorFtpParameterPaths {
  /** The connector share's mount source (`host:/path` or `fs-...:fsap-...`), e.g. `/storestack/shared/shares/connector`. */
  readonly shareSource: string;
  /** The ARN of the secret `{"password": "..."}`, e.g. `/storestack/apps/connector/ftp-secret-arn`. */
  readonly ftpSecretArn: string;
  /** The gateway's public IPv4 address, e.g. `/storestack/apps/gateways/<gatewayName>/public-ip`. */
  readonly gatewayPublicIp: string;
}

export interface ConnectorFtpProps {
  /** The FTP account (config `apps.connector.ftp.user`); distinct from the web user. */
  readonly ftpUser: string;
  /** vsftpd's passive data ports (config `apps.connector.ftp.passivePorts`), forwarded by the gateway. */
  readonly passivePorts: { readonly from: number; readonly to: number };
  /** The web root's directory linked to the FTP root (config `apps.connector.ftp.uploadDirectory`), e.g. `ftp`. */
  readonly uploadDirectory: string;
  /** The user PHP runs as, whose group the FTP user joins: `webapp` on the Beanstalk PHP platforms. */
  readonly webUser: string;
  /** The region of the SSM parameters and the secret. */
  readonly region: string;
  /** The SSM parameters the hook reads at deploy time. */
  readonly parameterPaths: ConnectorFtpParameterPaths;
  /** The gateway that forwards the FTP ports to the connector, for the messages. */
  readonly gatewayName: string;
  /** Where the connector's share is mounted for the life of the instance: the FTP root, e.g. `/mnt/storestack/connector-ftp`. */
  readonly mountPoint: string;
  /** What serves the share: the NFS server (NFSv4.1) or EFS (efs-utils, TLS, the instance role, an access point). */
  readonly fileSystem: 'nfs-server' | 'efs';
  /** How long the share may take to mount before the deploy fails on the instance. */
  readonly mountTimeoutSeconds: number;
}

/** Where the hook lands in the bundle. */
export const FTP_HOOK_BUNDLE_PATH = '.platform/hooks/postdeploy/30-ftp.sh';
/** The directory of the bundle holding the files the hook installs. */
export const FTP_FILES_BUNDLE_DIR = '.platform/storestack/connector-ftp';
/** Where the hook installs vsftpd's configuration (the path the package's unit and ours use). */
export const VSFTPD_CONFIG_FILE = '/etc/vsftpd/vsftpd.conf';
/** The allow list of FTP users, written by the hook: the FTP user alone. */
export const VSFTPD_USERLIST_FILE = '/etc/vsftpd/storestack-user_list';

const BODY = 'setup-ftp.sh';
const BODY_IN_PROJECT = `src/assets/beanstalk/connector-ftp/${BODY}`;
const MAX_MOUNT_TIMEOUT_SECONDS = 3600;

const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;
// Accounts of the system and the platform that must not become the FTP account.
const RESERVED_USERS = ['root', 'bin', 'daemon', 'adm', 'nobody', 'ftp', 'apache', 'nginx', 'ec2-user', 'healthd'];
const GATEWAY_NAME = /^[a-z][a-z0-9]{0,15}$/;
const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ABSOLUTE_PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;
const RELEASE_PATH = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;

/** Single-quotes a value for bash. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function assign(name: string, value: string | number): string {
  return `${name}=${typeof value === 'number' ? value : shellQuote(value)}`;
}

function validate(props: ConnectorFtpProps): string[] {
  const errors: string[] = [];
  const { ftpUser, webUser, mountPoint, mountTimeoutSeconds } = props;
  if (!USER_NAME.test(ftpUser)) {
    errors.push(`ftpUser ${JSON.stringify(ftpUser)} is not a Linux user name ([a-z_][a-z0-9_-]{0,30})`);
  } else if (RESERVED_USERS.includes(ftpUser)) {
    errors.push(`ftpUser ${ftpUser} is a system account; choose a dedicated FTP user`);
  } else if (ftpUser === webUser) {
    errors.push(`ftpUser ${ftpUser} must be distinct from the web user`);
  }
  if (!USER_NAME.test(webUser)) errors.push(`webUser ${JSON.stringify(webUser)} is not a Linux user name`);
  if (!RELEASE_PATH.test(props.uploadDirectory)) {
    errors.push(
      `uploadDirectory ${JSON.stringify(props.uploadDirectory)} must be a relative path inside the web root such as media/import`,
    );
  }
  if (!REGION.test(props.region)) {
    errors.push(`region ${JSON.stringify(props.region)} is not an AWS region such as eu-west-3`);
  }
  const names = props.parameterPaths ?? {};
  for (const key of ['shareSource', 'ftpSecretArn', 'gatewayPublicIp'] as const) {
    const name = names[key];
    if (typeof name !== 'string' || !PARAMETER_NAME.test(name)) {
      errors.push(
        `parameterPaths.${key} ${JSON.stringify(name)} must be an SSM parameter name such as /storestack/...`,
      );
    }
  }
  if (!GATEWAY_NAME.test(props.gatewayName)) {
    errors.push(
      `gatewayName ${JSON.stringify(props.gatewayName)} is not a gateway name (lower-case letters and digits)`,
    );
  }
  if (!ABSOLUTE_PATH.test(mountPoint) || mountPoint.split('/').some((part) => part === '.' || part === '..')) {
    errors.push(
      `mountPoint ${JSON.stringify(mountPoint)} must be a plain absolute path such as /mnt/storestack/connector-ftp`,
    );
  } else if (mountPoint === '/var/app' || mountPoint.startsWith('/var/app/')) {
    errors.push(`mountPoint ${mountPoint} must be outside /var/app, which Beanstalk replaces on every deploy`);
  }
  errors.push(...passivePortErrors(props.passivePorts, DEFAULT_FTP_PORT));
  if (props.fileSystem !== 'nfs-server' && props.fileSystem !== 'efs') {
    errors.push(`fileSystem ${JSON.stringify(props.fileSystem)} must be nfs-server or efs`);
  }
  if (
    !Number.isSafeInteger(mountTimeoutSeconds) ||
    mountTimeoutSeconds <= 0 ||
    mountTimeoutSeconds > MAX_MOUNT_TIMEOUT_SECONDS
  ) {
    errors.push(
      `mountTimeoutSeconds must be a whole number of seconds from 1 to ${MAX_MOUNT_TIMEOUT_SECONDS} (got ${mountTimeoutSeconds})`,
    );
  }
  return errors;
}

/** The vsftpd.conf the bundle ships: the gateway's IP is left for the hook to fill in. */
function vsftpdTemplate(props: ConnectorFtpProps): string {
  return renderVsftpdConfig({
    ftpRoot: props.mountPoint,
    passivePorts: props.passivePorts,
    pasvAddress: VSFTPD_PASV_ADDRESS_PLACEHOLDER,
    userlistFile: VSFTPD_USERLIST_FILE,
    listenPort: DEFAULT_FTP_PORT,
    pamServiceName: DEFAULT_VSFTPD_PAM_SERVICE,
  });
}

/**
 * A systemd drop-in for vsftpd.service: runs the daemon in the foreground with our config, whatever
 * the package's unit says (its type must agree with `background`), restarts it when it dies, and
 * starts it only once the share is mounted (a missing share keeps the FTP down, not empty).
 */
function systemdDropIn(props: ConnectorFtpProps): string {
  return [
    '# storestack: the connector FTP server, generated by src/assets/beanstalk/connector-ftp/render.ts.',
    '[Unit]',
    `RequiresMountsFor=${props.mountPoint}`,
    '',
    '[Service]',
    'Type=simple',
    'ExecStart=',
    `ExecStart=/usr/sbin/vsftpd ${VSFTPD_CONFIG_FILE}`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
  ].join('\n');
}

function hook(props: ConnectorFtpProps): string {
  const body = readAssetFile(import.meta.dirname, BODY_IN_PROJECT).replace(/^#!.*\n/, '');
  return [
    '#!/bin/bash',
    `# storestack, generated by src/assets/beanstalk/connector-ftp/render.ts from ${BODY}.`,
    assign('FTP_USER', props.ftpUser),
    assign('FTP_WEB_USER', props.webUser),
    assign('FTP_UPLOAD_DIRECTORY', props.uploadDirectory),
    assign('FTP_REGION', props.region),
    assign('FTP_SHARE_PARAMETER', props.parameterPaths.shareSource),
    assign('FTP_SECRET_ARN_PARAMETER', props.parameterPaths.ftpSecretArn),
    assign('FTP_GATEWAY_IP_PARAMETER', props.parameterPaths.gatewayPublicIp),
    assign('FTP_GATEWAY_NAME', props.gatewayName),
    assign('FTP_MOUNT_POINT', props.mountPoint),
    assign('FTP_FILE_SYSTEM', props.fileSystem),
    assign('FTP_MOUNT_TIMEOUT_SECONDS', props.mountTimeoutSeconds),
    assign('FTP_FILES_BUNDLE_DIR', FTP_FILES_BUNDLE_DIR),
    assign('FTP_VSFTPD_CONFIG', VSFTPD_CONFIG_FILE),
    assign('FTP_USERLIST_FILE', VSFTPD_USERLIST_FILE),
    assign('FTP_PAM_SERVICE', DEFAULT_VSFTPD_PAM_SERVICE),
    assign('FTP_PASV_ADDRESS_PLACEHOLDER', VSFTPD_PASV_ADDRESS_PLACEHOLDER),
    body,
  ].join('\n');
}

/**
 * The connector bundle's FTP files: the postdeploy hook that mounts the connector's share, creates
 * the FTP user, links the upload directory of the web root to the share and runs vsftpd; and the
 * vsftpd configuration, PAM service and systemd drop-in it installs. Throws one error listing
 * every invalid prop.
 */
export function renderConnectorFtpFiles(props: ConnectorFtpProps): BundleFile[] {
  const errors = validate(props);
  if (errors.length > 0) {
    throw new Error(`Invalid connector FTP files:\n  - ${errors.join('\n  - ')}`);
  }
  const file = (name: string, content: string): BundleFile => ({
    path: `${FTP_FILES_BUNDLE_DIR}/${name}`,
    content,
    mode: 0o644,
  });
  return [
    { path: FTP_HOOK_BUNDLE_PATH, content: hook(props), mode: 0o755 },
    file('vsftpd.conf', vsftpdTemplate(props)),
    file('vsftpd.pam', renderVsftpdPamService({ userlistFile: VSFTPD_USERLIST_FILE })),
    file('vsftpd.service.conf', systemdDropIn(props)),
  ];
}
