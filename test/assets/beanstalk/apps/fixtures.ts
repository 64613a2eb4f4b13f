// Sample props for the satellite apps' hooks, and a sandbox that runs a rendered hook with the
// system commands stubbed on PATH. No real system command is reachable but a few file utilities
// (and bash, which runuser's stub runs): a command missing from the stubs fails with "not found".

import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AppHooksProps,
  type InternalNameHookProps,
  renderAppHooks,
  renderInternalNameHook,
} from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { type MiraklFilesProps, renderMiraklFiles } from '../../../../src/assets/beanstalk/apps/mirakl/render.ts';
import { bundleFile } from '../../bundle.ts';
import { AwsStubSandbox, type RunResult } from '../../sandbox.ts';
import {
  AWS_PARAMETERS_STUB,
  BASH,
  DNF_STUB,
  KEY,
  RPM_STUB,
  RUNUSER_STUB,
  realCommand,
  stateKey,
} from '../../stubbed-commands.ts';

export type { RunResult };
export { bundleFile };

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
fi${AWS_PARAMETERS_STUB}`,
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
  runuser: RUNUSER_STUB,
  rpm: RPM_STUB,
  dnf: DNF_STUB,
  // Logged, not run: the test user owns the sandbox, and webapp need not exist here.
  chown: '',
  systemctl: '',
};

export interface SandboxOptions {
  /** The php on PATH: `real` logs the call and runs the real PHP CLI; a string is a stub's body; absent, none. */
  readonly php?: 'real' | string;
}

/** A temporary root with the stubs on PATH, a release directory and the stubs' state. */
export class Sandbox extends AwsStubSandbox {
  /** The release, as /var/app/staging (or /var/app/current) would hold it. */
  readonly release: string;

  constructor(options: SandboxOptions = {}) {
    const stubs = { ...STUBS };
    if (options.php === 'real') stubs.php = realCommand('php');
    else if (options.php !== undefined) stubs.php = options.php;
    super({
      prefix: 'storestack-apps-hooks-',
      stubs,
      realTools: REAL_TOOLS,
      stateDirs: ['ssm', 'secrets', 'imds', 'body'],
      stateFiles: ['installed'],
    });
    this.release = join(this.root, 'var/app/staging');
    mkdirSync(this.release, { recursive: true });
    symlinkSync(BASH, join(this.bin, 'bash'));
  }

  /** What curl --output writes for a URL. */
  answer(url: string, body: string): void {
    writeFileSync(join(this.state, 'body', stateKey(url)), body);
  }

  /** The metadata service's session token and one of its values. */
  setMetadata(token: string, values: Record<string, string>): void {
    writeFileSync(join(this.state, 'imds-token'), token);
    for (const [key, value] of Object.entries(values)) writeFileSync(join(this.state, 'imds', key), value);
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

  /** Removes a file or directory of the sandbox. */
  clear(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  /** Runs a rendered script with the sandbox's stubs; `env` adds the locations the test chooses. */
  run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    return this.execute('hook.sh', script, env);
  }
}
