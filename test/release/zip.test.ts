// The release zip writer, read back by the real Info-ZIP unzip (what the instances and the
// Rundeck host use): round trip, modes, links, empty directories, reproducible bytes, the limits.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeEntries, writeZip, ZIP_MAX_ENTRIES, type ZipEntry } from '../../src/release/zip.ts';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'storestack-zip-'));
});
afterAll(() => {
  execFileSync('rm', ['-rf', scratch]);
});

let counter = 0;
function directory(): string {
  counter += 1;
  const path = join(scratch, `case-${counter}`);
  mkdirSync(path);
  return path;
}

function file(path: string, content: string | Buffer, executable = false): ZipEntry {
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { kind: 'file', path, executable, size: data.length, read: () => data };
}

function unzip(args: string[]): string {
  const result = spawnSync('unzip', args, { encoding: 'utf8' });
  expect(result.error, 'unzip is not installed: apt-get install unzip').toBeUndefined();
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

const incompressible = randomBytes(4096);
const entries: ZipEntry[] = [
  file('.platform/hooks/prebuild/10-mount.sh', '#!/bin/bash\necho mount\n', true),
  file('pub/index.php', `<?php\n${'// padding that deflate shrinks\n'.repeat(200)}`),
  { kind: 'directory', path: 'var/' },
  { kind: 'directory', path: 'pub' },
  { kind: 'directory', path: '.platform' },
  { kind: 'directory', path: '.platform/hooks' },
  { kind: 'directory', path: '.platform/hooks/prebuild' },
  file('pub/empty.txt', ''),
  file('pub/random.bin', incompressible),
  file('pub/café.txt', 'non-ASCII name\n'),
  { kind: 'symlink', path: 'pub/latest', target: 'index.php' },
];

describe('writeZip', () => {
  it('writes a zip unzip lists in name order and tests clean', () => {
    const zip = join(directory(), 'release.zip');
    const written = writeZip(entries, zip);
    expect(written.entries).toBe(entries.length);
    expect(written.bytes).toBe(statSync(zip).size);
    expect(unzip(['-Z1', zip]).trimEnd().split('\n')).toEqual([
      '.platform/',
      '.platform/hooks/',
      '.platform/hooks/prebuild/',
      '.platform/hooks/prebuild/10-mount.sh',
      'pub/',
      'pub/café.txt',
      'pub/empty.txt',
      'pub/index.php',
      'pub/latest',
      'pub/random.bin',
      'var/',
    ]);
    expect(unzip(['-tq', zip])).toMatch(/No errors detected/);
  });

  it('round-trips contents, modes, the link and the empty directory through unzip', () => {
    const dir = directory();
    const zip = join(dir, 'release.zip');
    writeZip(entries, zip);
    const out = join(dir, 'out');
    unzip(['-q', zip, '-d', out]);
    expect(readFileSync(join(out, 'pub/index.php'), 'utf8')).toMatch(/^<\?php\n/);
    expect(readFileSync(join(out, 'pub/random.bin')).equals(incompressible)).toBe(true);
    expect(readFileSync(join(out, 'pub/empty.txt'), 'utf8')).toBe('');
    expect(readFileSync(join(out, 'pub/café.txt'), 'utf8')).toBe('non-ASCII name\n');
    expect(statSync(join(out, '.platform/hooks/prebuild/10-mount.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'pub/index.php')).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(out, 'pub/latest')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'pub/latest'))).toBe('index.php');
    expect(readdirSync(join(out, 'var'))).toEqual([]);
  });

  it('deflates what shrinks and stores the rest, with Unix attributes and no extra fields', () => {
    const zip = join(directory(), 'release.zip');
    writeZip(entries, zip);
    // zipinfo's verbose listing: per entry, the host, the method, the extra field length.
    const verbose = unzip(['-Zv', zip]);
    const section = (name: string) =>
      verbose.split('Central directory entry #').find((part) => part.includes(`${name}\n`));
    expect(section('pub/index.php')).toMatch(/compression method:\s+deflated/);
    expect(section('pub/random.bin')).toMatch(/compression method:\s+none \(stored\)/);
    expect(section('pub/empty.txt')).toMatch(/compression method:\s+none \(stored\)/);
    expect(verbose.match(/operating system of origin:\s+Unix\n/g)).toHaveLength(entries.length);
    expect(verbose.match(/length of extra field:\s+0 bytes\n/g)).toHaveLength(entries.length);
    expect(section('.platform/hooks/prebuild/10-mount.sh')).toContain('Unix file attributes (100755 octal)');
    expect(section('pub/latest')).toContain('Unix file attributes (120777 octal)');
  });

  it('gives the same bytes whatever the entries order, stamped with the given time (UTC, DOS epoch by default)', () => {
    const dir = directory();
    writeZip(entries, join(dir, 'a.zip'));
    writeZip([...entries].reverse(), join(dir, 'b.zip'));
    expect(readFileSync(join(dir, 'a.zip')).equals(readFileSync(join(dir, 'b.zip')))).toBe(true);
    // zipinfo -T prints the DOS time as stored: yyyymmdd.hhmmss.
    expect(unzip(['-ZT', join(dir, 'a.zip'), 'pub/index.php'])).toContain('19800101.000000');
    writeZip(entries, join(dir, 'c.zip'), { modified: new Date('2024-05-06T07:08:09Z') });
    expect(unzip(['-ZT', join(dir, 'c.zip'), 'pub/index.php'])).toContain('20240506.070808');
  });

  it('refuses paths that climb out, absolute paths and duplicates, leaving no file', () => {
    const dir = directory();
    for (const [bad, message] of [
      [[file('../etc/passwd', 'x')], /"\.\.\/etc\/passwd" is not a relative path/],
      [[file('/etc/passwd', 'x')], /is not a relative path/],
      [[file('a/./b', 'x')], /is not a relative path/],
      [[file('a', 'x'), file('a', 'y')], /a appears twice/],
    ] as const) {
      const zip = join(dir, 'bad.zip');
      expect(() => writeZip(bad, zip)).toThrow(message);
      expect(existsSync(zip)).toBe(false);
    }
  });

  it(`holds more than ${ZIP_MAX_ENTRIES} entries with zip64 end records, which unzip reads`, () => {
    // GIVEN more entries than the classic end record counts (a Magento tree with vendor/ has them)
    const zip = join(directory(), 'many.zip');
    const many = Array.from({ length: ZIP_MAX_ENTRIES + 10 }, (_, i) => file(`f${String(i).padStart(6, '0')}`, `${i}`));
    // WHEN it is written
    const written = writeZip(many, zip);
    // THEN every entry is there for unzip, the last one readable, and the zip64 records are present
    expect(written.entries).toBe(ZIP_MAX_ENTRIES + 10);
    const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .trim()
      .split('\n');
    expect(names).toHaveLength(ZIP_MAX_ENTRIES + 10);
    expect(unzip(['-p', zip, 'f065544'])).toBe('65544');
    const bytes = readFileSync(zip);
    expect(bytes.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBeGreaterThan(0);
    expect(bytes.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBeGreaterThan(0);
  });

  it('writes no zip64 record when the classic end record is enough', () => {
    const zip = join(directory(), 'few.zip');
    writeZip([file('a', 'x')], zip);
    expect(readFileSync(zip).indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(-1);
  });

  it('refuses a file over 4 GiB before reading it', () => {
    const dir = directory();
    // A sparse file: 4 GiB announced, nothing on disk.
    writeFileSync(join(dir, 'huge.bin'), '');
    truncateSync(join(dir, 'huge.bin'), 2 ** 32);
    const zip = join(directory(), 'huge.zip');
    expect(() => writeZip(treeEntries(dir), zip)).toThrow(
      /huge\.bin is 4294967296 bytes: a zip without zip64 holds files up to 4 GiB/,
    );
    expect(existsSync(zip)).toBe(false);
  });
});

describe('treeEntries', () => {
  it('lists directories, files and inside links without following links; any execute bit makes 0755', () => {
    const dir = directory();
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'var/cache'), { recursive: true });
    writeFileSync(join(dir, 'bin/magento'), '#!/usr/bin/env php\n', { mode: 0o700 });
    writeFileSync(join(dir, 'secret.txt'), 'owner only\n', { mode: 0o600 });
    symlinkSync('../secret.txt', join(dir, 'bin/link'));
    symlinkSync('bin', join(dir, 'tools'));
    const zip = join(directory(), 'tree.zip');
    writeZip(treeEntries(dir), zip);
    expect(unzip(['-Z1', zip]).trimEnd().split('\n')).toEqual([
      'bin/',
      'bin/link',
      'bin/magento',
      'secret.txt',
      'tools',
      'var/',
      'var/cache/',
    ]);
    const out = join(directory(), 'out');
    unzip(['-q', zip, '-d', out]);
    expect(statSync(join(out, 'bin/magento')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'secret.txt')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(out, 'tools'))).toBe('bin');
  });

  it('refuses a link out of the tree, naming it', () => {
    for (const target of ['/etc/passwd', '../../outside', '../a/../../outside']) {
      const dir = directory();
      mkdirSync(join(dir, 'a'));
      symlinkSync(target, join(dir, 'a/link'));
      expect(() => treeEntries(dir)).toThrow(`a/link is a symbolic link to ${target}, outside the release`);
    }
  });

  it('refuses what is neither a file, a directory nor a link', () => {
    const dir = directory();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect(() => treeEntries(dir)).toThrow('pipe is neither a file, a directory nor a symbolic link');
  });
});
