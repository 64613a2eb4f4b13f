// vsftpd's configuration for the connector's FTP server (document section 3), and the PAM service
// it authenticates with. Pure functions from props to text; the deploy hook (render.ts) ships them
// in the bundle, and the tests run the real vsftpd with them.

/** Stands for the gateway's public IP in the bundle's vsftpd.conf; the deploy hook fills it in from SSM. */
export const VSFTPD_PASV_ADDRESS_PLACEHOLDER = '@STORESTACK_PASV_ADDRESS@';
/** vsftpd's own PAM service minus pam_shells: the FTP user's shell is /sbin/nologin. */
export const DEFAULT_VSFTPD_PAM_SERVICE = 'storestack-vsftpd';
/** Amazon Linux 2023's (Fedora's) default; exists on every instance (package filesystem). */
export const DEFAULT_SECURE_CHROOT_DIR = '/usr/share/empty';
export const DEFAULT_XFERLOG_FILE = '/var/log/xferlog';
export const DEFAULT_FTP_PORT = 21;

export interface VsftpdConfigProps {
  /** The FTP root (`local_root`), where the user is chrooted: the connector's share, e.g. `/mnt/storestack/connector-ftp`. */
  readonly ftpRoot: string;
  /** vsftpd's passive data ports, both ends included; the gateway forwards them port for port. */
  readonly passivePorts: { readonly from: number; readonly to: number };
  /**
   * The IPv4 address vsftpd advertises in its PASV replies (`pasv_address`): the gateway's public
   * IP, or `VSFTPD_PASV_ADDRESS_PLACEHOLDER` for a template the deploy hook fills in.
   */
  readonly pasvAddress: string;
  /** The file listing the only users allowed to log in (`userlist_file`, `userlist_deny=NO`). */
  readonly userlistFile: string;
  /** @default 21 */
  readonly listenPort?: number;
  /** The IPv4 address to listen on. @default - every IPv4 address of the instance */
  readonly listenAddress?: string;
  /** The PAM service vsftpd authenticates with (`/etc/pam.d/<name>`). @default 'storestack-vsftpd' */
  readonly pamServiceName?: string;
  /** An empty directory, not writable by the FTP user, for vsftpd's unprivileged processes. @default '/usr/share/empty' */
  readonly secureChrootDir?: string;
  /** The transfer log. @default '/var/log/xferlog' */
  readonly xferlogFile?: string;
  /**
   * vsftpd's seccomp filter on its session processes. vsftpd 3.0's filter predates the system
   * calls of current C libraries: with it on, Debian 12's vsftpd kills every passive transfer
   * ("500 OOPS: child died"; Debian ships it off). Turn it on only once checked on the platform.
   * @default false
   */
  readonly seccompSandbox?: boolean;
}

export interface VsftpdPamProps {
  /** The same file as the config's `userlistFile`: PAM refuses every other user too. */
  readonly userlistFile: string;
  /** The system's PAM stack the service includes for auth, account and session. @default 'password-auth' (Amazon Linux 2023) */
  readonly systemStack?: string;
}

// Plain path characters only: vsftpd's config and PAM files have no quoting.
const ABSOLUTE_PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PAM_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
// vsftpd's unprivileged process opens the passive listener: privileged ports are out of its reach.
const FIRST_UNPRIVILEGED_PORT = 1024;

function plainPath(what: string, value: unknown, errors: string[]): void {
  if (
    typeof value !== 'string' ||
    !ABSOLUTE_PATH.test(value) ||
    value.split('/').some((part) => part === '.' || part === '..')
  ) {
    errors.push(
      `${what} ${JSON.stringify(value)} must be a plain absolute path: letters, digits, ".", "_", "-" ` +
        'between single slashes, no trailing slash, no . or .. parts',
    );
  }
}

function port(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** What is wrong with a passive port range served beside the control port `listenPort`. */
export function passivePortErrors(
  passivePorts: { readonly from: number; readonly to: number } | undefined,
  listenPort: number = DEFAULT_FTP_PORT,
): string[] {
  const errors: string[] = [];
  const { from, to } = passivePorts ?? {};
  if (!port(from)) errors.push(`passivePorts.from ${JSON.stringify(from)} is not a TCP port (1-65535)`);
  if (!port(to)) errors.push(`passivePorts.to ${JSON.stringify(to)} is not a TCP port (1-65535)`);
  if (port(from) && port(to)) {
    if (to < from) errors.push(`passivePorts.to ${to} must not be below passivePorts.from ${from}`);
    if (from < FIRST_UNPRIVILEGED_PORT) {
      errors.push(
        `passivePorts.from ${from} must be ${FIRST_UNPRIVILEGED_PORT} or above: vsftpd opens them unprivileged`,
      );
    }
    if (port(listenPort) && listenPort >= from && listenPort <= to) {
      errors.push(`listenPort ${listenPort} is inside passivePorts ${from}-${to}`);
    }
  }
  if (!port(listenPort)) errors.push(`listenPort ${JSON.stringify(listenPort)} is not a TCP port (1-65535)`);
  return errors;
}

/** Every problem of the props, one message each. */
export function vsftpdConfigErrors(props: VsftpdConfigProps): string[] {
  const errors: string[] = [];
  plainPath('ftpRoot', props.ftpRoot, errors);
  if (props.ftpRoot === '/') errors.push('ftpRoot must not be /');
  plainPath('userlistFile', props.userlistFile, errors);
  if (props.secureChrootDir !== undefined) plainPath('secureChrootDir', props.secureChrootDir, errors);
  if (props.xferlogFile !== undefined) plainPath('xferlogFile', props.xferlogFile, errors);

  errors.push(...passivePortErrors(props.passivePorts, props.listenPort ?? DEFAULT_FTP_PORT));
  if (props.pasvAddress !== VSFTPD_PASV_ADDRESS_PLACEHOLDER && !IPV4.test(props.pasvAddress)) {
    errors.push(
      `pasvAddress ${JSON.stringify(props.pasvAddress)} must be an IPv4 address (the gateway's public IP) ` +
        `or ${VSFTPD_PASV_ADDRESS_PLACEHOLDER}`,
    );
  }
  if (props.listenAddress !== undefined && !IPV4.test(props.listenAddress)) {
    errors.push(`listenAddress ${JSON.stringify(props.listenAddress)} must be an IPv4 address`);
  }
  if (props.pamServiceName !== undefined && !PAM_NAME.test(props.pamServiceName)) {
    errors.push(`pamServiceName ${JSON.stringify(props.pamServiceName)} must match [a-z0-9][a-z0-9._-]*`);
  }
  if (props.seccompSandbox !== undefined && typeof props.seccompSandbox !== 'boolean') {
    errors.push(`seccompSandbox ${JSON.stringify(props.seccompSandbox)} must be true or false`);
  }
  return errors;
}

function yes(value: boolean): string {
  return value ? 'YES' : 'NO';
}

/**
 * vsftpd.conf for the connector's FTP server: one local user, chrooted into the FTP root,
 * uploading group-writable files, in passive mode only, plain FTP as the document describes it.
 * vsftpd runs in the foreground (`background=NO`): systemd (or the test) supervises the listener.
 * Throws one error listing every invalid prop.
 */
export function renderVsftpdConfig(props: VsftpdConfigProps): string {
  const errors = vsftpdConfigErrors(props);
  if (errors.length > 0) {
    throw new Error(`Invalid vsftpd configuration:\n  - ${errors.join('\n  - ')}`);
  }
  const lines = [
    '# storestack: the connector FTP server (hosting document, section 3), generated by',
    '# src/assets/beanstalk/connector-ftp/vsftpd.ts. Changes here are replaced at the next deploy.',
    '',
    '# One IPv4 listener in the foreground, supervised by systemd.',
    'listen=YES',
    'listen_ipv6=NO',
    `listen_port=${props.listenPort ?? DEFAULT_FTP_PORT}`,
    ...(props.listenAddress === undefined ? [] : [`listen_address=${props.listenAddress}`]),
    'background=NO',
    '',
    '# Local users only, and only those of the user list; authenticated by a PAM service that does',
    '# not require a login shell (the FTP user has none).',
    'anonymous_enable=NO',
    'local_enable=YES',
    'write_enable=YES',
    'userlist_enable=YES',
    'userlist_deny=NO',
    `userlist_file=${props.userlistFile}`,
    `pam_service_name=${props.pamServiceName ?? DEFAULT_VSFTPD_PAM_SERVICE}`,
    '',
    '# The user is jailed in the FTP root, the connector share, which must stay writable: the web',
    "# application (the web user's group) and the FTP clients both write at its top level.",
    `local_root=${props.ftpRoot}`,
    'chroot_local_user=YES',
    'allow_writeable_chroot=YES',
    `secure_chroot_dir=${props.secureChrootDir ?? DEFAULT_SECURE_CHROOT_DIR}`,
    `seccomp_sandbox=${yes(props.seccompSandbox ?? false)}`,
    '',
    '# Uploads are group-writable (0664, directories 0775, setgid inherited) for the web user, and',
    '# clients cannot change that (SITE CHMOD is refused).',
    'local_umask=002',
    'file_open_mode=0666',
    'chmod_enable=NO',
    '',
    '# Passive mode only, through the gateway: it forwards the control port and the passive range port',
    '# for port, and vsftpd advertises its public address. Active mode (PORT) is refused.',
    'pasv_enable=YES',
    `pasv_min_port=${props.passivePorts.from}`,
    `pasv_max_port=${props.passivePorts.to}`,
    `pasv_address=${props.pasvAddress}`,
    'pasv_addr_resolve=NO',
    'port_enable=NO',
    'connect_from_port_20=NO',
    '',
    '# Every transfer is logged.',
    'xferlog_enable=YES',
    'xferlog_std_format=YES',
    `xferlog_file=${props.xferlogFile ?? DEFAULT_XFERLOG_FILE}`,
    '',
    '# Plain FTP, as the document describes it: the gateway admits whitelisted sources only.',
    'ssl_enable=NO',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The PAM service vsftpd authenticates with: the package's own (/etc/pam.d/vsftpd) without
 * pam_shells, which refuses users whose shell is not in /etc/shells (/sbin/nologin is not), and
 * with the user list as an allow list, so that no other account can log in even if vsftpd's own
 * check were off.
 */
export function renderVsftpdPamService(props: VsftpdPamProps): string {
  const errors: string[] = [];
  plainPath('userlistFile', props.userlistFile, errors);
  const stack = props.systemStack ?? 'password-auth';
  if (!PAM_NAME.test(stack)) errors.push(`systemStack ${JSON.stringify(stack)} must match [a-z0-9][a-z0-9._-]*`);
  if (errors.length > 0) {
    throw new Error(`Invalid vsftpd PAM service:\n  - ${errors.join('\n  - ')}`);
  }
  return [
    '#%PAM-1.0',
    '# storestack: the connector FTP server, generated by src/assets/beanstalk/connector-ftp/vsftpd.ts.',
    "# vsftpd's own service without pam_shells (the FTP user has no login shell), and only the",
    '# users of the list.',
    'session    optional     pam_keyinit.so force revoke',
    `auth       required     pam_listfile.so item=user sense=allow file=${props.userlistFile} onerr=fail`,
    `auth       include      ${stack}`,
    `account    include      ${stack}`,
    'session    required     pam_loginuid.so',
    `session    include      ${stack}`,
    '',
  ].join('\n');
}
