// `storestack build` end to end with real git, bash and unzip, offline: a code repository and a
// configuration repository made by the test, a Magento CLI stand-in that records its calls and
// refuses database credentials, and the sample configuration pointed at them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platform as sample } from '../../config/platform.ts';
import { BuildCommand } from '../../src/cli/commands/build.ts';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { parsePlatform } from '../../src/config/load.ts';
import type { PlatformInput } from '../../src/config/schema.ts';
import {
  applyRedirects,
  BuildError,
  buildEnvironment,
  type CommandRunner,
  processRunner,
  REDIRECTS_BEGIN,
  REDIRECTS_END,
  ReleaseBuilder,
} from '../../src/release/build.ts';
import { renderMagentoBundle } from '../../src/release/magento-bundle.ts';
import { PROJECT_ROOT } from '../support.ts';

/** Magento's CLI, played by bash: fails on a database credential or a non-numeric content version. */
const MAGENTO_STAND_IN = `#!/usr/bin/env bash
set -euo pipefail
for name in $(compgen -e); do
  upper=\${name^^}
  if [[ $upper =~ ^(MYSQL|DB|DATABASE|MAGENTO_DB)_ || $upper == *PASSWORD* || $upper == *SECRET* ]]; then
    echo "a database credential reached the build: $name" >&2
    exit 1
  fi
done
for argument in "$@"; do
  if [[ $argument == --content-version=* && ! \${argument#--content-version=} =~ ^[0-9]+$ ]]; then
    echo "not a numeric content version: $argument" >&2
    exit 1
  fi
done
mkdir -p var
echo "$*" >> var/magento-calls.log
`;

const HTACCESS = 'Options -Indexes\n<IfModule mod_rewrite.c>\n    RewriteEngine on\n</IfModule>\n';
const STALE_BLOCK = `${REDIRECTS_BEGIN}\nRedirect 301 /stale /gone\n${REDIRECTS_END}\n`;
const REDIRECT_LINES = [
  REDIRECTS_BEGIN,
  'Redirect 301 /old-page /new-page',
  'Redirect 302 /promo https://shop.example.com/promo',
  REDIRECTS_END,
].join('\n');

/** Commit times (seconds): the code's tag, the code's main, the configuration's prod and preprod. */
const TIME = { tag: 1_700_000_000, main: 1_700_001_000, prod: 1_700_000_500, preprod: 1_600_000_000 };

let root: string;
let tempRoot: string;
let codeRepository: string;
let configRepository: string;
const commits = { tag: '', main: '', prod: '', preprod: '' };
const savedEnv = { ...process.env };

function git(cwd: string, args: string[], time?: number): string {
  const date = time === undefined ? {} : { GIT_AUTHOR_DATE: `@${time} +0000`, GIT_COMMITTER_DATE: `@${time} +0000` };
  return execFileSync(
    'git',
    ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args],
    {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Test',
        GIT_AUTHOR_EMAIL: 'test@example.com',
        GIT_COMMITTER_NAME: 'Test',
        GIT_COMMITTER_EMAIL: 'test@example.com',
        ...date,
      },
    },
  ).trim();
}

function write(base: string, path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(join(base, path)), { recursive: true });
  writeFileSync(join(base, path), content);
  chmodSync(join(base, path), mode);
}

function commit(repository: string, message: string, time: number): string {
  git(repository, ['add', '--all']);
  git(repository, ['commit', '--quiet', '-m', message], time);
  return git(repository, ['rev-parse', 'HEAD']);
}

/** The sample configuration with the test's repositories and offline build commands, changed by `change`. */
function configInput(change: (input: PlatformInput) => void = () => {}): PlatformInput {
  const input = structuredClone(sample) as PlatformInput;
  input.release.applications.magento = {
    repository: codeRepository,
    configRepository,
    buildCommands: ['bash bin/magento setup:di:compile'],
    htaccess: {
      file: 'pub/.htaccess',
      redirects: [
        { from: '/old-page', to: '/new-page', status: 301 },
        { from: '/promo', to: 'https://shop.example.com/promo', status: 302 },
      ],
    },
  };
  change(input);
  return input;
}

let configCount = 0;
function configFile(change?: (input: PlatformInput) => void): string {
  configCount += 1;
  const path = join(root, `platform-${configCount}.json`);
  writeFileSync(path, JSON.stringify(configInput(change)));
  return path;
}

let defaultConfig: string;

async function storestack(args: string[], config = defaultConfig) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT };
  const code = await main(['--config', config, 'build', ...args], context, [
    new BuildCommand(context, { tempRoot, secrets: async () => undefined }),
  ]);
  return { code, stdout: output.stdout, stderr: output.stderr };
}

let outCount = 0;
function outDir(): string {
  outCount += 1;
  return join(root, `out-${outCount}`);
}

interface Built {
  releaseId: string;
  zip: string;
  size: number;
  sha256: string;
  overridden: { path: string; source: string }[];
  code: { repository: string; ref: string; commit: string };
  config: { repository: string; branch: string; commit: string } | null;
}

/** Builds with --json and returns the result; fails the test, showing stderr, if the build fails. */
async function build(args: string[], config = defaultConfig): Promise<Built> {
  const { code, stdout, stderr } = await storestack([...args, '--json'], config);
  expect(stderr.split('\n').filter((line) => /failed|error/i.test(line))).toEqual([]);
  expect(code).toBe(0);
  return JSON.parse(stdout) as Built;
}

let tagBuilt: Promise<Built> | undefined;
/** magento for prod at v1.0, built once for the tests that read it. */
function tagBuild(): Promise<Built> {
  tagBuilt ??= build(['magento', '--env', 'prod', '--ref', 'v1.0', '--out', outDir()]);
  return tagBuilt;
}

function unzip(zip: string): string {
  const into = mkdtempSync(join(root, 'unzipped-'));
  const result = spawnSync('unzip', ['-q', zip, '-d', into], { encoding: 'utf8' });
  expect(result.error, 'unzip is not installed: apt-get install unzip').toBeUndefined();
  expect(result.stderr).toBe('');
  return into;
}

function listing(zip: string): string[] {
  return execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trimEnd().split('\n');
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'storestack-build-test-'));
  tempRoot = join(root, 'tmp');
  mkdirSync(tempRoot);

  // PHP is played by bash too: `php bin/magento ...` runs the stand-in (no PHP needed in CI).
  write(root, 'bin/php', '#!/usr/bin/env bash\nexec bash "$@"\n', 0o755);
  process.env.PATH = `${join(root, 'bin')}:${process.env.PATH}`;
  // Present in the caller's environment: the build commands must not see them.
  process.env.DB_PASSWORD = 'x';
  process.env.MYSQL_HOST = 'y';

  codeRepository = join(root, 'code');
  mkdirSync(codeRepository);
  git(codeRepository, ['init', '--quiet']);
  write(codeRepository, 'bin/magento', MAGENTO_STAND_IN, 0o755);
  symlinkSync('magento', join(codeRepository, 'bin/mage'));
  write(codeRepository, 'composer.json', '{ "name": "client/magento", "version": "1.0.0" }\n');
  write(codeRepository, 'pub/.htaccess', HTACCESS);
  // Magento ships its own pub/.user.ini: the rendered one replaces it.
  write(codeRepository, 'pub/.user.ini', 'memory_limit = 756M\n');
  write(codeRepository, '.gitignore', '/vendor/\n/generated/\n');
  commits.tag = commit(codeRepository, 'first release', TIME.tag);
  git(codeRepository, ['tag', '-a', 'v1.0', '-m', 'v1.0'], TIME.tag);
  // main moves on, with a redirect block an earlier release left in the repository.
  write(codeRepository, 'composer.json', '{ "name": "client/magento", "version": "1.1.0" }\n');
  write(codeRepository, 'pub/.htaccess', `${HTACCESS}${STALE_BLOCK}`);
  commits.main = commit(codeRepository, 'next release', TIME.main);

  configRepository = join(root, 'config');
  mkdirSync(configRepository);
  git(configRepository, ['init', '--quiet']);
  git(configRepository, ['checkout', '--quiet', '-b', 'prod']);
  write(configRepository, '.ebextensions/10-storestack-php.config', 'option_settings: [] # the client version\n');
  write(configRepository, '.ebextensions/20-client.config', 'option_settings: [] # prod\n');
  write(configRepository, '.platform/hooks/predeploy/05-client.sh', '#!/bin/bash\necho client hook\n', 0o755);
  commits.prod = commit(configRepository, 'prod configuration', TIME.prod);
  git(configRepository, ['checkout', '--quiet', '--orphan', 'preprod']);
  git(configRepository, ['rm', '--quiet', '-r', '--cached', '.']);
  rmSync(join(configRepository, '.ebextensions'), { recursive: true });
  rmSync(join(configRepository, '.platform'), { recursive: true });
  write(configRepository, '.ebextensions/20-client.config', 'option_settings: [] # preprod\n');
  commits.preprod = commit(configRepository, 'preprod configuration', TIME.preprod);

  defaultConfig = configFile();
});

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  rmSync(root, { recursive: true, force: true });
});

describe('storestack build magento', () => {
  it('merges the configuration branch, the rendered bundle over it and the redirects, builds, drops .git', async () => {
    const result = await tagBuild();
    const out = dirname(result.zip);

    // The configuration's commit is later than the code's: its time is the release id.
    const zip = join(out, `magento-prod-${TIME.prod}.zip`);
    expect(result).toEqual({
      application: 'magento',
      environment: 'prod',
      releaseId: String(TIME.prod),
      code: { repository: codeRepository, ref: 'v1.0', commit: commits.tag },
      config: { repository: configRepository, branch: 'prod', commit: commits.prod },
      zip,
      size: statSync(zip).size,
      sha256: createHash('sha256').update(readFileSync(zip)).digest('hex'),
      overridden: [
        { path: '.ebextensions/10-storestack-php.config', source: 'config' },
        { path: 'pub/.user.ini', source: 'code' },
      ],
    });
    expect(readFileSync(`${zip}.sha256`, 'utf8')).toBe(`${result.sha256}  magento-prod-${TIME.prod}.zip\n`);

    const tree = unzip(zip);
    const platform = parsePlatform(configInput(), 'test');
    for (const file of renderMagentoBundle(platform, 'prod')) {
      expect(readFileSync(join(tree, file.path), 'utf8'), file.path).toBe(file.content);
      expect(statSync(join(tree, file.path)).mode & 0o777, file.path).toBe(file.mode);
    }
    expect(statSync(join(tree, '.platform/hooks/prebuild/10-mount-shares.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(tree, 'pub/.user.ini'), 'utf8')).toContain('memory_limit');
    expect(readFileSync(join(tree, 'pub/.user.ini'), 'utf8')).not.toContain('756M');
    // The configuration repository's own files, its hook still executable.
    expect(readFileSync(join(tree, '.ebextensions/20-client.config'), 'utf8')).toBe('option_settings: [] # prod\n');
    expect(statSync(join(tree, '.platform/hooks/predeploy/05-client.sh')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(tree, 'bin/mage'))).toBe('magento');
    expect(readFileSync(join(tree, 'pub/.htaccess'), 'utf8')).toBe(`${HTACCESS}${REDIRECT_LINES}\n`);
    // What the instances' env.php hook reads: the release id and the static version, the same N.
    expect(readFileSync(join(tree, 'RELEASE_ID'), 'utf8')).toBe(`${TIME.prod}\n`);
    expect(readFileSync(join(tree, 'STATIC_VERSION'), 'utf8')).toBe(`${TIME.prod}\n`);

    const entries = listing(zip);
    expect(entries).toContain('.gitignore');
    expect(entries.filter((entry) => entry.split('/').includes('.git'))).toEqual([]);
    expect(entries).toEqual([...entries].sort());

    // di:compile, then one static content deploy per configured theme, with the numeric release id;
    // the stand-in would have failed the build on DB_PASSWORD or MYSQL_HOST.
    expect(readFileSync(join(tree, 'var/magento-calls.log'), 'utf8').trimEnd().split('\n')).toEqual([
      'setup:di:compile',
      `setup:static-content:deploy -f --content-version=${TIME.prod} --area frontend --theme Client/dlm fr_FR`,
      `setup:static-content:deploy -f --content-version=${TIME.prod} --area adminhtml --theme Magento/backend en_US fr_FR`,
    ]);
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  it('gives byte-identical zips for the same inputs', async () => {
    const a = await tagBuild();
    const b = await build(['magento', '--env', 'prod', '--ref', 'v1.0', '--out', outDir()]);
    expect(b.zip).not.toBe(a.zip);
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(b.zip).equals(readFileSync(a.zip))).toBe(true);
  });

  it('builds a branch, replacing the redirect block the checkout has, and prints a summary', async () => {
    const out = outDir();
    const { code, stdout, stderr } = await storestack(['magento', '--env', 'prod', '--ref', 'main', '--out', out]);
    expect(code).toBe(0);
    const zip = join(out, `magento-prod-${TIME.main}.zip`);
    const sha256 = createHash('sha256').update(readFileSync(zip)).digest('hex');
    expect(stdout.split('\n')).toEqual([
      `magento release ${TIME.main} for prod`,
      `  code:     ${codeRepository} at main (${commits.main})`,
      `  config:   ${configRepository} at prod (${commits.prod})`,
      `  zip:      ${zip}`,
      expect.stringMatching(/^ {2}size: {5}\d+\.\d KiB \(\d+ bytes\)$/),
      `  sha256:   ${sha256}`,
      '  the rendered bundle replaced 2 file(s):',
      '    .ebextensions/10-storestack-php.config (from the configuration repository)',
      '    pub/.user.ini (from the code)',
    ]);
    // Progress, each step timed, on standard error.
    expect(stderr).toMatch(
      new RegExp(`^checked out ${codeRepository} at main \\(${commits.main.slice(0, 12)}\\) \\(\\d+\\.\\d s\\)$`, 'm'),
    );
    expect(stderr).toMatch(/^ran bash bin\/magento setup:di:compile \(\d+\.\d s\)$/m);
    expect(stderr).toMatch(/^built magento-prod-\d+\.zip in \d+\.\d s$/m);

    const htaccess = readFileSync(join(unzip(zip), 'pub/.htaccess'), 'utf8');
    expect(htaccess).toBe(`${HTACCESS}${REDIRECT_LINES}\n`);
    expect(htaccess).not.toContain('/stale');
  });

  it('takes a full or an abbreviated commit sha as --ref', async () => {
    const full = await build(['magento', '--env', 'prod', '--ref', commits.tag, '--out', outDir()]);
    expect(full.code.commit).toBe(commits.tag);
    const short = await build(['magento', '--env', 'prod', '--ref', commits.main.slice(0, 10), '--out', outDir()]);
    expect(short.code.commit).toBe(commits.main);
    expect(short.releaseId).toBe(String(TIME.main));
  });

  it("takes the environment's configuration branch; the release id is the later commit's time unless --release-id", async () => {
    const preprod = await build(['magento', '--env', 'preprod', '--ref', 'v1.0', '--out', outDir()]);
    expect(preprod.config).toEqual({ repository: configRepository, branch: 'preprod', commit: commits.preprod });
    // The preprod configuration is older than the code: the code's time.
    expect(preprod.releaseId).toBe(String(TIME.tag));
    // The preprod branch has no file the bundle writes: only Magento's own .user.ini is replaced.
    expect(preprod.overridden).toEqual([{ path: 'pub/.user.ini', source: 'code' }]);
    const tree = unzip(preprod.zip);
    expect(readFileSync(join(tree, '.ebextensions/20-client.config'), 'utf8')).toBe('option_settings: [] # preprod\n');

    const out = outDir();
    const chosen = await build(['magento', '--env', 'prod', '--ref', 'v1.0', '--release-id', '42', '--out', out]);
    expect(chosen.zip).toBe(join(out, 'magento-prod-42.zip'));
    expect(readFileSync(join(unzip(chosen.zip), 'var/magento-calls.log'), 'utf8')).toContain('--content-version=42 ');
  });

  it('stops at a failing build command: no zip, no working directory, the command and its last 20 lines', async () => {
    const failing = 'for i in $(seq 1 30); do echo "line $i"; done; echo "compilation failed" >&2; exit 3';
    const config = configFile((input) => {
      input.release.applications.magento.buildCommands = ['bash bin/magento setup:di:compile', failing];
    });
    const out = outDir();
    const { code, stdout, stderr } = await storestack(
      ['magento', '--env', 'prod', '--ref', 'v1.0', '--out', out],
      config,
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `the build command \`${failing}\` failed with exit code 3; the build stopped and wrote no release. The last 20 lines of its output:\n  line 12\n`,
    );
    expect(stderr).toMatch(/ {2}line 30\n {2}compilation failed$/);
    expect(stderr).not.toContain('line 11\n');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  it('says which configuration branch is missing', async () => {
    const config = configFile((input) => {
      input.release.applications.magento.configBranches = { preprod: 'staging' };
    });
    const { code, stderr } = await storestack(
      ['magento', '--env', 'preprod', '--ref', 'v1.0', '--out', outDir()],
      config,
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      `the configuration repository ${configRepository} has no branch staging for preprod (release.applications.magento.configBranches.preprod, default: the environment's name)`,
    );
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  it('says which ref the code repository lacks, or that it cannot be fetched', async () => {
    const { code, stderr } = await storestack(['magento', '--env', 'prod', '--ref', 'v9.9', '--out', outDir()]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `v9.9 is not a branch, tag or commit of ${codeRepository}:\n  fatal: couldn't find remote ref v9.9`,
    );
    const missing = join(root, 'missing');
    const config = configFile((input) => {
      input.release.applications.magento.repository = missing;
    });
    const unreachable = await storestack(['magento', '--env', 'prod', '--ref', 'v1.0', '--out', outDir()], config);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(
      `cannot fetch ${missing}:\n  fatal: '${missing}' does not appear to be a git repository`,
    );
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  it.each([
    [
      ['shop', '--env', 'prod', '--ref', 'v1.0'],
      'shop is not an application storestack builds (known: magento, pim, connector, mirakl)',
    ],
    [
      ['magento', '--env', 'staging', '--ref', 'v1.0'],
      '--env staging is not an environment of the configuration (known: prod, preprod)',
    ],
    [
      ['magento', '--env', 'prod', '--ref=--upload-pack=touch'],
      '--ref "--upload-pack=touch" is not a git ref storestack accepts',
    ],
    [['magento', '--env', 'prod', '--ref', 'main..v1.0'], '--ref "main..v1.0" is not a git ref storestack accepts'],
    [['magento', '--env', 'prod', '--ref', 'v1.0;rm'], '--ref "v1.0;rm" is not a git ref storestack accepts'],
    [
      ['magento', '--env', 'prod', '--ref', 'v1.0', '--release-id', 'v42'],
      '--release-id "v42" is not a release id: 1 to 18 digits',
    ],
    [['magento', '--env', 'prod', '--ref', 'v1.0', '--release-id', '1.5'], '--release-id "1.5" is not a release id'],
  ])('refuses %j with a clear error', async (args, message) => {
    const out = outDir();
    const { code, stderr } = await storestack([...args, '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tempRoot)).toEqual([]);
  });
});

describe('storestack build <satellite app>', () => {
  it('merges the app bundle and runs the configured commands, without static content', async () => {
    const config = configFile((input) => {
      input.release.applications.pim = {
        repository: codeRepository,
        buildCommands: ['echo "built {releaseId} as $STORESTACK_RELEASE_ID" > built.txt'],
      };
    });
    const out = outDir();
    const { code, stdout } = await storestack(
      ['pim', '--env', 'prod', '--ref', 'v1.0', '--out', out, '--json'],
      config,
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Built;
    expect(result.zip).toBe(join(out, `pim-prod-${TIME.tag}.zip`));
    expect(result.config).toBeNull();
    expect(result.overridden).toEqual([]);
    const tree = unzip(result.zip);
    expect(statSync(join(tree, '.platform/hooks/prebuild/10-credentials.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(tree, 'built.txt'), 'utf8')).toBe(`built ${TIME.tag} as ${TIME.tag}\n`);
    expect(existsSync(join(tree, 'var/magento-calls.log'))).toBe(false);
  });
});

describe('ReleaseBuilder', () => {
  it('runs git without prompts and the build commands without credentials, in order', async () => {
    const calls: { file: string; args: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
    const recording: CommandRunner = {
      run(file, args, options) {
        calls.push({ file, args, env: options.env });
        return processRunner.run(file, args, options);
      },
    };
    const platform = parsePlatform(configInput(), 'test');
    const builder = new ReleaseBuilder(platform, {
      runner: recording,
      tempRoot,
      processEnv: { ...process.env, MAGENTO_DB_NAME: 'magento', SMTP_PASSWORD: 'z', AWS_SECRET_ACCESS_KEY: 'k' },
    });
    await builder.build({ application: 'magento', environment: 'prod', ref: 'v1.0', outDir: outDir() });

    const gitCalls = calls.filter((call) => call.file === 'git');
    expect(gitCalls.every((call) => call.env.GIT_TERMINAL_PROMPT === '0')).toBe(true);
    const bashCalls = calls.filter((call) => call.file === 'bash');
    expect(bashCalls.map((call) => call.args[1])).toEqual([
      'bash bin/magento setup:di:compile',
      `php bin/magento setup:static-content:deploy -f --content-version=${TIME.prod} --area frontend --theme Client/dlm fr_FR`,
      `php bin/magento setup:static-content:deploy -f --content-version=${TIME.prod} --area adminhtml --theme Magento/backend en_US fr_FR`,
    ]);
    for (const { env } of bashCalls) {
      expect(Object.keys(env).filter((name) => /DB_|MYSQL|PASSWORD|SECRET/i.test(name))).toEqual([]);
      expect(env.STORESTACK_RELEASE_ID).toBe(String(TIME.prod));
      expect(env.SOURCE_DATE_EPOCH).toBe(String(TIME.prod));
    }
  });
});

describe('buildEnvironment', () => {
  it('drops database settings and secrets, keeps the rest', () => {
    const env = buildEnvironment(
      {
        PATH: '/usr/bin',
        GIT_SSH_COMMAND: 'ssh -i key',
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus',
        DB_HOST: 'h',
        mysql_pwd: 'p',
        Database_Url: 'u',
        MAGENTO_DB_NAME: 'm',
        SMTP_PASSWORD: 's',
        AWS_SECRET_ACCESS_KEY: 'k',
      },
      '42',
      1_700_000_000,
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      GIT_SSH_COMMAND: 'ssh -i key',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus',
      STORESTACK_RELEASE_ID: '42',
      SOURCE_DATE_EPOCH: '1700000000',
    });
  });

  it('the stand-in really refuses a credential, so the build tests prove its absence', () => {
    const result = spawnSync('bash', [join(codeRepository, 'bin/magento'), 'setup:di:compile'], {
      cwd: mkdtempSync(join(root, 'standin-')),
      env: { PATH: process.env.PATH, DB_PASSWORD: 'x' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('a database credential reached the build: DB_PASSWORD\n');
  });
});

describe('applyRedirects', () => {
  const redirects = [{ from: '/a', to: '/b', status: 301 as const }];
  const block = `${REDIRECTS_BEGIN}\nRedirect 301 /a /b\n${REDIRECTS_END}`;

  it('appends the block, and replaces it the next time rather than adding another', () => {
    const once = applyRedirects('RewriteEngine on', redirects);
    expect(once).toBe(`RewriteEngine on\n${block}\n`);
    expect(applyRedirects(once, redirects)).toBe(once);
    expect(applyRedirects('', redirects)).toBe(`${block}\n`);
  });

  it('refuses markers out of pairs', () => {
    expect(() => applyRedirects(`${REDIRECTS_BEGIN}\nRedirect 301 /x /y\n`, redirects, 'pub/.htaccess')).toThrow(
      new BuildError(
        `pub/.htaccess has storestack's redirect markers out of pairs (1 "${REDIRECTS_BEGIN}", 0 "${REDIRECTS_END}"): fix it in the repository`,
      ),
    );
  });
});
