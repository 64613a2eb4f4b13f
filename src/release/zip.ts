// A deterministic zip writer for release bundles: the same tree gives the same bytes, so a
// release's sha256 identifies its content, and Beanstalk's hooks keep their execute bit.
// Written here rather than taken from npm: the format's subset a release needs is small, and
// every byte of it must be under our control (order, timestamps, attributes, no extra fields).
//
// What the archive holds, and why:
// - entries sorted by their UTF-8 name bytes, whatever order the caller gives;
// - one timestamp for every entry (the caller's `modified`, by default the DOS epoch
//   1980-01-01 00:00:00), encoded from UTC so the build host's time zone does not leak in;
// - "made by Unix" with the Unix mode in the external attributes, normalised to 0755 for
//   executables and directories and 0644 for other files: the build host's umask and the
//   checkout's owner bits do not leak in either;
// - symbolic links stored as links (mode 0120777, content = target), as Info-ZIP's zip -y and
//   unzip do; the tree walk refuses links that leave the tree, which would dangle on the instance;
// - no extra fields (no extended timestamps, no uid/gid), no data descriptors, no comment;
// - deflate at level 9 (node:zlib), or stored when deflate does not make the entry smaller.
// More than 65535 entries (a Magento tree with its vendor directory has more) adds the zip64 end
// of central directory record and its locator, as zip64 readers (unzip 6, Python, Java, Beanstalk)
// expect; an archive of at most 65535 entries has none, byte for byte as before. Sizes and offsets
// stay within 4 GiB (Beanstalk takes 500 MB bundles): larger is refused with a clear error. The
// bytes are reproducible with the same Node.js release (its bundled zlib decides the deflate stream).
import { createHash } from 'node:crypto';
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/** The most entries the classic end record counts; beyond, the zip64 end record holds the count. */
export const ZIP_MAX_ENTRIES = 0xffff;
/** The largest size or offset a zip without zip64 records, in bytes (4 GiB - 1). */
export const ZIP_MAX_BYTES = 0xffffffff;
/** The earliest time a DOS timestamp holds: 1980-01-01 00:00:00 (UTC, as this writer encodes). */
export const DOS_EPOCH = new Date(Date.UTC(1980, 0, 1));

export type ZipEntry =
  /** A directory: kept even when empty (Magento's var/ and generated/ may be). */
  | { readonly kind: 'directory'; readonly path: string }
  /** A regular file; `read` is called once, when the entry is written, so a tree is never all in memory. */
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly executable: boolean;
      /** The size announced before reading, checked against the limits before anything is read. */
      readonly size: number;
      readonly read: () => Buffer;
    }
  /** A symbolic link, stored as one: its content is the target. */
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

export interface ZipOptions {
  /**
   * The timestamp of every entry (2-second resolution, clamped to what DOS time holds).
   * @default - DOS_EPOCH, 1980-01-01 00:00:00
   */
  readonly modified?: Date;
}

export interface ZipWritten {
  readonly bytes: number;
  readonly sha256: string;
  readonly entries: number;
}

/** A tree or an entry list a zip cannot hold; the message says what and why. */
export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_BYTES = 22;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_BYTES = 56;
const ZIP64_LOCATOR_BYTES = 20;
/** Version 4.5: the zip64 format extensions. */
const VERSION_ZIP64 = 45;
const VERSION_MADE_BY_ZIP64 = (3 << 8) | VERSION_ZIP64;
/** Host system 3 (Unix) in the high byte, so unzip applies the mode in the external attributes; spec 2.0. */
const VERSION_MADE_BY = (3 << 8) | 20;
const VERSION_STORED = 10;
const VERSION_DEFLATED = 20;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** General purpose bit 11: the name is UTF-8. Set only for non-ASCII names, as Info-ZIP does. */
const FLAG_UTF8 = 0x0800;
const MSDOS_DIRECTORY = 0x10;
const MODE_FILE = 0o100644;
const MODE_EXECUTABLE = 0o100755;
const MODE_DIRECTORY = 0o040755;
const MODE_SYMLINK = 0o120777;

/** `date` as DOS time and date fields, from its UTC components. */
function dosDateTime(date: Date): { time: number; date: number } {
  const latest = Date.UTC(2107, 11, 31, 23, 59, 58);
  const clamped = new Date(Math.min(Math.max(date.getTime(), DOS_EPOCH.getTime()), latest));
  return {
    time: (clamped.getUTCHours() << 11) | (clamped.getUTCMinutes() << 5) | Math.floor(clamped.getUTCSeconds() / 2),
    date: ((clamped.getUTCFullYear() - 1980) << 9) | ((clamped.getUTCMonth() + 1) << 5) | clamped.getUTCDate(),
  };
}

/** The entry's name as stored: a relative path of safe segments, a directory's ending with `/`. */
function storedName(entry: ZipEntry): string {
  const path = entry.kind === 'directory' && entry.path.endsWith('/') ? entry.path.slice(0, -1) : entry.path;
  const segments = path.split('/');
  if (path.includes('\\') || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new ZipError(`${JSON.stringify(entry.path)} is not a relative path without "." or ".." segments`);
  }
  return entry.kind === 'directory' ? `${path}/` : path;
}

interface Prepared {
  readonly entry: ZipEntry;
  readonly name: Buffer;
}

/**
 * Writes `entries` as a zip at `file` (replaced if it exists). On any failure the partial file is
 * removed and the error thrown; a ZipError says what the archive cannot hold.
 */
export function writeZip(entries: readonly ZipEntry[], file: string, options: ZipOptions = {}): ZipWritten {
  const prepared: Prepared[] = entries
    .map((entry) => ({ entry, name: Buffer.from(storedName(entry), 'utf8') }))
    .sort((a, b) => Buffer.compare(a.name, b.name));
  for (let i = 1; i < prepared.length; i++) {
    if (Buffer.compare(prepared[i - 1]?.name as Buffer, prepared[i]?.name as Buffer) === 0) {
      throw new ZipError(`${prepared[i]?.name.toString('utf8')} appears twice`);
    }
  }
  for (const { entry, name } of prepared) {
    if (name.length > 0xffff)
      throw new ZipError(`${entry.path.slice(0, 80)}...: a zip entry name is at most 65535 bytes`);
    if (entry.kind === 'file' && entry.size > ZIP_MAX_BYTES) {
      throw new ZipError(`${entry.path} is ${entry.size} bytes: a zip without zip64 holds files up to 4 GiB`);
    }
  }
  const stamp = dosDateTime(options.modified ?? DOS_EPOCH);
  const hash = createHash('sha256');
  const fd = openSync(file, 'w', 0o644);
  let offset = 0;
  const write = (buffer: Buffer): void => {
    hash.update(buffer);
    let written = 0;
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written);
    offset += buffer.length;
  };
  const tooLarge = (what: string) =>
    new ZipError(`the archive passes 4 GiB at ${what}: a zip without zip64 holds at most ${ZIP_MAX_BYTES} bytes`);
  try {
    const central: Buffer[] = [];
    for (const { entry, name } of prepared) {
      const { content, mode } = contentOf(entry);
      const checksum = crc32(content);
      const deflated = content.length > 0 && entry.kind === 'file' ? deflateRawSync(content, { level: 9 }) : undefined;
      const compress = deflated !== undefined && deflated.length < content.length;
      const data = compress ? deflated : content;
      const method = compress ? METHOD_DEFLATED : METHOD_STORED;
      const version = compress ? VERSION_DEFLATED : VERSION_STORED;
      const flags = name.some((byte) => byte > 0x7f) ? FLAG_UTF8 : 0;
      if (offset + LOCAL_HEADER_BYTES + name.length + data.length > ZIP_MAX_BYTES) throw tooLarge(entry.path);

      const local = Buffer.alloc(LOCAL_HEADER_BYTES);
      local.writeUInt32LE(LOCAL_HEADER, 0);
      local.writeUInt16LE(version, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(stamp.time, 10);
      local.writeUInt16LE(stamp.date, 12);
      local.writeUInt32LE(checksum, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(content.length, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);

      const header = Buffer.alloc(CENTRAL_HEADER_BYTES);
      header.writeUInt32LE(CENTRAL_HEADER, 0);
      header.writeUInt16LE(VERSION_MADE_BY, 4);
      header.writeUInt16LE(version, 6);
      header.writeUInt16LE(flags, 8);
      header.writeUInt16LE(method, 10);
      header.writeUInt16LE(stamp.time, 12);
      header.writeUInt16LE(stamp.date, 14);
      header.writeUInt32LE(checksum, 16);
      header.writeUInt32LE(data.length, 20);
      header.writeUInt32LE(content.length, 24);
      header.writeUInt16LE(name.length, 28);
      // Extra field, comment, disk number, internal attributes: none.
      header.writeUInt32LE(((mode << 16) | (entry.kind === 'directory' ? MSDOS_DIRECTORY : 0)) >>> 0, 38);
      header.writeUInt32LE(offset, 42);
      central.push(header, name);

      write(local);
      write(name);
      write(data);
    }
    const directory = Buffer.concat(central);
    const directoryOffset = offset;
    const zip64 = prepared.length > ZIP_MAX_ENTRIES;
    const trailer = END_BYTES + (zip64 ? ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES : 0);
    if (directoryOffset + directory.length + trailer > ZIP_MAX_BYTES) throw tooLarge('the central directory');
    write(directory);
    if (zip64) {
      const zip64End = Buffer.alloc(ZIP64_END_BYTES);
      zip64End.writeUInt32LE(ZIP64_END_OF_CENTRAL_DIRECTORY, 0);
      // The size of the rest of the record (its 12 first bytes excluded).
      zip64End.writeBigUInt64LE(BigInt(ZIP64_END_BYTES - 12), 4);
      zip64End.writeUInt16LE(VERSION_MADE_BY_ZIP64, 12);
      zip64End.writeUInt16LE(VERSION_ZIP64, 14);
      zip64End.writeBigUInt64LE(BigInt(prepared.length), 24);
      zip64End.writeBigUInt64LE(BigInt(prepared.length), 32);
      zip64End.writeBigUInt64LE(BigInt(directory.length), 40);
      zip64End.writeBigUInt64LE(BigInt(directoryOffset), 48);
      const locator = Buffer.alloc(ZIP64_LOCATOR_BYTES);
      locator.writeUInt32LE(ZIP64_END_LOCATOR, 0);
      locator.writeBigUInt64LE(BigInt(directoryOffset + directory.length), 8);
      locator.writeUInt32LE(1, 16);
      write(zip64End);
      write(locator);
    }
    const end = Buffer.alloc(END_BYTES);
    end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
    // 0xffff: the count is in the zip64 end record.
    end.writeUInt16LE(Math.min(prepared.length, ZIP_MAX_ENTRIES), 8);
    end.writeUInt16LE(Math.min(prepared.length, ZIP_MAX_ENTRIES), 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(directoryOffset, 16);
    write(end);
  } catch (error) {
    closeSync(fd);
    unlinkSync(file);
    throw error;
  }
  closeSync(fd);
  return { bytes: offset, sha256: hash.digest('hex'), entries: prepared.length };
}

function contentOf(entry: ZipEntry): { content: Buffer; mode: number } {
  switch (entry.kind) {
    case 'directory':
      return { content: Buffer.alloc(0), mode: MODE_DIRECTORY };
    case 'symlink':
      return { content: Buffer.from(entry.target, 'utf8'), mode: MODE_SYMLINK };
    case 'file': {
      const content = entry.read();
      if (content.length > ZIP_MAX_BYTES) {
        throw new ZipError(`${entry.path} is ${content.length} bytes: a zip without zip64 holds files up to 4 GiB`);
      }
      return { content, mode: entry.executable ? MODE_EXECUTABLE : MODE_FILE };
    }
  }
}

/**
 * The entries of the tree at `root` (not `root` itself): every directory, file and symbolic link,
 * read with lstat so links are never followed. A file is executable when any execute bit is set.
 * Refuses links that are absolute or lead out of the tree (they would dangle once unpacked on an
 * instance) and anything that is not a file, a directory or a link (sockets, FIFOs, devices).
 */
export function treeEntries(root: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const absolute = join(root, path);
      const stats = lstatSync(absolute);
      if (stats.isDirectory()) {
        entries.push({ kind: 'directory', path });
        walk(path);
      } else if (stats.isFile()) {
        entries.push({
          kind: 'file',
          path,
          executable: (stats.mode & 0o111) !== 0,
          size: stats.size,
          read: () => readFileSync(absolute),
        });
      } else if (stats.isSymbolicLink()) {
        const target = readlinkSync(absolute);
        const resolved = posix.normalize(posix.join(posix.dirname(path), target));
        if (isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
          throw new ZipError(
            `${path} is a symbolic link to ${target}, outside the release: it would dangle once unpacked (make it relative, inside the tree, or copy the target)`,
          );
        }
        entries.push({ kind: 'symlink', path, target });
      } else {
        throw new ZipError(`${path} is neither a file, a directory nor a symbolic link: a release cannot hold it`);
      }
    }
  };
  walk('');
  return entries;
}
