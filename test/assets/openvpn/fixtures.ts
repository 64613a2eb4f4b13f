// What the OpenVPN suites share: the props, the real easy-rsa and openvpn (or why they are
// missing), and a sandbox that runs the rendered scripts with aws, dnf, rpm, systemctl, sysctl
// and nft stubbed. The aws stub keeps S3 objects in state/s3/<bucket>/<key> and the public host in
// state/public-host; easy-rsa, openssl and openvpn are the real ones.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenVpnProps } from '../../../src/assets/openvpn/render.ts';
import { renderOpenVpnUserData } from '../../../src/assets/openvpn/render.ts';
import { type RunResult, StubSandbox } from '../sandbox.ts';
import { BASH, findOnPath, RPM_STUB } from '../stubbed-commands.ts';

export const PROPS: OpenVpnProps = {
  vpnCidr: '10.8.0.0/24',
  pushedRoutes: ['10.0.0.0/16'],
  dnsServer: '10.0.0.2',
  internalDomain: 'internal-client.url',
  publicHostParameter: '/storestack/openvpn/public-ip',
  region: 'eu-west-1',
  stateBucket: 'storestack-state',
  stateKey: 'openvpn/pki.tar.gz',
};

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstExecutable(name: string, candidates: readonly string[]): string | undefined {
  return findOnPath(name) ?? candidates.find(executable);
}

export const OPENVPN = firstExecutable('openvpn', ['/usr/sbin/openvpn', '/usr/local/sbin/openvpn']);
export const EASYRSA = firstExecutable('easyrsa', ['/usr/share/easy-rsa/easyrsa', '/usr/share/easy-rsa/3/easyrsa']);
export const OPENSSL = findOnPath('openssl');

/** Why the suites that need the real tools cannot run, or undefined when they can. */
export const MISSING_TOOLS = [
  OPENVPN ? undefined : 'openvpn',
  EASYRSA ? undefined : 'easy-rsa',
  OPENSSL ? undefined : 'openssl',
  findOnPath('flock') ? undefined : 'flock',
].filter(Boolean);

export function warnIfMissing(suite: string): boolean {
  if (MISSING_TOOLS.length === 0) return false;
  console.warn(
    `Skipping ${suite}: ${MISSING_TOOLS.join(', ')} not installed (apt-get install openvpn easy-rsa openssl util-linux)`,
  );
  return true;
}

const STUBS: Record<string, string> = {
  aws: `
local_path() { local rest=\${1#s3://}; printf '%s/s3/%s' "$STUB_STATE" "$rest"; }
case "$1 $2" in
's3api head-object')
  bucket='' key=''
  while (($#)); do case $1 in --bucket) bucket=$2; shift 2 ;; --key) key=$2; shift 2 ;; *) shift ;; esac; done
  if [[ -e $STUB_STATE/s3-denied ]]; then
    echo 'An error occurred (403) when calling the HeadObject operation: Forbidden' >&2
    exit 254
  fi
  [[ -f $STUB_STATE/s3/$bucket/$key ]] && { echo '{}'; exit 0; }
  echo 'An error occurred (404) when calling the HeadObject operation: Not Found' >&2
  exit 254 ;;
's3 cp')
  source=$3 target=$4
  if [[ $target == s3://* ]]; then
    [[ " $* " == *' --sse aws:kms '* ]] || { echo "stub aws: upload without SSE-KMS: $*" >&2; exit 4; }
    if [[ -e $STUB_STATE/s3-fail ]]; then
      echo "upload failed: $source to $target An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" >&2
      exit 1
    fi
    file=$(local_path "$target")
    mkdir -p "\${file%/*}"
    cp "$source" "$file"
    cp "$source" "$file.v$(date +%s%N)"
  else
    file=$(local_path "$source")
    [[ -f $file ]] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key not found" >&2; exit 1; }
    cp "$file" "$target"
  fi ;;
'ssm get-parameter')
  cat "$STUB_STATE/public-host" ;;
*) echo "stub aws: unexpected arguments: $*" >&2; exit 4 ;;
esac`,
  rpm: RPM_STUB,
  dnf: `
[[ $1 == install ]] || exit 1
shift
for arg in "$@"; do [[ $arg == -* ]] || printf '%s\\n' "$arg" >>"$STUB_STATE/installed"; done`,
  systemctl: `
case "$1" in
enable | daemon-reload) ;;
is-active) [[ -e $STUB_STATE/active ]] ;;
restart) : >"$STUB_STATE/active" ;;
try-restart) ;;
*) echo "stub systemctl: unexpected arguments: $*" >&2; exit 4 ;;
esac`,
  sysctl: `[[ $1 == -q && $2 == -p && -f $3 ]] || { echo "stub sysctl: unexpected arguments: $*" >&2; exit 4; }`,
  nft: `[[ $1 == -f && -f $2 ]] || { echo "stub nft: unexpected arguments: $*" >&2; exit 4; }`,
};

// The real tools the scripts, the stubs and easy-rsa use.
const REAL_TOOLS = [
  'awk',
  'basename',
  'cat',
  'chmod',
  'cp',
  'cut',
  'date',
  'dirname',
  'env',
  'expr',
  'find',
  'flock',
  'grep',
  'gzip',
  'head',
  'id',
  'ls',
  'mkdir',
  'mktemp',
  'mv',
  'openssl',
  'rm',
  'rmdir',
  'sed',
  'sort',
  'tail',
  'tar',
  'touch',
  'tr',
  'uname',
  'wc',
].filter((tool) => findOnPath(tool));

/** The instance's disk (etc, root, run) under the sandbox root, and the S3 state beside it. */
export class OpenVpnSandbox extends StubSandbox {
  readonly easyRsaDir: string;
  readonly serverDir: string;
  readonly clientDir: string;

  constructor(props: OpenVpnProps = PROPS) {
    super({ prefix: 'storestack-openvpn-', stubs: STUBS, realTools: REAL_TOOLS, stateFiles: ['installed'] });
    this.addStub('openvpn', `exec ${OPENVPN} "$@"`);
    this.easyRsaDir = join(this.root, 'etc/openvpn/easy-rsa');
    this.serverDir = join(this.root, 'etc/openvpn/server');
    this.clientDir = join(this.root, 'root/client-configs');
    this.userData = renderOpenVpnUserData(props);
    this.setPublicHost('203.0.113.10');
  }

  private readonly userData: string;

  setPublicHost(host: string): void {
    this.write(join(this.state, 'public-host'), `${host}\n`);
  }

  /** A state flag: s3-fail (uploads fail), s3-denied (head-object answers 403), active. */
  set(flag: string, on = true): void {
    if (on) this.write(join(this.state, flag), '');
    else rmSync(join(this.state, flag), { force: true });
  }

  /** The saved state object, or undefined. */
  stateObject(): Buffer | undefined {
    const file = join(this.state, 's3', PROPS.stateBucket, PROPS.stateKey);
    return existsSync(file) ? readFileSync(file) : undefined;
  }

  profile(name: string): string | undefined {
    return this.read(join(this.clientDir, 'files', `${name}.ovpn`));
  }

  /** The instance is replaced: its disk is gone, the S3 state stays. */
  replaceInstance(): void {
    for (const dir of ['etc', 'root', 'run']) rmSync(join(this.root, dir), { recursive: true, force: true });
    this.set('active', false);
    rmSync(join(this.state, 'installed'), { force: true });
    this.write(join(this.state, 'installed'), '');
  }

  env(): Record<string, string> {
    return {
      STORESTACK_OPENVPN_EASYRSA_DIR: this.easyRsaDir,
      STORESTACK_OPENVPN_SERVER_DIR: this.serverDir,
      STORESTACK_OPENVPN_CLIENT_DIR: this.clientDir,
      STORESTACK_OPENVPN_LOCK: join(this.root, 'run/storestack-openvpn.lock'),
      STORESTACK_OPENVPN_SYSCTL_FILE: join(this.root, 'etc/sysctl.d/90-storestack-openvpn.conf'),
      STORESTACK_OPENVPN_NFT_FILE: join(this.root, 'etc/openvpn/storestack-nat.nft'),
      STORESTACK_OPENVPN_SYSTEMD_DIR: join(this.root, 'etc/systemd/system'),
      STORESTACK_EASYRSA: EASYRSA ?? '',
    };
  }

  setup(): Promise<RunResult> {
    return this.execute('user-data.sh', this.userData, this.env());
  }

  /** Runs a client script as the user data installed it, in the client configs directory. */
  client(script: 'make_config.sh' | 'revoke_client.sh', ...args: string[]): Promise<RunResult> {
    return runBash(join(this.clientDir, script), args, {
      PATH: this.bin,
      STUB_LOG: this.log,
      STUB_STATE: this.state,
      ...this.env(),
    });
  }

  /** The SHA-256 fingerprint of a certificate file. */
  fingerprint(file: string): string {
    const result = spawnSync(OPENSSL ?? 'openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`openssl x509 ${file}: ${result.stderr}`);
    return result.stdout.trim();
  }
}

function runBash(file: string, args: readonly string[], env: Record<string, string>): Promise<RunResult> {
  const child = spawn(BASH, [file, ...args], { env });
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
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
