// The output of a command run on an instance through Systems Manager, whole. Run Command keeps only
// the first 24,000 characters of a command's standard output, silently: 5,000 lines of a
// deployment log are far more. So the output goes to a file on the instance, and comes back as
// base64 in parts that each fit; every part's length is checked against the file's size, so a
// part SSM cut short is an error, never a shorter result.
import type { CommandResult, CommandRunner } from '../aws/commands.ts';
import { tail } from './aws.ts';

/** Bytes per part: their base64 (21,848 characters) and the header line stay under SSM's 24,000. */
export const PART_BYTES = 16_384;

/** The file the first part names; checked before it goes into the next parts' scripts. */
const OUTPUT_FILE = /^\/tmp\/storestack-output\.[A-Za-z0-9]+$/;

/** Single-quotes a value for the shell. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The command ran and failed (non-zero exit, timed out on the instance, ...). */
export class RemoteCommandError extends Error {
  constructor(
    message: string,
    readonly result: CommandResult,
  ) {
    super(message);
    this.name = 'RemoteCommandError';
  }
}

/** A part came back shorter than the file holds, or not as the script prints it. */
export class IncompleteOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompleteOutputError';
  }
}

export interface CaptureOptions {
  /** What the command does, for SSM's history and the errors (at most 100 characters are kept). */
  readonly comment: string;
  readonly timeoutSeconds: number;
}

/** Fails unless the command ran and exited 0, quoting the end of what it printed on standard error. */
export function requireSuccess(result: CommandResult, comment: string): void {
  if (result.status === 'Success' && result.exitCode === 0) return;
  const stderr = tail(result.stderr);
  throw new RemoteCommandError(
    `"${comment}" failed on ${result.instanceId}: ${result.status}, exit code ${result.exitCode}${stderr ? `\n${stderr}` : ''}`,
    result,
  );
}

/**
 * The first script: runs `producer` with its standard output in a new file, prints `<file> <size>`
 * and the file's first part. The file is removed on the way out unless more parts are to be read
 * (the last part's script removes it then; /tmp is a tmpfs on Amazon Linux 2023, so a file left
 * by an interrupted read goes at the next reboot). A failing producer fails the script (set -e).
 */
export function captureScript(producer: string): string {
  return [
    'out="$(mktemp /tmp/storestack-output.XXXXXXXXXX)"',
    'keep=0',
    `trap 'if [ "$keep" = 0 ]; then rm -f -- "$out"; fi' EXIT`,
    '{',
    producer,
    '} >"$out"',
    'size="$(stat -c %s -- "$out")"',
    `printf '%s %s\\n' "$out" "$size"`,
    `dd if="$out" bs=${PART_BYTES} count=1 status=none | base64 -w 0`,
    `if [ "$size" -gt ${PART_BYTES} ]; then keep=1; fi`,
  ].join('\n');
}

/** The script of part `index` (from 1) of `file`; the last one removes the file. */
export function partScript(file: string, index: number, last: boolean): string {
  return [
    `out=${shellQuote(file)}`,
    ...(last ? [`trap 'rm -f -- "$out"' EXIT`] : []),
    `dd if="$out" bs=${PART_BYTES} skip=${index} count=1 status=none | base64 -w 0`,
  ].join('\n');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Part `index` of a `size`-byte file from its base64, checked whole. */
function decodePart(text: string, index: number, size: number, where: string): Buffer {
  const bytes = Math.min(PART_BYTES, size - index * PART_BYTES);
  const expected = 4 * Math.ceil(bytes / 3);
  const encoded = text.trim();
  if (encoded.length !== expected || !BASE64.test(encoded)) {
    throw new IncompleteOutputError(
      `${where}: part ${index + 1} came back with ${encoded.length} of its ${expected} base64 characters (SSM output cut short?)`,
    );
  }
  const part = Buffer.from(encoded, 'base64');
  if (part.length !== bytes) {
    throw new IncompleteOutputError(`${where}: part ${index + 1} decodes to ${part.length} of its ${bytes} bytes`);
  }
  return part;
}

/**
 * Runs `producer` (shell, run as root with `set -euo pipefail`) on the instance and returns its
 * whole standard output: one Run Command when it fits in a part, one more per further part.
 * Throws a {@link RemoteCommandError} when a script fails, an {@link IncompleteOutputError} when
 * output is missing, and the runner's error when SSM cannot run the command.
 */
export async function captureOutput(
  commands: CommandRunner,
  instanceId: string,
  producer: string,
  options: CaptureOptions,
): Promise<Buffer> {
  const where = `"${options.comment}" on ${instanceId}`;
  const first = await commands.run(instanceId, captureScript(producer), options);
  requireSuccess(first, options.comment);
  const newline = first.stdout.indexOf('\n');
  const header = /^(\S+) (\d+)$/.exec(newline < 0 ? first.stdout : first.stdout.slice(0, newline));
  const file = header?.[1] ?? '';
  if (!header || !OUTPUT_FILE.test(file)) {
    throw new IncompleteOutputError(`${where}: the output does not start with its file and size`);
  }
  const size = Number(header[2]);
  const parts = [decodePart(first.stdout.slice(newline + 1), 0, size, where)];
  const count = Math.max(1, Math.ceil(size / PART_BYTES));
  for (let index = 1; index < count; index++) {
    const comment = `${options.comment} (part ${index + 1}/${count})`;
    const result = await commands.run(instanceId, partScript(file, index, index === count - 1), {
      comment,
      timeoutSeconds: options.timeoutSeconds,
    });
    requireSuccess(result, comment);
    parts.push(decodePart(result.stdout, index, size, where));
  }
  return Buffer.concat(parts);
}
