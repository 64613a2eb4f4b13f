// Sample props for the Magento bundle hooks, and a sandbox that runs a rendered hook with the
// system commands stubbed on PATH. No real system command is reachable: PATH holds only the
// stubs and a few file utilities, so a command missing from the stubs fails with "not found".

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type MagentoHooksProps,
  renderMagentoHooks,
} from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { bundleFile } from '../../../bundle.ts';
import { MountingStubSandbox, type TimedRunResult } from '../../../sandbox.ts';
import {
  AWS_PARAMETERS_STUB,
  DNF_STUB,
  FINDMNT_STUB,
  KEY,
  MOUNTPOINT_STUB,
  mountStub,
  RPM_STUB,
  realCommand,
  stateKey,
} from '../../../stubbed-commands.ts';

export { bundleFile };

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
const STUBS: Record<string, string> = {
  aws: AWS_PARAMETERS_STUB,
  mount: mountStub({ hang: true }),
  mountpoint: MOUNTPOINT_STUB,
  findmnt: FINDMNT_STUB,
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
  rpm: RPM_STUB,
  // Beanstalk's get-config: prints nothing for a property that is not set.
  'get-config': `
[[ $1 == environment && $2 == -k && $# == 3 ]] || { echo "stub get-config: unexpected arguments: $*" >&2; exit 2; }
file="$STUB_STATE/environment/$3"
[[ ! -f $file ]] || cat "$file"`,
  dnf: DNF_STUB,
  // Logs and goes on sleeping for real, so the tests can see that a hook polled.
  sleep: realCommand('sleep'),
  // Logged, not run: the test user owns the sandbox, and webapp need not exist here.
  chown: '',
  chattr: '',
  systemctl: '',
  logger: '',
};

export type RunResult = TimedRunResult;

export interface SandboxOptions {
  /**
   * The php on PATH: `real` logs the call and runs the real PHP CLI; a string is the body of
   * a stub instead; absent, there is no php.
   */
  readonly php?: 'real' | string;
}

export class Sandbox extends MountingStubSandbox {
  /** Where the shares are mounted. */
  readonly mountsRoot: string;
  /** A release as Beanstalk stages it. */
  readonly release: string;
  readonly fstab: string;
  readonly mountState: string;

  constructor(options: SandboxOptions = {}) {
    const stubs = { ...STUBS };
    if (options.php === 'real') stubs.php = realCommand('php');
    else if (options.php !== undefined) stubs.php = options.php;
    super({
      prefix: 'storestack-magento-hooks-',
      realpath: true,
      stubs,
      realTools: REAL_TOOLS,
      stateDirs: ['ssm', 'secrets', 'mount-fail', 'mount-hang', 'http', 'body', 'environment'],
      stateFiles: ['mounted', 'installed'],
    });
    this.mountsRoot = join(this.root, 'mnt', 'storestack');
    this.release = join(this.root, 'var', 'app', 'staging');
    this.fstab = join(this.root, 'etc', 'fstab');
    this.mountState = join(this.root, 'var', 'lib', 'storestack', 'mounts');
    for (const dir of [this.release, join(this.root, 'etc')]) mkdirSync(dir, { recursive: true });
    writeFileSync(this.fstab, 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1\n');
  }

  /** Mount attempts of this source never return. */
  hangMount(source: string): void {
    writeFileSync(join(this.state, 'mount-hang', stateKey(source)), '');
  }

  /** The statuses curl answers for a URL, in turn (then 200); and the body --output writes. */
  answer(url: string, statuses: readonly number[], body?: string): void {
    writeFileSync(
      join(this.state, 'http', stateKey(url)),
      statuses.map((s) => `${String(s).padStart(3, '0')}\n`).join(''),
    );
    if (body !== undefined) writeFileSync(join(this.state, 'body', stateKey(url)), body);
  }

  /** A Beanstalk environment property, as get-config environment -k answers it. */
  setEnvironmentProperty(name: string, value: string): void {
    writeFileSync(join(this.state, 'environment', name), value);
  }

  /** The path of a stubbed command, for the hooks that call it by full path. */
  stub(name: string): string {
    return join(this.bin, name);
  }

  /** Runs a rendered script with the sandbox's stubs; `env` adds the locations the test chooses. */
  run(script: string, env: Record<string, string> = {}, name = 'hook.sh'): Promise<RunResult> {
    return this.executeTimed(name, script, env);
  }
}
