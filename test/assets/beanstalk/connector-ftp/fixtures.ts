// Sample props for the connector's FTP files, and a sandbox that runs the rendered hook with the
// system commands stubbed on PATH. No real system command is reachable: PATH holds only the stubs
// and a few file utilities, so a command missing from the stubs fails with "not found".
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConnectorFtpProps,
  FTP_HOOK_BUNDLE_PATH,
  renderConnectorFtpFiles,
} from '../../../../src/assets/beanstalk/connector-ftp/render.ts';
import { bundleFile } from '../../bundle.ts';
import { MountingStubSandbox, type TimedRunResult } from '../../sandbox.ts';
import {
  AWS_PARAMETERS_STUB,
  FINDMNT_STUB,
  MOUNTPOINT_STUB,
  mountStub,
  RPM_STUB,
  RUNUSER_STUB,
  realCommand,
} from '../../stubbed-commands.ts';

export { bundleFile };

export const SHARE_PARAMETER = '/storestack/shared/shares/connector';
export const SECRET_ARN_PARAMETER = '/storestack/apps/connector/ftp-secret-arn';
export const GATEWAY_IP_PARAMETER = '/storestack/apps/gateways/ftp/public-ip';
export const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:storestack/connector/ftp-AbCdEf';
export const NFS_SOURCE = 'nfs.internal-client.url:/exports/connector-ftp';
export const EFS_SOURCE = 'fs-0123456789abcdef0:fsap-0a1b2c3d4e5f60708';
export const GATEWAY_IP = '203.0.113.21';
/** Everything a shell or a log could mangle or reveal: quotes, $, spaces, a colon, a backslash. */
export const PASSWORD = `S3cr'et "pa$$" word:\\with spaces`;
export const SECRET_VERSION = 'a1b2c3d4-5678-90ab-cdef-111111111111';

export function sampleProps(change: Partial<ConnectorFtpProps> = {}): ConnectorFtpProps {
  return {
    ftpUser: 'ftpconnector',
    passivePorts: { from: 30000, to: 30009 },
    uploadDirectory: 'ftp',
    webUser: 'webapp',
    region: 'eu-west-3',
    parameterPaths: {
      shareSource: SHARE_PARAMETER,
      ftpSecretArn: SECRET_ARN_PARAMETER,
      gatewayPublicIp: GATEWAY_IP_PARAMETER,
    },
    gatewayName: 'ftp',
    mountPoint: '/mnt/storestack/connector-ftp',
    fileSystem: 'nfs-server',
    mountTimeoutSeconds: 300,
    ...change,
  };
}

// The real tools the hook and the stubs may use. Everything else on PATH is a stub.
const REAL_TOOLS = [
  'awk',
  'cat',
  'chmod',
  'cut',
  'find',
  'grep',
  'head',
  'ln',
  'mkdir',
  'mktemp',
  'mv',
  'readlink',
  'rm',
  'stat',
  'tail',
  'timeout',
  'touch',
  'wc',
];

// Every stub appends "<name> <arguments>" to $STUB_LOG. State lives in $STUB_STATE:
//   ssm/<name>                 what aws ssm get-parameter returns ("/" and ":" replaced by "%")
//   secrets/<arn>              what aws secretsmanager get-secret-value --output json returns
//   mounted                    "<mount point> <source> <type>" per mounted share
//   mount-fail/<source>        a count of attempts that fail before mount succeeds ("always": every one)
//   mount-hang/<dir>           mountpoint on that directory never returns
//   installed                  packages, for rpm
//   passwd, group              the accounts getent answers, useradd and usermod change
//   chpasswd-input             what chpasswd read on its standard input
//   chown-fail                 chown fails (a share with root_squash)
//   systemd/<unit>.enabled, systemd/<unit>.active, systemd/<unit>.fail (restart fails)
const STUBS: Record<string, string> = {
  aws: AWS_PARAMETERS_STUB,
  mount: mountStub(),
  mountpoint: MOUNTPOINT_STUB,
  findmnt: FINDMNT_STUB,
  rpm: RPM_STUB,
  // Every package named, not only the last.
  dnf: `
[[ $1 == install ]] || exit 1
shift
for arg; do [[ $arg == -* ]] || printf '%s\\n' "$arg" >>"$STUB_STATE/installed"; done`,
  getent: `
[[ ($1 == passwd || $1 == group) && $# == 2 ]] || { echo "stub getent: unexpected arguments: $*" >&2; exit 1; }
grep -m 1 "^$2:" "$STUB_STATE/$1" || exit 2`,
  useradd: `
gid='' home='' shell='' comment='' name=''
while (($#)); do
  case $1 in
  --gid) gid=$2; shift 2 ;;
  --home-dir) home=$2; shift 2 ;;
  --shell) shell=$2; shift 2 ;;
  --comment) comment=$2; shift 2 ;;
  --no-create-home) shift ;;
  -*) echo "stub useradd: unexpected option $1" >&2; exit 2 ;;
  *) name=$1; shift ;;
  esac
done
! grep -q "^$name:" "$STUB_STATE/passwd" || { echo "useradd: user '$name' already exists" >&2; exit 9; }
group_id=$(awk -F: -v g="$gid" '$1 == g { print $3 }' "$STUB_STATE/group")
[[ -n $group_id ]] || { echo "useradd: group '$gid' does not exist" >&2; exit 6; }
printf '%s:x:%s:%s:%s:%s:%s\\n' "$name" 2001 "$group_id" "$comment" "$home" "$shell" >>"$STUB_STATE/passwd"`,
  usermod: `
gid='' home='' shell='' name=''
while (($#)); do
  case $1 in
  --gid) gid=$2; shift 2 ;;
  --home) home=$2; shift 2 ;;
  --shell) shell=$2; shift 2 ;;
  -*) echo "stub usermod: unexpected option $1" >&2; exit 2 ;;
  *) name=$1; shift ;;
  esac
done
group_id=$(awk -F: -v g="$gid" '$1 == g { print $3 }' "$STUB_STATE/group")
awk -F: -v OFS=: -v n="$name" -v g="$group_id" -v h="$home" -v s="$shell" \\
  '$1 == n { $4 = g; $6 = h; $7 = s } { print }' "$STUB_STATE/passwd" >"$STUB_STATE/passwd.next"
mv "$STUB_STATE/passwd.next" "$STUB_STATE/passwd"`,
  // Keeps what it reads, for the test to check; its arguments alone reach the log.
  chpasswd: `
(($# == 0)) || { echo "stub chpasswd: unexpected arguments: $*" >&2; exit 2; }
cat >>"$STUB_STATE/chpasswd-input"`,
  // Runs the command as the test user: the sandbox belongs to it.
  runuser: RUNUSER_STUB,
  // Logged, not run: the test user owns the sandbox, and webapp need not exist here.
  chown: `
[[ ! -f "$STUB_STATE/chown-fail" ]] || { echo "chown: changing ownership of '\${*: -1}': Operation not permitted" >&2; exit 1; }`,
  chattr: '',
  systemctl: `
units="$STUB_STATE/systemd"
case $1 in
daemon-reload) ;;
enable) touch "$units/$2.enabled" ;;
restart)
  if [[ -f "$units/$2.fail" ]]; then echo "Job for $2.service failed because the control process exited with error code." >&2; exit 1; fi
  touch "$units/$2.active" ;;
is-enabled) [[ $2 == --quiet && -f "$units/$3.enabled" ]] ;;
is-active) [[ $2 == --quiet && -f "$units/$3.active" ]] ;;
*) echo "stub systemctl: unexpected arguments: $*" >&2; exit 2 ;;
esac`,
  // Logs and goes on sleeping for real, so the tests can see that the hook polled.
  sleep: realCommand('sleep'),
  // The hook parses the secret with PHP: the real CLI.
  php: realCommand('php'),
};

export type RunResult = TimedRunResult;

export class Sandbox extends MountingStubSandbox {
  /** The connector's share, as the hook mounts it: the FTP root. */
  readonly mountPoint: string;
  /** The live release, as Beanstalk leaves it for the postdeploy hooks. */
  readonly release: string;
  readonly fstab: string;
  readonly stateDir: string;
  readonly vsftpdConfig: string;
  readonly userlist: string;
  readonly pamDir: string;
  readonly systemdDir: string;

  constructor() {
    super({
      prefix: 'storestack-connector-ftp-',
      realpath: true,
      stubs: STUBS,
      realTools: REAL_TOOLS,
      stateDirs: ['ssm', 'secrets', 'mount-fail', 'mount-hang', 'systemd'],
      stateFiles: ['mounted', 'installed', 'chpasswd-input'],
    });
    this.mountPoint = join(this.root, 'mnt', 'storestack', 'connector-ftp');
    this.release = join(this.root, 'var', 'app', 'current');
    this.fstab = join(this.root, 'etc', 'fstab');
    this.stateDir = join(this.root, 'var', 'lib', 'storestack', 'connector-ftp');
    this.vsftpdConfig = join(this.root, 'etc', 'vsftpd', 'vsftpd.conf');
    this.userlist = join(this.root, 'etc', 'vsftpd', 'storestack-user_list');
    this.pamDir = join(this.root, 'etc', 'pam.d');
    this.systemdDir = join(this.root, 'etc', 'systemd', 'system');
    for (const dir of [this.release, join(this.root, 'etc', 'vsftpd'), this.pamDir]) {
      mkdirSync(dir, { recursive: true });
    }
    // The web user owns the sandbox: the test user's ids stand for webapp's.
    this.setWebUser(process.getuid?.() ?? 1000, process.getgid?.() ?? 1000);
    writeFileSync(this.fstab, 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1\n');
  }

  /** The props, with the sandbox's mount point. */
  props(change: Partial<ConnectorFtpProps> = {}): ConnectorFtpProps {
    return sampleProps({ mountPoint: this.mountPoint, ...change });
  }

  /** Writes the rendered bundle files into the release, as a deploy does; returns the hook. */
  deploy(change: Partial<ConnectorFtpProps> = {}): string {
    const files = renderConnectorFtpFiles(this.props(change));
    for (const file of files) this.write(join(this.release, file.path), file.content, file.mode);
    return bundleFile(files, FTP_HOOK_BUNDLE_PATH);
  }

  /** Replaces the release by a fresh one, as the next deploy does. */
  newRelease(): void {
    rmSync(this.release, { recursive: true, force: true });
    mkdirSync(this.release, { recursive: true });
  }

  /** webapp's uid and gid, as getent answers them. */
  setWebUser(uid: number, gid: number): void {
    writeFileSync(join(this.state, 'passwd'), `webapp:x:${uid}:${gid}:Beanstalk web user:/home/webapp:/sbin/nologin\n`);
    writeFileSync(join(this.state, 'group'), `webapp:x:${gid}:\n`);
  }

  /** An account already there, as getent answers it. */
  addUser(line: string): void {
    writeFileSync(join(this.state, 'passwd'), `${line}\n`, { flag: 'a' });
  }

  /** The passwd entry of a user, or undefined. */
  user(name: string): string | undefined {
    return readFileSync(join(this.state, 'passwd'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith(`${name}:`));
  }

  /** What the hook wrote to chpasswd's standard input. */
  chpasswdInput(): string {
    return readFileSync(join(this.state, 'chpasswd-input'), 'utf8');
  }

  /** A secret, as aws secretsmanager get-secret-value --output json returns it. */
  override setSecret(arn: string, secretString: string, versionId = SECRET_VERSION): void {
    const response = {
      ARN: arn,
      Name: 'storestack/connector/ftp',
      VersionId: versionId,
      SecretString: secretString,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: '2026-01-01T00:00:00+00:00',
    };
    super.setSecret(arn, JSON.stringify(response, null, 4));
  }

  /** The parameters and the secret of a healthy platform. */
  publish(fileSystem: 'nfs-server' | 'efs' = 'nfs-server'): void {
    this.setParameter(SHARE_PARAMETER, fileSystem === 'efs' ? EFS_SOURCE : NFS_SOURCE);
    this.setParameter(GATEWAY_IP_PARAMETER, GATEWAY_IP);
    this.setParameter(SECRET_ARN_PARAMETER, SECRET_ARN);
    this.setSecret(SECRET_ARN, JSON.stringify({ password: PASSWORD }));
  }

  /** chown fails from now on, as on a share with root_squash. */
  failChown(): void {
    writeFileSync(join(this.state, 'chown-fail'), '');
  }

  /** `systemctl restart <unit>` fails from now on, and the unit is not active. */
  failRestart(unit: string): void {
    writeFileSync(join(this.state, 'systemd', `${unit}.fail`), '');
    rmSync(join(this.state, 'systemd', `${unit}.active`), { force: true });
  }

  isEnabled(unit: string): boolean {
    return existsSync(join(this.state, 'systemd', `${unit}.enabled`));
  }

  isActive(unit: string): boolean {
    return existsSync(join(this.state, 'systemd', `${unit}.active`));
  }

  /** Every stubbed command run so far, as "<name> <arguments>", without trailing blanks. */
  override calls(): string[] {
    return super.calls().map((line) => line.trimEnd());
  }

  /** The locations the hook is pointed at, for every run. */
  environment(): Record<string, string> {
    return {
      STORESTACK_RELEASE_DIR: this.release,
      STORESTACK_FSTAB: this.fstab,
      STORESTACK_FTP_STATE_DIR: this.stateDir,
      STORESTACK_VSFTPD_CONFIG: this.vsftpdConfig,
      STORESTACK_VSFTPD_USERLIST: this.userlist,
      STORESTACK_PAM_DIR: this.pamDir,
      STORESTACK_SYSTEMD_DIR: this.systemdDir,
      STORESTACK_POLL_SECONDS: '0.1',
      STORESTACK_SETTLE_SECONDS: '0',
    };
  }

  /** Runs a rendered script with the sandbox's stubs and locations; `env` adds or overrides. */
  run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    return this.executeTimed('hook.sh', script, { ...this.environment(), ...env });
  }
}
