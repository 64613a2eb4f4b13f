// The rehearsal's code repository: a git repository holding the fixture Magento
// (src/rehearsal/fixture/magento/), whose releases are commits that change the code's schema,
// how long its migration takes and whether it fails (app/etc/storestack-fixture.php). A build
// takes its release id from the commit time, so every commit gets a later second than the last.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assetFilePath } from '../assets/asset-files.ts';

/**
 * The fixture Magento's source tree, committed in this project: beside this module under tsx
 * and Vitest, found from the project root when the CLI runs as a bundle (see assetFilePath).
 */
export function fixtureSourceDir(): string {
  return assetFilePath(import.meta.dirname, 'src/rehearsal/fixture/magento');
}
/** The branch the repository's releases are committed on. */
export const FIXTURE_BRANCH = 'main';
/** The tag of the repository's first commit (schema 1, a 1 s migration). */
export const FIXTURE_FIRST_TAG = 'release-1';
/** The file that holds the code's version. */
export const FIXTURE_CODE_FILE = 'app/etc/storestack-fixture.php';

const TAG = /^(?!-)(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9._/-]{1,100}$/;

/** One release of the fixture: what its code wants of the database. */
export interface FixtureRelease {
  readonly tag: string;
  /** The database schema this code runs with (>= 1); setup:upgrade brings the database to it. */
  readonly schema: number;
  /** How long setup:upgrade takes. */
  readonly migrationSeconds: number;
  /** setup:upgrade fails (exit 1, the database left as it was). */
  readonly failMigration: boolean;
  /** A line for the CHANGELOG and the commit message. */
  readonly note?: string;
}

export interface FixtureCommit {
  readonly tag: string;
  readonly commit: string;
  /** The committer time in seconds since the epoch: the release id a build of this commit gets. */
  readonly committedAt: number;
}

/** Runs git in `dir`; returns its standard output, trimmed. Throws with git's error. */
function git(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync('git', [...args], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      // The user's and the system's configuration stay out: no signing, hooks or templates of theirs.
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      ...env,
    },
  });
  if (result.error) throw new Error(`cannot run git ${args[0]} in ${dir}: ${result.error.message} (is git installed?)`);
  if (result.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed in ${dir} (exit ${result.status}): ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

/** PHP source of app/etc/storestack-fixture.php for a release. */
function codeFile(release: FixtureRelease): string {
  const seconds = Number.isInteger(release.migrationSeconds)
    ? release.migrationSeconds.toFixed(1)
    : String(release.migrationSeconds);
  return [
    '<?php',
    "// The fixture's code version (storestack release rehearsal): the database schema this code runs",
    '// with, how long its setup:upgrade migration takes, and whether it fails. Each rehearsal release',
    `// commit rewrites this file (fixture-repository.ts). This one: ${release.tag}.`,
    'return [',
    `    'schema' => ${release.schema},`,
    `    'migration_seconds' => ${seconds},`,
    `    'fail_migration' => ${release.failMigration ? 'true' : 'false'},`,
    '];',
    '',
  ].join('\n');
}

function checkRelease(release: FixtureRelease): void {
  if (!TAG.test(release.tag)) throw new Error(`${JSON.stringify(release.tag)} is not a usable git tag name`);
  if (!Number.isInteger(release.schema) || release.schema < 1) {
    throw new Error(`${release.tag}: the schema must be an integer >= 1, not ${release.schema}`);
  }
  if (!Number.isFinite(release.migrationSeconds) || release.migrationSeconds < 0) {
    throw new Error(`${release.tag}: migrationSeconds must be a number >= 0, not ${release.migrationSeconds}`);
  }
  if (release.note !== undefined && /[\r\n]/.test(release.note))
    throw new Error(`${release.tag}: the note must be one line`);
}

/** Commits everything in the work tree with a committer time after the previous commit's; tags it. */
function commitAndTag(dir: string, tag: string, message: string): FixtureCommit {
  if (git(dir, ['tag', '--list', tag]) !== '') throw new Error(`the tag ${tag} already exists in ${dir}`);
  const head = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: dir, encoding: 'utf8' });
  const previous = head.status === 0 && head.stdout.trim() !== '' ? Number(head.stdout.trim()) : 0;
  const committedAt = Math.max(Math.floor(Date.now() / 1000), previous + 1);
  const date = `@${committedAt} +0000`;
  git(dir, ['add', '--all']);
  git(dir, ['commit', '--quiet', '--no-verify', '--message', message], {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
  git(dir, ['tag', tag]);
  return { tag, commit: git(dir, ['rev-parse', 'HEAD']), committedAt };
}

/**
 * Creates the rehearsal's code repository in `dir` (missing or empty): the fixture Magento
 * committed on `main` and tagged `release-1` (schema 1, a 1 s migration).
 */
export function createFixtureRepository(dir: string): FixtureCommit {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new Error(`cannot create the fixture repository in ${target}: the directory is not empty`);
  }
  mkdirSync(target, { recursive: true });
  git(target, ['init', '--quiet', '-b', FIXTURE_BRANCH]);
  for (const [key, value] of [
    ['user.name', 'storestack rehearsal'],
    ['user.email', 'rehearsal@storestack.invalid'],
    ['commit.gpgsign', 'false'],
    ['tag.gpgsign', 'false'],
    ['core.fileMode', 'true'],
  ] as const) {
    git(target, ['config', '--local', key, value]);
  }
  // cpSync keeps the modes: bin/magento stays executable.
  cpSync(fixtureSourceDir(), target, { recursive: true });
  writeFileSync(join(target, 'CHANGELOG'), `${FIXTURE_FIRST_TAG}: schema 1, migration 1 s\n`);
  return commitAndTag(target, FIXTURE_FIRST_TAG, `${FIXTURE_FIRST_TAG}: the fixture Magento, schema 1`);
}

/**
 * Commits a release of the fixture in the repository `dir`: rewrites app/etc/storestack-fixture.php,
 * adds a CHANGELOG line (so that every commit differs), commits one second or more after the
 * previous commit (the release id is the commit time) and tags it.
 */
export function commitFixtureRelease(dir: string, release: FixtureRelease): FixtureCommit {
  checkRelease(release);
  const target = resolve(dir);
  if (!existsSync(join(target, '.git'))) throw new Error(`${target} is not a fixture repository (no .git)`);
  writeFileSync(join(target, FIXTURE_CODE_FILE), codeFile(release));
  const summary =
    `schema ${release.schema}, migration ${release.migrationSeconds} s` +
    `${release.failMigration ? ', the migration fails' : ''}${release.note ? ` (${release.note})` : ''}`;
  appendFileSync(join(target, 'CHANGELOG'), `${release.tag}: ${summary}\n`);
  return commitAndTag(target, release.tag, `${release.tag}: ${summary}`);
}
