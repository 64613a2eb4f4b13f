// Sample props for the satellite apps' hooks, and a sandbox that runs a rendered hook with the
// system commands stubbed on PATH. No real system command is reachable but a few file utilities
// (and bash, which runuser's stub runs): a command missing from the stubs fails with "not found".

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type AppHooksProps,
  type InternalNameHookProps,
  renderAppHooks,
  renderInternalNameHook,
} from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { type MiraklFilesProps, renderMiraklFiles } from '../../../../src/assets/beanstalk/apps/mirakl/render.ts';
import type { BundleFile } from '../../../../src/assets/beanstalk/apps/script.ts';
import { BASH, required, stubScript } from '../../stubbed-commands.ts';

export const REGION = 'eu-west-3';
export const ENDPOINT_PARAMETER = '/storestack/apps/database/endpoint';
export const SECRET_ARN_PARAMETER = '/storestack/apps/database/secret-arn';
export const ZONE_ID_PARAMETER = '/storestack/shared/internal-zone-id';
export const MIRAKL_CONFIG_PARAMETER = '/storestack/apps/mirakl/config-secret-arn';
export const SCHEMA_COMMAND = 'php bin/console doctrine:schema:update --force --no-interaction';

export function sampleHooksProps(change: Partial<AppHooksProps> = {}): AppHooksProps {
  return {
    app: 'pim',
    region: REGION,
    parameters: { databaseEndpoint: ENDPOINT_PARAMETER, databaseSecretArn: SECRET_ARN_PARAMETER },
    databaseName: 'apps',
    mysqlServerVersion: '8.4',
    schemaUpdateCommand: SCHEMA_COMMAND,
    ...change,
  };
}

export function sampleInternalNameProps(change: Partial<InternalNameHookProps> = {}): InternalNameHookProps {
  return { region: REGION, hostName: 'connector.internal-client.url', zoneIdParameter: ZONE_ID_PARAMETER, ...change };
}

export function sampleMiraklProps(change: Partial<MiraklFilesProps> = {}): MiraklFilesProps {
  return {
    region: REGION,
    configSecretArnParameter: MIRAKL_CONFIG_PARAMETER,
    requiredKeys: ['MIRAKL_API_URL', 'MIRAKL_API_KEY'],
    cron: [{ schedule: '*/10 * * * *', command: 'php bin/console hipay:cashout:process' }],
    ...change,
  };
}

/** One rendered file, by its path in the bundle. */
export function bundleFile(files: readonly BundleFile[], path: string): string {
  const file = files.find((candidate) => candidate.path === path);
  if (!file) throw new Error(`test setup: the bundle has no ${path}`);
  return file.content;
}

export function appHook(path: string, change: Partial<AppHooksProps> = {}): string {
  return bundleFile(renderAppHooks(sampleHooksProps(change)), path);
}

export function internalNameHook(change: Partial<InternalNameHookProps> = {}): string {
  return renderInternalNameHook(sampleInternalNameProps(change)).content;
}

export function miraklFile(path: string, change: Partial<MiraklFilesProps> = {}): string {
  return bundleFile(renderMiraklFiles(sampleMiraklProps(change)), path);
}

// The real tools the hooks and the stubs may use. Everything else on PATH is a stub.
const REAL_TOOLS = ['cat', 'chmod', 'find', 'grep', 'head', 'mkdir', 'mktemp', 'mv', 'rm', 'seq', 'tail'];

// Every stub appends "<name> <arguments>" to $STUB_LOG. State lives in $STUB_STATE:
//   ssm/<name>, secrets/<arn>  what aws returns ("/" and ":" replaced by "%")
//   route53-changes            "<zone id> <change batch>" per change aws route53 accepted
//   imds-token, imds/<key>     the metadata service's session token and values
//   body/<url>                 what curl --output writes (a missing one: curl fails with 404)
//   installed                  packages, for rpm
const KEY = (variable: string) => `"\${${variable}//[\\/:]/%}"`;
const STUBS: Record<string, string> = {
  aws: `
if [[ $1 == route53 ]]; then
  case $2 in
  change-resource-record-sets)
    zone='' batch=''
    while (($#)); do
      case $1 in --hosted-zone-id) zone=$2; shift 2 ;; --change-batch) batch=$2; shift 2 ;; *) shift ;; esac
    done
    printf '%s %s\\n' "$zone" "$batch" >>"$STUB_STATE/route53-changes"
    echo /change/C0123456789ABCDEFGHIJ ;;
  wait) ;;
  *) echo "stub aws: unexpected route53 call: $*" >&2; exit 2 ;;
  esac
  exit 0
fi
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
  // IMDSv2 (a PUT for the token, then the token in a header read from stdin) and downloads.
  curl: `
method=GET out='' url=''
headers=()
while (($#)); do
  case $1 in
  --request) method=$2; shift 2 ;;
  --header)
    if [[ $2 == @- ]]; then
      while IFS= read -r line; do headers+=("$line"); done
    else
      headers+=("$2")
    fi
    shift 2 ;;
  --output) out=$2; shift 2 ;;
  --max-time | --retry) shift 2 ;;
  -*) shift ;;
  *) url=$1; shift ;;
  esac
done
case $url in
*/latest/api/token)
  [[ $method == PUT && -f "$STUB_STATE/imds-token" ]] || { echo 'curl: (7) Failed to connect' >&2; exit 7; }
  cat "$STUB_STATE/imds-token" ;;
*/latest/meta-data/*)
  expected="X-aws-ec2-metadata-token: $(cat "$STUB_STATE/imds-token")"
  ok=false
  for header in "\${headers[@]}"; do [[ $header != "$expected" ]] || ok=true; done
  $ok || { echo 'curl: (22) The requested URL returned error: 401' >&2; exit 22; }
  cat "$STUB_STATE/imds/\${url##*/meta-data/}" ;;
*)
  body="$STUB_STATE/body/"${KEY('url')}
  [[ -f $body ]] || { echo 'curl: (22) The requested URL returned error: 404' >&2; exit 22; }
  cat "$body" >"$out" ;;
esac`,
  // Runs the command as the test user: webapp need not exist here.
  runuser: `
[[ $1 == -u && $3 == -- ]] || { echo "stub runuser: unexpected arguments: $*" >&2; exit 2; }
shift 3
exec "$@"`,
  rpm: `
[[ $1 == -q && $2 == --quiet ]] || exit 2
grep -Fxq -- "$3" "$STUB_STATE/installed"`,
  dnf: `
[[ $1 == install ]] || exit 1
printf '%s\\n' "\${@: -1}" >>"$STUB_STATE/installed"`,
  // Logged, not run: the test user owns the sandbox, and webapp need not exist here.
  chown: '',
  systemctl: '',
};

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SandboxOptions {
  /** The php on PATH: `real` logs the call and runs the real PHP CLI; a string is a stub's body; absent, none. */
  readonly php?: 'real' | string;
}

/** A temporary root with the stubs on PATH, a release directory and the stubs' state. */
export class Sandbox {
  readonly root: string;
  readonly bin: string;
  readonly state: string;
  readonly log: string;
  /** The release, as /var/app/staging (or /var/app/current) would hold it. */
  readonly release: string;

  constructor(options: SandboxOptions = {}) {
    this.root = mkdtempSync(join(tmpdir(), 'storestack-apps-hooks-'));
    this.bin = join(this.root, 'bin');
    this.state = join(this.root, 'state');
    this.log = join(this.root, 'calls.log');
    this.release = join(this.root, 'var/app/staging');
    for (const dir of [this.bin, this.release, ...['ssm', 'secrets', 'imds', 'body'].map((d) => join(this.state, d))]) {
      mkdirSync(dir, { recursive: true });
    }
    writeFileSync(this.log, '');
    writeFileSync(join(this.state, 'installed'), '');
    const stubs = { ...STUBS };
    if (options.php === 'real') stubs.php = `exec ${required('php')} "$@"`;
    else if (options.php !== undefined) stubs.php = options.php;
    for (const [name, body] of Object.entries(stubs)) {
      writeFileSync(join(this.bin, name), stubScript(body), { mode: 0o755 });
    }
    for (const tool of REAL_TOOLS) symlinkSync(required(tool), join(this.bin, tool));
    symlinkSync(BASH, join(this.bin, 'bash'));
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

  /** What curl --output writes for a URL. */
  answer(url: string, body: string): void {
    writeFileSync(join(this.state, 'body', Sandbox.key(url)), body);
  }

  /** The metadata service's session token and one of its values. */
  setMetadata(token: string, values: Record<string, string>): void {
    writeFileSync(join(this.state, 'imds-token'), token);
    for (const [key, value] of Object.entries(values)) writeFileSync(join(this.state, 'imds', key), value);
  }

  /** Marks a package as installed, for the rpm stub. */
  install(name: string): void {
    writeFileSync(join(this.state, 'installed'), `${name}\n`, { flag: 'a' });
  }

  /** The changes aws route53 accepted: zone id and parsed change batch. */
  route53Changes(): { zone: string; batch: unknown }[] {
    const file = join(this.state, 'route53-changes');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const space = line.indexOf(' ');
        return { zone: line.slice(0, space), batch: JSON.parse(line.slice(space + 1)) };
      });
  }

  /** Every stubbed command run so far, as "<name> <arguments>". */
  calls(): string[] {
    return readFileSync(this.log, 'utf8').split('\n').filter(Boolean);
  }

  callsOf(name: string): string[] {
    return this.calls().filter((call) => call === name || call.startsWith(`${name} `));
  }

  /** The raw call log, for searching it for secrets. */
  callLog(): string {
    return readFileSync(this.log, 'utf8');
  }

  read(file: string): string | undefined {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /** Removes a file or directory of the sandbox. */
  clear(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  /** Writes a file under the sandbox, creating its directories. */
  write(file: string, content: string, mode = 0o644): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { mode });
  }

  /** Runs a rendered script with the sandbox's stubs; `env` adds the locations the test chooses. */
  run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    const file = join(this.root, 'hook.sh');
    writeFileSync(file, script, { mode: 0o755 });
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
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
