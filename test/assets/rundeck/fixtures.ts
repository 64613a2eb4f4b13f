// Sample Rundeck values, and a sandbox that runs the volume bootstrap (and the whole user data) with
// the system commands stubbed on PATH. PATH holds only the stubs and a few file utilities, so a
// command missing from the stubs fails the run with "not found".

import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RundeckJobsProps } from '../../../src/assets/rundeck/jobs.ts';
import { renderRundeckJobs } from '../../../src/assets/rundeck/jobs.ts';
import type { RundeckUserDataProps } from '../../../src/assets/rundeck/render.ts';
import { type RunResult, StubSandbox } from '../sandbox.ts';
import { realCommand } from '../stubbed-commands.ts';

export type { RunResult };

export const VOLUME_ID = 'vol-0a1b2c3d4e5f60799';
export const STORESTACK = '/opt/storestack/bin/storestack';
export const ADMIN_SECRET = 'storestack/ops/rundeck-admin';
export const PACKAGE_PARAMETER = '/storestack/ops/storestack-package';
export const ROOT_FSTAB_LINE = 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1';

export function sampleJobsProps(): RundeckJobsProps {
  return {
    projectName: 'client-magento',
    environments: [
      { name: 'prod', label: 'PROD' },
      { name: 'preprod', label: 'PREPROD' },
    ],
    storestackCommand: STORESTACK,
  };
}

export function sampleUserDataProps(): RundeckUserDataProps {
  return {
    volumeId: VOLUME_ID,
    internalHostName: 'rundeck.internal-client.url',
    region: 'eu-west-3',
    projectName: 'client-magento',
    adminSecretName: ADMIN_SECRET,
    jobsYaml: renderRundeckJobs(sampleJobsProps()),
    storestackCommand: STORESTACK,
    storestackPackageParameter: PACKAGE_PARAMETER,
    phpPackages: ['php8.3-cli', 'php8.3-intl', 'php8.3-gd'],
    composer: { version: '2.8.4', sha256: 'c'.repeat(64) },
  };
}

const REAL_TOOLS = ['awk', 'cat', 'chmod', 'cp', 'grep', 'mkdir', 'mktemp', 'mv', 'readlink', 'rm', 'wc'];

// State in $STUB_STATE: filesystems ("<device> <type> <uuid>"; type gpt stands for a partition
// table), mounted ("<mount point> <device> <type>").
export const VOLUME_STUBS: Record<string, string> = {
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
  // mount <mount point>: looks it up in fstab, and the UUID up in filesystems.
  mount: `
[[ $# == 1 ]] || { echo "stub mount: unexpected arguments: $*" >&2; exit 4; }
read -r source _ type _ < <(awk -v mp="$1" '$1 !~ /^#/ && $2 == mp' "$STORESTACK_FSTAB") ||
  { echo "mount: $1: can't find in $STORESTACK_FSTAB" >&2; exit 1; }
device=$(awk -v u="\${source#UUID=}" '$3 == u { print $1 }' "$STUB_STATE/filesystems")
[[ -n $device ]] || { echo "mount: $source: special device does not exist" >&2; exit 32; }
printf '%s %s %s\\n' "$1" "$device" "$type" >>"$STUB_STATE/mounted"`,
  mountpoint: `
[[ $1 == -q ]] || exit 2
awk -v mp="$2" '$1 == mp { found = 1 } END { exit !found }' "$STUB_STATE/mounted"`,
  findmnt: `
[[ $1 == --noheadings && $2 == --output && $3 == SOURCE && $4 == --mountpoint ]] || exit 2
awk -v mp="$5" '$1 == mp { print $2; found = 1 } END { exit !found }' "$STUB_STATE/mounted"`,
  // Logs and goes on sleeping for real, so the tests can see that the script polled.
  sleep: realCommand('sleep'),
  systemctl: '',
  udevadm: '',
};

export interface SandboxSetup {
  readonly prefix?: string;
  readonly stubs?: Readonly<Record<string, string>>;
  readonly realTools?: readonly string[];
  readonly stateFiles?: readonly string[];
  readonly stateDirs?: readonly string[];
}

export class VolumeSandbox extends StubSandbox {
  readonly byId: string;
  readonly fstab: string;
  readonly mountPoint: string;
  private readonly devices: string;
  private deviceCount = 0;

  constructor(setup: SandboxSetup = {}) {
    // realpath: the script resolves the by-id link with readlink -f and compares devices.
    super({
      prefix: setup.prefix ?? 'storestack-rundeck-volume-',
      realpath: true,
      stubs: { ...VOLUME_STUBS, ...setup.stubs },
      realTools: [...REAL_TOOLS, ...(setup.realTools ?? [])],
      stateFiles: ['filesystems', 'mounted', ...(setup.stateFiles ?? [])],
      stateDirs: setup.stateDirs ?? [],
    });
    this.byId = join(this.root, 'dev', 'disk', 'by-id');
    this.devices = join(this.root, 'dev');
    this.fstab = join(this.root, 'etc', 'fstab');
    this.mountPoint = join(this.root, 'var', 'lib', 'rundeck');
    for (const dir of [this.byId, join(this.root, 'etc')]) mkdirSync(dir, { recursive: true });
    writeFileSync(this.fstab, `${ROOT_FSTAB_LINE}\n`);
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

  /** Marks a directory as mounted from a device, as if mounted before this run. */
  addMount(mountPoint: string, device: string, type: string): void {
    mkdirSync(mountPoint, { recursive: true });
    writeFileSync(join(this.state, 'mounted'), `${mountPoint} ${device} ${type}\n`, { flag: 'a' });
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

  /** The mounts: "<mount point> <device> <type>" lines. */
  mounts(): string[] {
    return readFileSync(join(this.state, 'mounted'), 'utf8').split('\n').filter(Boolean);
  }

  fstabLines(): string[] {
    return (this.read(this.fstab) ?? '').split('\n').filter(Boolean);
  }

  /** The locations every run gets; `env` adds or overrides. */
  protected locations(env: Record<string, string>): Record<string, string> {
    return {
      STORESTACK_DEV_BY_ID: this.byId,
      STORESTACK_FSTAB: this.fstab,
      STORESTACK_MOUNT_POINT: this.mountPoint,
      STORESTACK_POLL_SECONDS: '0.1',
      ...env,
    };
  }

  /** Runs a rendered script with the sandbox's locations and stubs. */
  run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    return this.execute('user-data.sh', script, this.locations(env));
  }
}
