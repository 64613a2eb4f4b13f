// EC2 accepts at most 16 KB of user data. A script larger than that ships gzip-compressed inside a
// small bash wrapper that unpacks and runs it: the instance runs exactly the rendered script.
// Free of aws-cdk-lib; the script must be literal text (no CloudFormation tokens inside).
import { gzipSync } from 'node:zlib';

/** EC2's limit on user data, before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * `script` itself when it fits in EC2's user data, else a bash wrapper holding it gzip-compressed
 * and base64-encoded, which writes it to a root-only temporary file and runs it with bash.
 * Deterministic: the same script gives the same wrapper. Throws when even the wrapper is too large.
 */
export function fitUserData(script: string): string {
  if (Buffer.byteLength(script) <= USER_DATA_LIMIT_BYTES) return script;
  if (/\$\{Token\[/.test(script)) {
    throw new Error('the user data holds an unresolved CloudFormation token: it cannot be compressed at synth');
  }
  // Node's gzip writes mtime 0 and a fixed OS byte: the output depends on the input alone.
  const payload = gzipSync(Buffer.from(script), { level: 9 })
    .toString('base64')
    .replace(/(.{76})/g, '$1\n')
    .trimEnd();
  const wrapper = [
    '#!/bin/bash',
    '# storestack: the user data, gzip-compressed (EC2 takes 16 KB at most); unpacked and run as it was rendered.',
    'set -euo pipefail',
    'script="$(mktemp)"',
    'trap \'rm -f "$script"\' EXIT',
    'base64 -d <<\'STORESTACK_PAYLOAD\' | gunzip >"$script"',
    payload,
    'STORESTACK_PAYLOAD',
    'bash "$script"',
    '',
  ].join('\n');
  if (Buffer.byteLength(wrapper) > USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `the user data is ${Buffer.byteLength(script)} bytes and ${Buffer.byteLength(wrapper)} compressed: more than EC2's ${USER_DATA_LIMIT_BYTES}`,
    );
  }
  return wrapper;
}
