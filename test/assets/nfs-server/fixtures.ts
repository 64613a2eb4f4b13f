// Sample NFS server values, and a sandbox that runs the rendered user data with the system
// commands stubbed on PATH. No real command reaches the system: PATH holds only the stubs and
// a few file utilities, so a command missing from the stubs fails the run with "not found".

import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NfsServerUserDataProps, NfsShareVolume } from '../../../src/assets/nfs-server/render.ts';
import { type RunResult, StubSandbox } from '../sandbox.ts';
import { RPM_STUB, realCommand } from '../stubbed-commands.ts';

export type { RunResult };

export const SAMPLE_CIDRS = ['10.0.101.0/24', '10.0.102.0/24', '10.0.103.0/24'];

const SAMPLE_VOLUMES: Record<string, string> = {
  'prod-client-media': 'vol-0a1b2c3d4e5f60711',
  'prod-magento-statics': 'vol-0a1b2c3d4e5f60722',
  'prod-magento-client': 'vol-0a1b2c3d4e5f60733',
  'prod-magento-sitemap': 'vol-0a1b2c3d4e5f60744',
  'prod-connector-ftp': 'vol-0a1b2c3d4e5f60755',
  'preprod-client-media': 'vol-0f9e8d7c6b5a40311',
  'preprod-magento-statics': 'vol-0f9e8d7c6b5a40322',
  'preprod-magento-client': 'vol-0f9e8d7c6b5a40333',
  'preprod-magento-sitemap': 'vol-0f9e8d7c6b5a40344',
  'preprod-connector-ftp': 'vol-0f9e8d7c6b5a40355',
};

/** Magento's web user on the Beanstalk PHP platform. */
export const WEB_USER = { uid: 900, gid: 900 };

/** The namespace the server publishes its disk usage in. */
export const SAMPLE_NAMESPACE = 'storestack/NfsServer';

/** The CloudWatch agent's package and its systemd unit. */
export const AGENT = 'amazon-cloudwatch-agent';

/** The shares of prod and preprod, mounted at /exports/<env>/<share> (or under `root`). */
export function sampleShares(root = ''): NfsShareVolume[] {
  return Object.entries(SAMPLE_VOLUMES).map(([name, volumeId]) => {
    const [env, ...share] = name.split('-');
    return { name, volumeId, mountPoint: `${root}/exports/${env}/${share.join('-')}` };
  });
}

export function sampleProps(root = ''): NfsServerUserDataProps {
  return {
    shares: sampleShares(root),
    exportCidrs: SAMPLE_CIDRS,
    waitTimeoutSeconds: 600,
    shareOwner: WEB_USER,
    diskMetricsNamespace: SAMPLE_NAMESPACE,
  };
}

// The real tools the script and the stubs may use. Everything else on PATH is a stub.
const REAL_TOOLS = ['awk', 'cat', 'chmod', 'cp', 'grep', 'mkdir', 'mktemp', 'mv', 'readlink', 'rm', 'wc'];

// Every stub appends "<name> <arguments>" to $STUB_LOG. State lives in $STUB_STATE:
// filesystems ("<device> <type> <uuid>"; type gpt stands for a partition table), mounted
// (mount points), installed (packages), active (running systemd units), agent-config (the
// configuration the CloudWatch agent last loaded), agent-fail (present: the agent rejects its
// configuration).
const STUBS: Record<string, string> = {
  blkid: `
[[ $1 == -p && $2 == -o && $3 == export && $# == 4 ]] || { echo "stub blkid: unexpected arguments: $*" >&2; exit 4; }
device=$4
read -r _ type uuid < <(awk -v d="$device" '$1 == d' "$STUB_STATE/filesystems") || exit 2
if [[ $type == gpt ]]; then
  printf 'DEVNAME=%s\\nPTUUID=%s\\nPTTYPE=gpt\\n' "$device" "$uuid"
else
  printf 'DEVNAME=%s\\nUUID=%s\\nBLOCK_SIZE=4096\\nTYPE=%s\\nUSAGE=filesystem\\n' "$device" "$uuid" "$type"
fi`,
  'mkfs.xfs': `
device=\${*: -1}
[[ -e $device ]] || { echo "mkfs.xfs: cannot open $device" >&2; exit 1; }
if awk -v d="$device" '$1 == d { found = 1 } END { exit !found }' "$STUB_STATE/filesystems"; then
  echo "mkfs.xfs: $device appears to contain an existing filesystem" >&2
  exit 1
fi
n=$(wc -l <"$STUB_STATE/filesystems")
printf '%s xfs 5e3f0c1a-0000-4000-8000-%012d\\n' "$device" "$((n + 1))" >>"$STUB_STATE/filesystems"`,
  mount: `
mount_point=\${*: -1}
awk -v mp="$mount_point" '$1 !~ /^#/ && $2 == mp { found = 1 } END { exit !found }' "$STORESTACK_FSTAB" ||
  { echo "mount: $mount_point: can't find in $STORESTACK_FSTAB" >&2; exit 1; }
printf '%s\\n' "$mount_point" >>"$STUB_STATE/mounted"`,
  mountpoint: `
[[ $1 == -q ]] || exit 2
grep -Fxq -- "$2" "$STUB_STATE/mounted"`,
  rpm: RPM_STUB,
  // dnf install [options] <package>...: every package named goes to installed.
  dnf: `
[[ $1 == install ]] || exit 1
shift
for arg in "$@"; do
  [[ $arg == -* ]] || printf '%s\\n' "$arg" >>"$STUB_STATE/installed"
done`,
  // is-active --quiet <unit> looks the unit up in active; enable --now <unit> adds it there.
  systemctl: `
case $1 in
is-active) [[ $2 == --quiet ]] || exit 2; grep -Fxq -- "$3" "$STUB_STATE/active" ;;
enable) [[ $2 == --now ]] || exit 2; grep -Fxq -- "$3" "$STUB_STATE/active" || printf '%s\\n' "$3" >>"$STUB_STATE/active" ;;
daemon-reload) ;;
*) echo "stub systemctl: unexpected arguments: $*" >&2; exit 4 ;;
esac`,
  // fetch-config -m ec2 -s -c file:<path>: loads the file (kept as agent-config) and (re)starts
  // the agent, as the real one does: its configuration checked first, then systemctl restart.
  'amazon-cloudwatch-agent-ctl': `
[[ $1 == -a && $2 == fetch-config && $3 == -m && $4 == ec2 && $5 == -s && $6 == -c && $# == 7 ]] ||
  { echo "stub amazon-cloudwatch-agent-ctl: unexpected arguments: $*" >&2; exit 4; }
file=\${7#file:}
[[ $7 == file:/* && -f $file ]] || { echo "stub amazon-cloudwatch-agent-ctl: no configuration at $7" >&2; exit 1; }
[[ ! -e $STUB_STATE/agent-fail ]] || { echo 'Configuration validation first phase failed' >&2; exit 1; }
cp "$file" "$STUB_STATE/agent-config"
grep -Fxq ${AGENT} "$STUB_STATE/active" || printf '%s\\n' ${AGENT} >>"$STUB_STATE/active"`,
  // Logs and goes on sleeping for real, so the tests can see that the script polled.
  sleep: realCommand('sleep'),
  // Logged, not run: the test user owns the sandbox, and the uid need not exist here.
  chown: '',
  exportfs: '',
  udevadm: '',
};

export class Sandbox extends StubSandbox {
  readonly byId: string;
  readonly fstab: string;
  readonly exports: string;
  /** Where the script writes the CloudWatch agent's configuration. */
  readonly agentConfig: string;
  private readonly devices: string;
  private deviceCount = 0;

  constructor() {
    // realpath: the script resolves the by-id links with readlink -f.
    super({
      prefix: 'storestack-nfs-',
      realpath: true,
      stubs: STUBS,
      realTools: REAL_TOOLS,
      stateFiles: ['filesystems', 'mounted', 'installed', 'active'],
    });
    this.byId = join(this.root, 'dev', 'disk', 'by-id');
    this.devices = join(this.root, 'dev');
    this.fstab = join(this.root, 'etc', 'fstab');
    this.exports = join(this.root, 'etc', 'exports');
    this.agentConfig = join(this.root, 'etc', 'storestack', 'nfs-cloudwatch-agent.json');
    for (const dir of [this.byId, join(this.root, 'etc')]) mkdirSync(dir, { recursive: true });
    writeFileSync(this.fstab, 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1\n');
  }

  /** Attaches a volume: a fake NVMe device and its udev link. Returns the device path. */
  attach(volumeId: string): string {
    this.deviceCount += 1;
    const device = join(this.devices, `nvme${this.deviceCount}n1`);
    writeFileSync(device, '');
    symlinkSync(device, join(this.byId, `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`));
    return device;
  }

  /** Puts a filesystem (or `gpt`, a partition table) on a device, as if made before. */
  addFilesystem(device: string, type: string, uuid: string): void {
    writeFileSync(join(this.state, 'filesystems'), `${device} ${type} ${uuid}\n`, { flag: 'a' });
  }

  /** The filesystems on the devices: device -> { type, uuid }. */
  filesystems(): Map<string, { type: string; uuid: string }> {
    const lines = readFileSync(join(this.state, 'filesystems'), 'utf8').split('\n').filter(Boolean);
    return new Map(
      lines.map((line) => {
        const [device = '', type = '', uuid = ''] = line.split(' ');
        return [device, { type, uuid }];
      }),
    );
  }

  /** Stops a systemd unit, as if it had crashed or been stopped by hand. */
  stopUnit(unit: string): void {
    const others = this.activeUnits().filter((active) => active !== unit);
    writeFileSync(join(this.state, 'active'), others.map((active) => `${active}\n`).join(''));
  }

  /** The running systemd units. */
  activeUnits(): string[] {
    return readFileSync(join(this.state, 'active'), 'utf8').split('\n').filter(Boolean);
  }

  /** Makes the CloudWatch agent reject its configuration (or accept it again). */
  failAgent(fail: boolean): void {
    const marker = join(this.state, 'agent-fail');
    if (fail) writeFileSync(marker, '');
    else rmSync(marker, { force: true });
  }

  /** The configuration the CloudWatch agent last loaded, undefined while it never loaded one. */
  loadedAgentConfig(): string | undefined {
    return this.read(join(this.state, 'agent-config'));
  }

  /** Runs a rendered script with the sandbox's locations and stubs. */
  run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    return this.execute('user-data.sh', script, {
      STORESTACK_DEV_BY_ID: this.byId,
      STORESTACK_FSTAB: this.fstab,
      STORESTACK_EXPORTS: this.exports,
      STORESTACK_AGENT_CONFIG: this.agentConfig,
      STORESTACK_AGENT_CTL: join(this.bin, 'amazon-cloudwatch-agent-ctl'),
      STORESTACK_POLL_SECONDS: '0.1',
      ...env,
    });
  }
}
