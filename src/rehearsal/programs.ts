// The programs the rehearsal runs, where they are, and the Debian package of each: one list, so a
// missing one is always named with the package that provides it and the script that installs it
// (scripts/rehearsal-packages.sh, which .ci/run also calls).

import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const PROGRAM_PACKAGES = {
  haproxy: 'haproxy',
  nginx: 'nginx',
  'php-fpm8.2': 'php8.2-fpm',
  php: 'php8.2-cli',
  mariadbd: 'mariadb-server',
  'mariadb-install-db': 'mariadb-server',
  mariadb: 'mariadb-client',
  mysqldump: 'mariadb-client',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  openssl: 'openssl',
  unzip: 'unzip',
  zip: 'zip',
  git: 'git',
  unshare: 'util-linux',
} as const;

export type Program = keyof typeof PROGRAM_PACKAGES;

/** Where a program is: on PATH, or in the sbin directories a non-root PATH lacks (mariadbd, nginx). */
export function findProgram(program: Program): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** The program's path, or an error naming its Debian package. */
export function requireProgram(program: Program): string {
  const found = findProgram(program);
  if (found) return found;
  throw new Error(
    `${program} is not installed: the rehearsal needs the Debian package ${PROGRAM_PACKAGES[program]} (scripts/rehearsal-packages.sh installs every one)`,
  );
}

/** The Debian packages missing for the rehearsal, PHP's pdo_mysql and redis modules included. */
export function missingPackages(): string[] {
  const missing = new Set<string>();
  for (const [program, pkg] of Object.entries(PROGRAM_PACKAGES) as [Program, string][]) {
    if (!findProgram(program)) missing.add(pkg);
  }
  if (!missing.has('php8.2-cli')) {
    const modules = execFileSync(requireProgram('php'), ['-m'], { encoding: 'utf8' });
    if (!/^pdo_mysql$/m.test(modules)) missing.add('php8.2-mysql');
    if (!/^redis$/m.test(modules)) missing.add('php8.2-redis');
  }
  return [...missing].sort();
}
