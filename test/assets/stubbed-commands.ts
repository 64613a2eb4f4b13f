// What the sandboxes that run rendered scripts against stubbed system commands share: finding
// the real tools, and the line every stub starts with.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first directory on PATH holding an executable `name`. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** The real `name`, which the test cannot run without. */
export function required(name: string): string {
  const path = findOnPath(name);
  if (!path) throw new Error(`test setup: ${name} is not on PATH`);
  return path;
}

/** The shell every stub runs in. */
export const BASH = required('bash');

/** Every stub's first line: appends "<name> <arguments>" to $STUB_LOG. */
export const LOG_CALL = `printf '%s\\n' "\${0##*/} $*" >>"$STUB_LOG"`;

/** Writes a stub's script: BASH, the log line, then `body`. */
export function stubScript(body: string): string {
  return `#!${BASH}\n${LOG_CALL}\n${body}\n`;
}

/**
 * A bash expression that turns `variable`'s value into a state file name: "/" and ":" replaced by
 * "%", as {@link stateKey} does in TypeScript.
 */
export const KEY = (variable: string) => `"\${${variable}//[\\/:]/%}"`;

/** A value as a state file name: "/" and ":" replaced by "%", as {@link KEY} does in bash. */
export function stateKey(value: string): string {
  return value.replaceAll(/[/:]/g, '%');
}

/** A stub that logs the call and runs the real `name`. */
export function realCommand(name: string): string {
  return `exec ${required(name)} "$@"`;
}

// Stub bodies that several sandboxes share, with the state they use in $STUB_STATE.

/** aws ssm get-parameter and secretsmanager get-secret-value: ssm/<name>, secrets/<arn> (keyed). */
export const AWS_PARAMETERS_STUB = `
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
printf '%s\\n' "$(cat "$file")"`;

/** rpm -q --quiet <package>: succeeds for the packages listed in installed. */
export const RPM_STUB = `
[[ $1 == -q && $2 == --quiet ]] || exit 2
grep -Fxq -- "$3" "$STUB_STATE/installed"`;

/** dnf install ... <package>: appends the last argument to installed. */
export const DNF_STUB = `
[[ $1 == install ]] || exit 1
printf '%s\\n' "\${@: -1}" >>"$STUB_STATE/installed"`;

/**
 * mount -t <type> -o <options> <source> <mount point>: appends "<mount point> <source> <type>" to
 * mounted, after the failures counted in mount-fail/<source> (keyed; "always": every attempt); with
 * `hang`, never returns for a source in mount-hang/<source>.
 */
export function mountStub(options: { readonly hang?: boolean } = {}): string {
  const hang = options.hang ? `\nif [[ -f "$STUB_STATE/mount-hang/"${KEY('source')} ]]; then exec sleep 30; fi` : '';
  return `
[[ $1 == -t && $3 == -o && $# == 6 ]] || { echo "stub mount: unexpected arguments: $*" >&2; exit 4; }
type=$2 source=$5 mount_point=$6
[[ -d $mount_point ]] || { echo "mount: $mount_point: mount point does not exist." >&2; exit 32; }${hang}
fail_file="$STUB_STATE/mount-fail/"${KEY('source')}
if [[ -f $fail_file ]]; then
  left=$(cat "$fail_file")
  if [[ $left == always ]] || ((left > 0)); then
    [[ $left == always ]] || printf '%s\\n' "$((left - 1))" >"$fail_file"
    echo "mount.nfs4: Connection timed out for $source on $mount_point" >&2
    exit 32
  fi
fi
printf '%s %s %s\\n' "$mount_point" "$source" "$type" >>"$STUB_STATE/mounted"`;
}

/** mountpoint -q <dir>: looks the directory up in mounted; never returns for one in mount-hang/<dir>. */
export const MOUNTPOINT_STUB = `
[[ $1 == -q ]] || exit 2
if [[ -f "$STUB_STATE/mount-hang/"${KEY('2')} ]]; then exec sleep 30; fi
awk -v mp="$2" '$1 == mp { found = 1 } END { exit !found }' "$STUB_STATE/mounted"`;

/**
 * findmnt --noheadings --output SOURCE --mountpoint <dir>: the source in mounted. efs-utils mounts
 * through a local TLS tunnel: findmnt shows 127.0.0.1:/ for every EFS share.
 */
export const FINDMNT_STUB = `
[[ $1 == --noheadings && $2 == --output && $3 == SOURCE && $4 == --mountpoint ]] || exit 2
awk -v mp="$5" '$1 == mp { print ($3 == "efs" ? "127.0.0.1:/" : $2); found = 1 } END { exit !found }' "$STUB_STATE/mounted"`;

/** runuser -u <user> -- <command>: runs the command as the test user. */
export const RUNUSER_STUB = `
[[ $1 == -u && $3 == -- ]] || { echo "stub runuser: unexpected arguments: $*" >&2; exit 2; }
shift 3
exec "$@"`;
