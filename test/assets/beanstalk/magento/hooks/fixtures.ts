// Sample props for the Magento bundle hooks, and a sandbox that runs a rendered hook with the
// system commands stubbed on PATH. No real system command is reachable: PATH holds only the
// stubs and a few file utilities, so a command missing from the stubs fails with "not found".

import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type BundleFile,
  type MagentoHooksProps,
  renderMagentoHooks,
} from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { BASH, required, stubScript } from '../../../stubbed-commands.ts';

export const SAMPLE_SHARES = ['client-media', 'magento-statics', 'magento-client', 'magento-sitemap'] as const;

export function sampleProps(change: Partial<MagentoHooksProps> = {}): MagentoHooksProps {
  return {
    environment: 'prod',
    parameterPath: '/storestack/prod',
    region: 'eu-west-3',
    mountsRoot: '/mnt/storestack',
    mounts: [
      { path: 'pub/media', share: 'client-media' },
      { path: 'pub/static', share: 'magento-statics' },
      { path: 'client', share: 'magento-client' },
      { path: 'sitemap', share: 'magento-sitemap' },
    ],
    fileSystem: 'nfs-server',
    mountTimeoutSeconds: 300,
    cdnBaseUrls: { static: 'https://static.client.url/', media: 'https://media.client.url/' },
    cachePrefixFromRelease: true,
    ...change,
  };
}

/** What the Storage stack publishes for a share: the NFS server's export, or EFS's ids. */
export function sampleSource(share: string, fileSystem: 'nfs-server' | 'efs' = 'nfs-server'): string {
  if (fileSystem === 'efs') {
    const index = SAMPLE_SHARES.indexOf(share as (typeof SAMPLE_SHARES)[number]);
    return `fs-0123456789abcdef0:fsap-0a1b2c3d4e5f6070${index}`;
  }
  return `nfs.internal-client.url:/exports/prod/${share}`;
}

/** One rendered file, by its path in the bundle. */
export function bundleFile(files: readonly BundleFile[], path: string): string {
  const file = files.find((candidate) => candidate.path === path);
  if (!file) throw new Error(`test setup: the bundle has no ${path}`);
  return file.content;
}

export function renderedHook(path: string, change: Partial<MagentoHooksProps> = {}): string {
  return bundleFile(renderMagentoHooks(sampleProps(change)), path);
}

// The real tools the hooks and the stubs may use. Everything else on PATH is a stub.
const REAL_TOOLS = [
  'awk',
  'cat',
  'chmod',
  'cp',
  'find',
  'flock',
  'grep',
  'head',
  'ln',
  'mkdir',
  'mktemp',
  'mv',
  'readlink',
  'rm',
  'tail',
  'timeout',
  'wc',
];

// Every stub appends "<name> <arguments>" to $STUB_LOG. State lives in $STUB_STATE:
//   ssm/<name>, secrets/<arn>  what aws returns ("/" and ":" replaced by "%")
//   mounted                    "<mount point> <source> <type>" per mounted share
//   mount-fail/<source>        a count of attempts that fail before mount succeeds ("always": every one)
//   mount-hang/<source or dir> mount never returns; mountpoint on that directory never returns
//   http/<url>                 the statuses curl answers, one per line, consumed in turn (default 200)
//   body/<url>                 what curl --output writes
//   installed                  packages, for rpm
//   environment/<property>     what get-config answers for a Beanstalk environment property
const KEY = (variable: string) => `"\${${variable}//[\\/:]/%}"`;
const STUBS: Record<string, string> = {
  aws: `
kind=ssm
[[ $1 != secretsmanager ]] || kind=secrets
name=''
while (($#)); do
  case $1 in --name | --secret-id) name=$2; shift 2 ;; *) shift ;; esac
done
file="$STUB_STATE/$kind/"${KEY('name')}
if [[ ! -f $file ]]; then
  if [[ $kind == ssm ]]; then
    echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter $name not found." >&2
  else
    echo "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret." >&2
  fi
  exit 254
fi
printf '%s\\n' "$(cat "$file")"`,
  mount: `
[[ $1 == -t && $3 == -o && $# == 6 ]] || { echo "stub mount: unexpected arguments: $*" >&2; exit 4; }
type=$2 source=$5 mount_point=$6
[[ -d $mount_point ]] || { echo "mount: $mount_point: mount point does not exist." >&2; exit 32; }
if [[ -f "$STUB_STATE/mount-hang/"${KEY('source')} ]]; then exec sleep 30; fi
fail_file="$STUB_STATE/mount-fail/"${KEY('source')}
if [[ -f $fail_file ]]; then
  left=$(cat "$fail_file")
  if [[ $left == always ]] || ((left > 0)); then
    [[ $left == always ]] || printf '%s\\n' "$((left - 1))" >"$fail_file"
    echo "mount.nfs4: Connection timed out for $source on $mount_point" >&2
    exit 32
  fi
fi
printf '%s %s %s\\n' "$mount_point" "$source" "$type" >>"$STUB_STATE/mounted"`,
  mountpoint: `
[[ $1 == -q ]] || exit 2
if [[ -f "$STUB_STATE/mount-hang/"${KEY('2')} ]]; then exec sleep 30; fi
awk -v mp="$2" '$1 == mp { found = 1 } END { exit !found }' "$STUB_STATE/mounted"`,
  // efs-utils mounts through a local TLS tunnel: findmnt shows 127.0.0.1:/ for every EFS share.
  findmnt: `
[[ $1 == --noheadings && $2 == --output && $3 == SOURCE && $4 == --mountpoint ]] || exit 2
awk -v mp="$5" '$1 == mp { print ($3 == "efs" ? "127.0.0.1:/" : $2); found = 1 } END { exit !found }' "$STUB_STATE/mounted"`,
  curl: `
out='' url='' write_out=''
while (($#)); do
  case $1 in
  --output) out=$2; shift 2 ;;
  --write-out) write_out=$2; shift 2 ;;
  --max-time | --retry) shift 2 ;;
  -*) shift ;;
  *) url=$1; shift ;;
  esac
done
status=200
statuses="$STUB_STATE/http/"${KEY('url')}
if [[ -s $statuses ]]; then
  status=$(head -n 1 "$statuses")
  tail -n +2 "$statuses" >"$statuses.next"
  mv "$statuses.next" "$statuses"
fi
[[ -z $write_out ]] || printf '%s' "$status"
[[ $status != 000 ]] || exit 7
body="$STUB_STATE/body/"${KEY('url')}
if [[ -n $out && $out != /dev/null ]]; then cat "$body" >"$out" 2>/dev/null || : >"$out"; fi
((status < 400)) || [[ -n $write_out ]] || exit 22`,
  rpm: `
[[ $1 == -q && $2 == --quiet ]] || exit 2
grep -Fxq -- "$3" "$STUB_STATE/installed"`,
  // Beanstalk's get-config: prints nothing for a property that is not set.
  'get-config': `
[[ $1 == environment && $2 == -k && $# == 3 ]] || { echo "stub get-config: unexpected arguments: $*" >&2; exit 2; }
file="$STUB_STATE/environment/$3"
[[ ! -f $file ]] || cat "$file"`,
  dnf: `
[[ $1 == install ]] || exit 1
printf '%s\\n' "\${@: -1}" >>"$STUB_STATE/installed"`,
  // Logs and goes on sleeping for real, so the tests can see that a hook polled.
  sleep: `exec ${required('sleep')} "$@"`,
  // Logged, not run: the test user owns the sandbox, and webapp need not exist here.
  chown: '',
  chattr: '',
  systemctl: '',
  logger: '',
};

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time of the run, in milliseconds. */
  readonly elapsedMs: number;
}

export interface SandboxOptions {
  /**
   * The php on PATH: `real` logs the call and runs the real PHP CLI; a string is the body of
   * a stub instead; absent, there is no php.
   */
  readonly php?: 'real' | string;
}

export class Sandbox {
  readonly root: string;
  /** Where the shares are mounted. */
  readonly mountsRoot: string;
  /** A release as Beanstalk stages it. */
  readonly release: string;
  readonly fstab: string;
  readonly mountState: string;
  private readonly bin: string;
  private readonly state: string;
  private readonly log: string;

  constructor(options: SandboxOptions = {}) {
    this.root = realpathSync(mkdtempSync(join(tmpdir(), 'storestack-magento-hooks-')));
    this.bin = join(this.root, 'bin');
    this.state = join(this.root, 'state');
    this.log = join(this.root, 'calls.log');
    this.mountsRoot = join(this.root, 'mnt', 'storestack');
    this.release = join(this.root, 'var', 'app', 'staging');
    this.fstab = join(this.root, 'etc', 'fstab');
    this.mountState = join(this.root, 'var', 'lib', 'storestack', 'mounts');
    for (const dir of [this.bin, this.release, join(this.root, 'etc')]) mkdirSync(dir, { recursive: true });
    for (const dir of ['ssm', 'secrets', 'mount-fail', 'mount-hang', 'http', 'body', 'environment']) {
      mkdirSync(join(this.state, dir), { recursive: true });
    }
    for (const file of ['mounted', 'installed']) writeFileSync(join(this.state, file), '');
    writeFileSync(this.log, '');
    writeFileSync(this.fstab, 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1\n');
    const stubs = { ...STUBS };
    if (options.php === 'real') stubs.php = `exec ${required('php')} "$@"`;
    else if (options.php !== undefined) stubs.php = options.php;
    for (const [name, body] of Object.entries(stubs)) {
      writeFileSync(join(this.bin, name), stubScript(body), { mode: 0o755 });
    }
    for (const tool of REAL_TOOLS) symlinkSync(required(tool), join(this.bin, tool));
  }

  private static key(value: string): string {
    return value.replaceAll(/[/:]/g, '%');
  }

  /** An SSM parameter, as aws ssm get-parameter returns it. */
  setParameter(name: string, value: string): void {
    writeFileSync(join(this.state, 'ssm', Sandbox.key(name)), value);
  }

  /** Removes an SSM parameter: aws then answers ParameterNotFound. */
  removeParameter(name: string): void {
    rmSync(join(this.state, 'ssm', Sandbox.key(name)));
  }

  /** A secret's SecretString, as aws secretsmanager get-secret-value returns it. */
  setSecret(arn: string, value: string): void {
    writeFileSync(join(this.state, 'secrets', Sandbox.key(arn)), value);
  }

  /** Mount attempts of this source fail `times` times (or always) before one succeeds. */
  failMount(source: string, times: number | 'always'): void {
    writeFileSync(join(this.state, 'mount-fail', Sandbox.key(source)), `${times}\n`);
  }

  /** Mount attempts of this source never return. */
  hangMount(source: string): void {
    writeFileSync(join(this.state, 'mount-hang', Sandbox.key(source)), '');
  }

  /** Looking at this mounted directory never returns (its file server is gone). */
  hangMountPoint(mountPoint: string): void {
    writeFileSync(join(this.state, 'mount-hang', Sandbox.key(mountPoint)), '');
  }

  /** Marks a directory as mounted, as if mounted before this run. */
  addMount(mountPoint: string, source: string, type: string): void {
    mkdirSync(mountPoint, { recursive: true });
    writeFileSync(join(this.state, 'mounted'), `${mountPoint} ${source} ${type}\n`, { flag: 'a' });
  }

  /** The mounted shares: mount point -> source. */
  mounted(): Map<string, string> {
    const lines = readFileSync(join(this.state, 'mounted'), 'utf8').split('\n').filter(Boolean);
    return new Map(lines.map((line) => line.split(' ') as [string, string]));
  }

  /** The statuses curl answers for a URL, in turn (then 200); and the body --output writes. */
  answer(url: string, statuses: readonly number[], body?: string): void {
    writeFileSync(
      join(this.state, 'http', Sandbox.key(url)),
      statuses.map((s) => `${String(s).padStart(3, '0')}\n`).join(''),
    );
    if (body !== undefined) writeFileSync(join(this.state, 'body', Sandbox.key(url)), body);
  }

  /** A Beanstalk environment property, as get-config environment -k answers it. */
  setEnvironmentProperty(name: string, value: string): void {
    writeFileSync(join(this.state, 'environment', name), value);
  }

  /** The path of a stubbed command, for the hooks that call it by full path. */
  stub(name: string): string {
    return join(this.bin, name);
  }

  /** Marks a package as installed, for the rpm stub. */
  install(name: string): void {
    writeFileSync(join(this.state, 'installed'), `${name}\n`, { flag: 'a' });
  }

  /** Every stubbed command run so far, as "<name> <arguments>". */
  calls(): string[] {
    return readFileSync(this.log, 'utf8').split('\n').filter(Boolean);
  }

  callsOf(name: string): string[] {
    return this.calls().filter((call) => call === name || call.startsWith(`${name} `));
  }

  clearCalls(): void {
    writeFileSync(this.log, '');
  }

  /** The raw call log, for searching it for secrets. */
  callLog(): string {
    return readFileSync(this.log, 'utf8');
  }

  read(file: string): string | undefined {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /** Writes a file under the sandbox, creating its directories. */
  write(file: string, content: string, mode = 0o644): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { mode });
  }

  /** Runs a rendered script with the sandbox's stubs; `env` adds the locations the test chooses. */
  run(script: string, env: Record<string, string> = {}, name = 'hook.sh'): Promise<RunResult> {
    const file = join(this.root, name);
    writeFileSync(file, script, { mode: 0o755 });
    const started = performance.now();
    const child = spawn(BASH, [file], {
      env: { PATH: this.bin, STUB_LOG: this.log, STUB_STATE: this.state, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr, elapsedMs: performance.now() - started }));
    });
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
