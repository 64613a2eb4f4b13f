// Sample phpMyAdmin values, and a sandbox that runs the rendered user data with the system
// commands stubbed on PATH and every system location under its root (STORESTACK_ROOT).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { PhpMyAdminUserDataProps } from '../../../src/assets/phpmyadmin/render.ts';
import { AwsStubSandbox, type RunResult } from '../sandbox.ts';
import { AWS_PARAMETERS_STUB, findOnPath } from '../stubbed-commands.ts';

export type { RunResult };

/** What the curl stub serves for the release tarball. */
export const TARBALL = 'fake phpMyAdmin tarball\n';
export const TARBALL_SHA256 = createHash('sha256').update(TARBALL).digest('hex');

export const ENDPOINTS: Record<string, string> = {
  '/storestack/prod/magento/db-endpoint': 'prod-magento.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com',
  '/storestack/preprod/magento/db-endpoint': 'preprod-magento.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com:3307',
  '/storestack/apps/db-endpoint': 'apps.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com',
};

export function sampleProps(overrides: Partial<PhpMyAdminUserDataProps> = {}): PhpMyAdminUserDataProps {
  return {
    version: '5.2.1',
    sha256: TARBALL_SHA256,
    region: 'eu-west-3',
    servers: [
      { label: 'Magento prod', endpointParameter: '/storestack/prod/magento/db-endpoint' },
      { label: 'Magento preprod', endpointParameter: '/storestack/preprod/magento/db-endpoint' },
      { label: 'Apps', endpointParameter: '/storestack/apps/db-endpoint' },
    ],
    ...overrides,
  };
}

const REAL_TOOLS = [
  'cat',
  'chmod',
  'grep',
  'ln',
  'mkdir',
  'mktemp',
  'mv',
  'od',
  'readlink',
  'rm',
  'sed',
  'sha256sum',
  'tr',
];

// Every stub appends "<name> <arguments>" to $STUB_LOG. State in $STUB_STATE: installed
// (packages), tarball (what curl serves for the release), ssm/<name> (parameters).
const STUBS: Record<string, string> = {
  rpm: `
[[ $1 == -q && $2 == --quiet && $3 == --whatprovides ]] || exit 2
grep -Fxq -- "$4" "$STUB_STATE/installed"`,
  dnf: `
[[ $1 == install && $2 == -y ]] || exit 1
shift 2
printf '%s\\n' "$@" >>"$STUB_STATE/installed"`,
  curl: `
out='' url=''
while (($#)); do
  case $1 in -o) out=$2; shift 2 ;; --retry) shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac
done
case $url in
*.pem) printf -- '-----BEGIN CERTIFICATE-----\\nMIIBfake\\n-----END CERTIFICATE-----\\n' >"$out" ;;
*.sha256) [[ -f $STUB_STATE/published-sha256 ]] || exit 22; cat "$STUB_STATE/published-sha256" ;;
*) cat "$STUB_STATE/tarball" >"$out" ;;
esac`,
  // Unpacks a minimal release into the -C directory.
  tar: `
dir=''
while (($#)); do case $1 in -C) dir=$2; shift 2 ;; *) shift ;; esac; done
mkdir -p "$dir/setup" "$dir/libraries"
printf '<?php\\n' >"$dir/index.php"`,
  aws: AWS_PARAMETERS_STUB,
  systemctl: '',
  nginx: '',
  chown: '',
  sleep: '',
};

export class Sandbox extends AwsStubSandbox {
  readonly files: string;

  constructor() {
    super({
      prefix: 'storestack-phpmyadmin-',
      stubs: STUBS,
      realTools: REAL_TOOLS,
      stateDirs: ['ssm', 'secrets'],
      stateFiles: ['installed'],
    });
    this.files = join(this.root, 'fs');
    this.write(join(this.state, 'tarball'), TARBALL);
    for (const [name, value] of Object.entries(ENDPOINTS)) this.setParameter(name, value);
  }

  /** A system path inside the sandbox. */
  path(systemPath: string): string {
    return join(this.files, systemPath);
  }

  run(script: string): Promise<RunResult> {
    return this.execute('user-data.sh', script, { STORESTACK_ROOT: this.files, STORESTACK_RETRY_SECONDS: '0' });
  }
}

/** The real PHP CLI, or a failure that says which package to install. */
export function php(): string {
  const found = findOnPath('php');
  if (!found) throw new Error('php is not installed, and this test runs the real PHP: install php8.2-cli');
  return found;
}

/** $cfg after including `file`, the binary secret given as hex. */
export function includedConfig(file: string): Record<string, unknown> & {
  blowfish_secret: string;
  Servers: Record<string, Record<string, unknown>>;
} {
  const code = `include ${JSON.stringify(file)}; $cfg['blowfish_secret'] = bin2hex($cfg['blowfish_secret']); echo json_encode($cfg, JSON_THROW_ON_ERROR);`;
  const result = spawnSync(php(), ['-n', '-r', code], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`php failed: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}
