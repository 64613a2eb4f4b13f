// The rehearsal's code repository: the fixture Magento committed and tagged release-1, and release
// commits that rewrite the code's version, each one second or more after the last (the release id
// is the commit time), as a build clones them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitFixtureRelease,
  createFixtureRepository,
  FIXTURE_CODE_FILE,
  FIXTURE_FIRST_TAG,
} from '../../src/rehearsal/fixture-repository.ts';
import { requireFixturePrograms } from './fixture-support.ts';

function git(dir: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The code's version at `ref`, as PHP reads the file. */
function codeVersionAt(repo: string, ref: string): unknown {
  const file = join(repo, '..', `code-${ref}.php`);
  writeFileSync(file, git(repo, ['show', `${ref}:${FIXTURE_CODE_FILE}`]));
  const php = spawnSync('php', ['-r', 'echo json_encode(require $argv[1]);', file], { encoding: 'utf8' });
  if (php.status !== 0) throw new Error(`php: ${php.stderr}`);
  return JSON.parse(php.stdout);
}

describe('the fixture repository', () => {
  let dir: string;
  let repo: string;

  beforeAll(() => {
    requireFixturePrograms();
    dir = mkdtempSync(join(tmpdir(), 'storestack-fixture-repo-'));
    repo = join(dir, 'magento');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('commits the fixture Magento on main, tagged release-1, bin/magento executable, no env.php', () => {
    const first = createFixtureRepository(repo);
    expect(first.tag).toBe(FIXTURE_FIRST_TAG);
    expect(first.commit).toBe(git(repo, ['rev-parse', `${FIXTURE_FIRST_TAG}^{commit}`]));
    expect(first.committedAt).toBe(Number(git(repo, ['log', '-1', '--format=%ct', FIXTURE_FIRST_TAG])));
    expect(Math.abs(first.committedAt - Date.now() / 1000)).toBeLessThan(5);
    expect(git(repo, ['branch', '--show-current'])).toBe('main');
    expect(git(repo, ['status', '--porcelain'])).toBe('');
    const files = git(repo, ['ls-files', '-s']);
    expect(files).toMatch(/^100755 \w+ 0\tbin\/magento$/m);
    for (const file of ['pub/index.php', 'pub/health_check.php', 'composer.json', 'CHANGELOG', FIXTURE_CODE_FILE]) {
      expect(files).toContain(`\t${file}\n`);
    }
    expect(files).not.toContain('app/etc/env.php');
    expect(codeVersionAt(repo, FIXTURE_FIRST_TAG)).toEqual({ schema: 1, migration_seconds: 1, fail_migration: false });
  });

  it('refuses a directory that is not empty', () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'file'), 'x');
    expect(() => createFixtureRepository(busy)).toThrow(/busy: the directory is not empty/);
  });

  it('commits releases one second or more apart, each rewriting the code version, each tagged', () => {
    const second = commitFixtureRelease(repo, {
      tag: 'release-2',
      schema: 2,
      migrationSeconds: 2.5,
      failMigration: false,
      note: 'adds a column',
    });
    const third = commitFixtureRelease(repo, { tag: 'release-3', schema: 3, migrationSeconds: 0, failMigration: true });
    const first = Number(git(repo, ['log', '-1', '--format=%ct', FIXTURE_FIRST_TAG]));
    expect(second.committedAt).toBeGreaterThan(first);
    expect(third.committedAt).toBeGreaterThan(second.committedAt);
    expect(Number(git(repo, ['log', '-1', '--format=%ct', 'release-3']))).toBe(third.committedAt);
    expect(git(repo, ['rev-parse', 'release-3^{commit}'])).toBe(third.commit);
    expect(git(repo, ['rev-parse', 'release-3~1'])).toBe(second.commit);
    expect(codeVersionAt(repo, 'release-2')).toEqual({ schema: 2, migration_seconds: 2.5, fail_migration: false });
    expect(codeVersionAt(repo, 'release-3')).toEqual({ schema: 3, migration_seconds: 0, fail_migration: true });
    expect(git(repo, ['show', 'release-3:CHANGELOG']).split('\n')).toEqual([
      'release-1: schema 1, migration 1 s',
      'release-2: schema 2, migration 2.5 s (adds a column)',
      'release-3: schema 3, migration 0 s, the migration fails',
    ]);
    expect(git(repo, ['status', '--porcelain'])).toBe('');
  });

  it('refuses a tag that exists, a bad schema, and a directory that is not a repository', () => {
    const release = { tag: 'release-2', schema: 4, migrationSeconds: 1, failMigration: false };
    expect(() => commitFixtureRelease(repo, release)).toThrow(/the tag release-2 already exists/);
    expect(() => commitFixtureRelease(repo, { ...release, tag: 'release-4', schema: 0 })).toThrow(/integer >= 1/);
    expect(() => commitFixtureRelease(join(dir, 'busy'), { ...release, tag: 'release-4' })).toThrow(
      /not a fixture repository/,
    );
  });

  it('clones at a tag into a tree whose bin/magento runs (the build commands need no database)', () => {
    const clone = join(dir, 'clone');
    git(dir, ['clone', '--quiet', '--branch', 'release-2', repo, clone]);
    const deploy = spawnSync('php', ['bin/magento', 'setup:static-content:deploy', '-f', '--content-version=42'], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(deploy.status, deploy.stderr).toBe(0);
    const compile = spawnSync('php', ['bin/magento', 'setup:di:compile'], { cwd: clone, encoding: 'utf8' });
    expect(compile.status, compile.stderr).toBe(0);
  });
});
