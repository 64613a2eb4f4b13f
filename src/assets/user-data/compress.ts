// EC2 accepts at most 16 KB of user data. A script larger than that ships gzip-compressed inside a
// small bash wrapper that unpacks and runs it: the instance runs exactly the rendered script.
// Free of aws-cdk-lib. A CloudFormation value in the script (a CDK token, e.g. a volume id)
// cannot be compressed at synth: it becomes a placeholder in the payload, and the wrapper, which
// holds the token itself, puts the resolved value back before running the script.
import { gzipSync } from 'node:zlib';

/** EC2's limit on user data, before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/** A CDK string token as it appears in rendered text. */
const STRING_TOKEN = /\$\{Token\[[A-Za-z0-9_.-]+\]\}/g;
const PLACEHOLDER_PREFIX = '@STORESTACK_TOKEN_';
const placeholder = (index: number) => `${PLACEHOLDER_PREFIX}${index + 1}@`;

/**
 * The wrapper's lines that put each token's value, resolved by CloudFormation, back in place of
 * its placeholder. A value is single-quoted: it must hold no single quote (ids, names and ARNs do not).
 */
function restoreTokens(tokens: readonly string[]): string[] {
  if (tokens.length === 0) return [];
  return [
    'content="$(<"$script")"',
    ...tokens.flatMap((token, index) => [
      `value='${token}'`,
      // The quoted replacement is literal: no & or \\ expansion.
      `content="\${content//${placeholder(index)}/"\${value}"}"`,
    ]),
    'printf \'%s\\n\' "$content" >"$script"',
  ];
}

/**
 * `script` itself when it fits in EC2's user data, else a bash wrapper holding it gzip-compressed
 * and base64-encoded, which writes it to a root-only temporary file and runs it with bash.
 * Deterministic: the same script gives the same wrapper. CDK string tokens are put back at boot
 * (see above). Throws when even the wrapper is too large, or on a token other than a string.
 */
export function fitUserData(script: string): string {
  if (Buffer.byteLength(script) <= USER_DATA_LIMIT_BYTES) return script;
  if (script.includes(PLACEHOLDER_PREFIX)) {
    throw new Error(`the user data holds ${PLACEHOLDER_PREFIX}, which the compression uses for its placeholders`);
  }
  if (/[#]\{Token\[|\$\{Token\[(?![A-Za-z0-9_.-]+\]\})/.test(script)) {
    throw new Error('the user data holds a CloudFormation token other than a string: it cannot be compressed at synth');
  }
  const tokens = [...new Set(script.match(STRING_TOKEN) ?? [])];
  let literal = script;
  tokens.forEach((token, index) => {
    literal = literal.replaceAll(token, placeholder(index));
  });
  // Node's gzip writes mtime 0 and a fixed OS byte: the output depends on the input alone.
  const payload = gzipSync(Buffer.from(literal), { level: 9 })
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
    ...restoreTokens(tokens),
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
