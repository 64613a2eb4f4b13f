// User data over EC2's 16 KB ships compressed in a wrapper that runs it unchanged.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitUserData, USER_DATA_LIMIT_BYTES } from '../../../src/assets/user-data/compress.ts';
import { expectShellcheckClean } from '../lint.ts';

/** A script of about `bytes` bytes that writes its own marker line into $OUT. */
function largeScript(bytes: number): string {
  const filler = Array.from({ length: Math.ceil(bytes / 60) }, (_, i) => `# filler line ${i} ${'x'.repeat(40)}`);
  return ['#!/bin/bash', 'set -euo pipefail', ...filler, 'printf "%s\\n" "ran as rendered" >"$OUT"', ''].join('\n');
}

describe('fitUserData', () => {
  it('leaves a script that fits as it is', () => {
    const script = largeScript(4000);
    expect(fitUserData(script)).toBe(script);
  });

  it('compresses a larger script into a wrapper under the limit that runs it unchanged', () => {
    const script = largeScript(40_000);
    expect(Buffer.byteLength(script)).toBeGreaterThan(USER_DATA_LIMIT_BYTES);
    const wrapper = fitUserData(script);
    expect(Buffer.byteLength(wrapper)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    expect(fitUserData(script)).toBe(wrapper);

    const directory = mkdtempSync(join(tmpdir(), 'storestack-user-data-'));
    try {
      const out = join(directory, 'out');
      const run = spawnSync('bash', ['-c', wrapper], { env: { ...process.env, OUT: out }, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('ran as rendered\n');
      // The payload is the script, byte for byte.
      const lines = wrapper.split('\n');
      const start = lines.findIndex((line) => line.includes("<<'STORESTACK_PAYLOAD'"));
      const payload = lines.slice(start + 1, lines.indexOf('STORESTACK_PAYLOAD')).join('\n');
      const unpacked = execFileSync('bash', ['-c', 'base64 -d | gunzip'], { input: payload });
      expect(createHash('sha256').update(unpacked).digest('hex')).toBe(
        createHash('sha256').update(script).digest('hex'),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('writes a wrapper that passes shellcheck', () => {
    const directory = mkdtempSync(join(tmpdir(), 'storestack-user-data-'));
    try {
      const file = join(directory, 'user-data.sh');
      writeFileSync(file, fitUserData(largeScript(40_000)));
      expectShellcheckClean(file);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('puts the values CloudFormation resolves back into the script before running it', () => {
    // CDK string tokens as they appear in rendered text.
    const volume = `\${Token[TOKEN.123]}`;
    const bucket = `\${Token[Bucket.Name.77]}`;
    const script = `${largeScript(20_000)}printf '%s %s %s\\n' '${volume}' '${bucket}' '${volume}' >>"$OUT"\n`;
    const wrapper = fitUserData(script);
    expect(Buffer.byteLength(wrapper)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    // Each token once in the wrapper, for CloudFormation to resolve; none in the payload.
    expect(wrapper.split(volume)).toHaveLength(2);
    expect(wrapper.split(bucket)).toHaveLength(2);

    // What CloudFormation hands the instance: the tokens resolved (a value with & and \ in it
    // stays as it is).
    const resolved = wrapper.replace(volume, 'vol-0a1b2c3d4e5f60799').replace(bucket, 'a&b\\c');
    const directory = mkdtempSync(join(tmpdir(), 'storestack-user-data-'));
    try {
      const out = join(directory, 'out');
      const run = spawnSync('bash', ['-c', resolved], { env: { ...process.env, OUT: out }, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('ran as rendered\nvol-0a1b2c3d4e5f60799 a&b\\c vol-0a1b2c3d4e5f60799\n');
      const file = join(directory, 'user-data.sh');
      writeFileSync(file, resolved);
      expectShellcheckClean(file);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses a script holding a CloudFormation list token, which has no text to put back', () => {
    expect(() => fitUserData(`${largeScript(20_000)}echo #{Token[TOKEN.123]}\n`)).toThrow(/token other than a string/);
  });

  it('refuses a script that does not fit even compressed', () => {
    const random = Array.from({ length: 3000 }, (_, i) => createHash('sha256').update(String(i)).digest('hex')).join(
      '\n',
    );
    expect(() => fitUserData(`#!/bin/bash\n: '${random}'\n`)).toThrow(/more than EC2's 16384/);
  });
});
