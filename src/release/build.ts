// Builds a release once (DESIGN.md, "Releasing Magento", step 1), replacing the document's
// Rundeck job: clone the code at a ref and the Beanstalk configuration at the environment's
// branch, merge the configuration, the rendered bundle and the .htaccess redirects over the code,
// run the build commands without database credentials, drop .git and zip the tree
// deterministically. The same inputs (commits, configuration, release id) give the same zip.
// git and bash run through a CommandRunner, so a test can watch or replace them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RELEASE_APPLICATIONS, type ReleaseApplication, type ReleaseConfig } from '../config/release-schema.ts';
import type { Platform } from '../config/schema.ts';
import { renderAppBundle } from './app-bundles.ts';
import { type BundleFile, renderMagentoBundle } from './magento-bundle.ts';
import { treeEntries, writeZip, ZipError } from './zip.ts';

/** A branch, tag or commit that cannot be read as a git option or climb out of refs/. */
const SAFE_REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}$/;
/** Digits only: Magento's static URL rewrite matches `version<digits>`; 18 keeps it a safe integer (the rollout's rule). */
const RELEASE_ID = /^\d{1,18}$/;
/**
 * Variables the build commands never see: database settings and anything named like a secret.
 * The build runs with no database on purpose (composer, di:compile and static content need none).
 */
const CREDENTIAL_VARIABLE = /^(MYSQL|DB|DATABASE|MAGENTO_DB)_|PASSWORD|SECRET/i;
/** How many lines of a failed command's output the error shows. */
const FAILURE_TAIL_LINES = 20;
/** A command's output kept for its failure message; the tail matters, not a composer install's whole log. */
const OUTPUT_KEPT_BYTES = 256 * 1024;
/** git's answers (a sha, a timestamp) are short; a runaway stdout is cut rather than held. */
const STDOUT_KEPT_BYTES = 1024 * 1024;

export const REDIRECTS_BEGIN = '# storestack: redirects (begin)';
export const REDIRECTS_END = '# storestack: redirects (end)';

export type Redirect = NonNullable<ReleaseConfig['applications']['magento']['htaccess']>['redirects'][number];

/** What a process did. */
export interface CommandResult {
  /** Its exit code; null when a signal ended it or it could not start. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Standard output (git's answers), at most its first MiB. */
  readonly stdout: string;
  /** Standard output and error interleaved as they came, at most the last 256 KiB: for failure messages. */
  readonly output: string;
}

/** Runs a program without a shell; the builder's only way to start processes. */
export interface CommandRunner {
  run(
    file: string,
    args: readonly string[],
    options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
  ): Promise<CommandResult>;
}

/** Real processes, through node:child_process; a program that cannot start gives exitCode null and says why. */
export const processRunner: CommandRunner = {
  run(file, args, { cwd, env }) {
    return new Promise((done) => {
      const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let output = '';
      let settled = false;
      const keep = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.length > OUTPUT_KEPT_BYTES) output = output.slice(-OUTPUT_KEPT_BYTES);
      };
      child.stdout.on('data', (chunk: Buffer) => {
        if (stdout.length < STDOUT_KEPT_BYTES) stdout += chunk.toString('utf8');
        keep(chunk);
      });
      child.stderr.on('data', keep);
      child.on('error', (error) => {
        if (settled) return;
        settled = true;
        done({ exitCode: null, signal: null, stdout, output: `${output}cannot run ${file}: ${error.message}\n` });
      });
      child.on('close', (exitCode, signal) => {
        if (settled) return;
        settled = true;
        done({ exitCode, signal, stdout, output });
      });
    });
  },
};

/** A build that cannot go on; the message says what to fix. Nothing was written to the output directory. */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

/** A request naming an unknown application or environment, or an unsafe ref or release id. */
export class InvalidBuildRequestError extends BuildError {
  constructor(
    readonly field: 'application' | 'environment' | 'ref' | 'releaseId',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidBuildRequestError';
  }
}

export interface BuildRequest {
  /** One of RELEASE_APPLICATIONS. */
  readonly application: string;
  /** An environment of the configuration: its configuration branch, its bundle, the zip's name. */
  readonly environment: string;
  /** The code's branch, tag or commit (full or abbreviated sha). */
  readonly ref: string;
  /**
   * The numeric release id.
   * @default - the committer time of the code's commit, or of the configuration's when it is later
   */
  readonly releaseId?: string;
  /** Where the zip and its .sha256 are written (created if missing), relative to the working directory. */
  readonly outDir: string;
}

/** A file of the rendered bundle that replaced a different one of the same path. */
export interface OverriddenFile {
  readonly path: string;
  /** Where the replaced file came from: the configuration repository, or the code when only it had the file. */
  readonly source: 'config' | 'code';
}

export interface BuildResult {
  readonly application: ReleaseApplication;
  readonly environment: string;
  readonly releaseId: string;
  readonly code: { readonly repository: string; readonly ref: string; readonly commit: string };
  readonly config: { readonly repository: string; readonly branch: string; readonly commit: string } | null;
  /** The zip's absolute path. */
  readonly zip: string;
  /** The zip's size in bytes. */
  readonly size: number;
  readonly sha256: string;
  readonly overridden: readonly OverriddenFile[];
}

export interface ReleaseBuilderOptions {
  /** @default - real processes (processRunner) */
  readonly runner?: CommandRunner;
  /** Receives a line per step, with its duration. @default - the lines are dropped */
  readonly progress?: (line: string) => void;
  /** Where the build's working directory is created (and removed, whatever happens). @default - os.tmpdir() */
  readonly tempRoot?: string;
  /** The environment git and the build commands start from (GIT_SSH_COMMAND, PATH...). @default - process.env */
  readonly processEnv?: NodeJS.ProcessEnv;
}

interface ValidRequest {
  readonly application: ReleaseApplication;
  readonly environment: string;
  readonly ref: string;
  readonly releaseId: string | undefined;
}

/** Checks a request against the configuration; throws InvalidBuildRequestError naming the field. */
export function validateBuildRequest(platform: Platform, request: BuildRequest): ValidRequest {
  const { application, environment, ref, releaseId } = request;
  if (!(RELEASE_APPLICATIONS as readonly string[]).includes(application)) {
    throw new InvalidBuildRequestError(
      'application',
      `${application} is not an application storestack builds (known: ${RELEASE_APPLICATIONS.join(', ')})`,
    );
  }
  const environments = platform.environments.map(({ name }) => name);
  if (!environments.includes(environment)) {
    throw new InvalidBuildRequestError(
      'environment',
      `${environment} is not an environment of the configuration (known: ${environments.join(', ')})`,
    );
  }
  if (!SAFE_REF.test(ref)) {
    throw new InvalidBuildRequestError(
      'ref',
      `${JSON.stringify(ref)} is not a git ref storestack accepts: a branch, tag or commit of letters, digits and . _ / - (no "..", not starting with "-")`,
    );
  }
  if (releaseId !== undefined && !RELEASE_ID.test(releaseId)) {
    throw new InvalidBuildRequestError(
      'releaseId',
      `${JSON.stringify(releaseId)} is not a release id: 1 to 18 digits (Magento's static URLs only match a numeric version)`,
    );
  }
  return { application: application as ReleaseApplication, environment, ref, releaseId };
}

/**
 * The build commands' environment: the caller's, without database settings or secrets, with the
 * release id (STORESTACK_RELEASE_ID) and the sources' time (SOURCE_DATE_EPOCH, the reproducible
 * builds convention) for tools that stamp their output.
 */
export function buildEnvironment(
  base: NodeJS.ProcessEnv,
  releaseId: string,
  sourceDateEpoch: number,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !CREDENTIAL_VARIABLE.test(name)) env[name] = value;
  }
  env.STORESTACK_RELEASE_ID = releaseId;
  env.SOURCE_DATE_EPOCH = String(sourceDateEpoch);
  return env;
}

/**
 * `existing` (an .htaccess) with storestack's redirect block: replaced where the markers are (a
 * checkout that already has one from an earlier release keeps one block), appended otherwise.
 * mod_alias `Redirect <status> <from> <to>` lines, in the configuration's order.
 */
export function applyRedirects(existing: string, redirects: readonly Redirect[], file = '.htaccess'): string {
  const block = [
    REDIRECTS_BEGIN,
    ...redirects.map(({ status, from, to }) => `Redirect ${status} ${from} ${to}`),
    REDIRECTS_END,
  ];
  const lines = existing.split('\n');
  const begins = lines.flatMap((line, i) => (line.trim() === REDIRECTS_BEGIN ? [i] : []));
  const ends = lines.flatMap((line, i) => (line.trim() === REDIRECTS_END ? [i] : []));
  if (begins.length === 0 && ends.length === 0) {
    const base = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
    return `${base}${block.join('\n')}\n`;
  }
  const [begin] = begins;
  const [end] = ends;
  if (begins.length !== 1 || ends.length !== 1 || begin === undefined || end === undefined || end < begin) {
    throw new BuildError(
      `${file} has storestack's redirect markers out of pairs (${begins.length} "${REDIRECTS_BEGIN}", ${ends.length} "${REDIRECTS_END}"): fix it in the repository`,
    );
  }
  return [...lines.slice(0, begin), ...block, ...lines.slice(end + 1)].join('\n');
}

/** The last `count` lines of a command's output, indented, for an error message. */
function tail(output: string, count = FAILURE_TAIL_LINES): string {
  const lines = output.replace(/\s+$/, '').split(/\r?\n|\r/);
  const shown = lines.slice(-count);
  return shown[0] === '' && shown.length === 1 ? '  (no output)' : shown.map((line) => `  ${line}`).join('\n');
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Creates `relative`'s directories under `root` one by one, refusing a component that is a
 * symbolic link or a file: a repository's link must not make the build write outside the tree.
 */
async function directoryInside(root: string, relative: string): Promise<void> {
  let current = root;
  for (const segment of relative.split('/').filter((part) => part !== '' && part !== '.')) {
    current = join(current, segment);
    const stats = await lstatOrUndefined(current);
    if (stats === undefined) await mkdir(current);
    else if (!stats.isDirectory()) {
      throw new BuildError(
        `${relative}: ${segment} is ${stats.isSymbolicLink() ? 'a symbolic link' : 'a file'} in the checkout, where storestack writes into a directory`,
      );
    }
  }
}

/** Removes every `.git` (a repository's directory, a submodule's file) under `dir`, without following links. */
async function removeGit(dir: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name === '.git') {
      await rm(path, { recursive: true, force: true });
      removed += 1;
    } else if (entry.isDirectory()) {
      removed += await removeGit(path);
    }
  }
  return removed;
}

interface Checkout {
  readonly commit: string;
  /** The commit's committer time, in seconds since the epoch. */
  readonly time: number;
}

/** Builds the releases of one platform configuration. */
export class ReleaseBuilder {
  private readonly runner: CommandRunner;
  private readonly progress: (line: string) => void;
  private readonly tempRoot: string;
  private readonly processEnv: NodeJS.ProcessEnv;

  constructor(
    private readonly platform: Platform,
    options: ReleaseBuilderOptions = {},
  ) {
    this.runner = options.runner ?? processRunner;
    this.progress = options.progress ?? (() => {});
    this.tempRoot = options.tempRoot ?? tmpdir();
    this.processEnv = options.processEnv ?? process.env;
  }

  /**
   * Builds `request` into `<outDir>/<app>-<env>-<releaseId>.zip` and its `.sha256`. Throws a
   * BuildError (and writes nothing to outDir) when a step fails; the working directory is
   * removed either way.
   */
  async build(request: BuildRequest): Promise<BuildResult> {
    const { application, environment, ref, releaseId: requestedId } = validateBuildRequest(this.platform, request);
    const settings = this.platform.release.applications[application];
    const started = performance.now();
    const workspace = await mkdtemp(join(this.tempRoot, 'storestack-build-'));
    try {
      const tree = join(workspace, 'release');
      const code = await this.step(
        () => this.checkoutCode(settings.repository, ref, tree),
        ({ commit }) => `checked out ${settings.repository} at ${ref} (${commit.slice(0, 12)})`,
        `fetching ${settings.repository} at ${ref}`,
      );

      let config: (Checkout & { repository: string; branch: string; dir: string }) | undefined;
      if (settings.configRepository !== undefined) {
        const repository = settings.configRepository;
        const branch = settings.configBranches[environment] ?? environment;
        const dir = join(workspace, 'config');
        const checkout = await this.step(
          () => this.checkoutConfig(repository, branch, dir, application, environment),
          ({ commit }) => `checked out ${repository} at ${branch} (${commit.slice(0, 12)})`,
          `fetching ${repository} at ${branch}`,
        );
        config = { ...checkout, repository, branch, dir };
      }

      // The sources' time: the later of the two commits, so a configuration change alone makes a
      // new (greater) release id; reproducible, unlike the build's clock.
      const sourceTime = Math.max(code.time, config?.time ?? 0);
      const releaseId = requestedId ?? String(sourceTime);
      this.progress(`release id ${releaseId}${requestedId === undefined ? " (the sources' commit time)" : ''}`);

      const overridden = await this.step(
        async () => {
          if (config) await this.mergeConfig(config.dir, tree);
          // The document's "adjust RAM limitations" edit of .user.ini needs no step of its own:
          // the Magento bundle renders pub/.user.ini from magento.php, so writing the bundle
          // applies the PHP limits (and replaces Magento's own pub/.user.ini, reported below).
          const bundle =
            application === 'magento'
              ? renderMagentoBundle(this.platform, environment)
              : renderAppBundle(this.platform, application);
          // The release's identity, which the instances' env.php hook reads at the release root:
          // RELEASE_ID (the cache prefix) and STATIC_VERSION (the N of version<N>/).
          const identity: BundleFile[] =
            application === 'magento'
              ? [
                  { path: 'RELEASE_ID', content: `${releaseId}\n`, mode: 0o644 },
                  { path: 'STATIC_VERSION', content: `${releaseId}\n`, mode: 0o644 },
                ]
              : [];
          const replaced = await this.writeBundle(tree, [...bundle, ...identity], config?.dir);
          if (settings.htaccess) await this.writeRedirects(tree, settings.htaccess.file, settings.htaccess.redirects);
          return replaced;
        },
        (replaced) =>
          `merged ${config ? 'the configuration repository, ' : ''}the rendered bundle${settings.htaccess ? ', the .htaccess redirects' : ''} (${replaced.length} file${replaced.length === 1 ? '' : 's'} overridden)`,
      );

      const env = buildEnvironment(this.processEnv, releaseId, sourceTime);
      for (const command of this.buildCommands(application, releaseId)) await this.runBuildCommand(command, tree, env);

      await this.step(
        () => removeGit(tree),
        (removed) => `removed ${removed} .git entr${removed === 1 ? 'y' : 'ies'}`,
      );

      const name = `${application}-${environment}-${releaseId}.zip`;
      const artifact = await this.step(
        () => this.writeArtifact(tree, request.outDir, name, new Date(sourceTime * 1000)),
        ({ zip, size }) => `wrote ${zip} (${size} bytes)`,
        `zipping the release into ${name}`,
      );
      this.progress(`built ${name} in ${seconds(started)}`);
      return {
        application,
        environment,
        releaseId,
        code: { repository: settings.repository, ref, commit: code.commit },
        config: config ? { repository: config.repository, branch: config.branch, commit: config.commit } : null,
        ...artifact,
        overridden,
      };
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }

  /** Runs `work`, then reports what it did and how long it took. */
  private async step<T>(work: () => Promise<T>, describe: (result: T) => string, starting?: string): Promise<T> {
    // The long steps (a fetch, the zip of a large tree) announce themselves: a silent minute reads as a hang.
    if (starting !== undefined) this.progress(starting);
    const started = performance.now();
    const result = await work();
    this.progress(`${describe(result)} (${seconds(started)})`);
    return result;
  }

  private git(cwd: string, args: readonly string[]): Promise<CommandResult> {
    // No prompt: an https remote without credentials fails at once instead of waiting for a
    // password nobody types; ssh keys and GIT_SSH_COMMAND come from the inherited environment.
    // C locale: the "no such branch" message is matched below.
    return this.runner.run('git', args, { cwd, env: { ...this.processEnv, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
  }

  /** git's standard output, trimmed; a failure is a BuildError showing its output. */
  private async gitAnswer(cwd: string, args: readonly string[]): Promise<string> {
    const result = await this.git(cwd, args);
    if (result.exitCode !== 0) throw new BuildError(`git ${args.join(' ')} failed:\n${tail(result.output)}`);
    return result.stdout.trim();
  }

  /** Checks out `revision` (detached); its commit and committer time, read in one git call. */
  private async checkout(dir: string, revision: string): Promise<Checkout> {
    const answer = await this.gitAnswer(dir, ['log', '-1', '--format=%H %ct', `${revision}^{commit}`, '--']);
    const [commit = '', committed = ''] = answer.split(' ');
    const time = Number(committed);
    if (!/^[0-9a-f]{40,64}$/.test(commit) || !Number.isSafeInteger(time) || time <= 0) {
      throw new BuildError(`git could not read the commit ${revision} (answered ${JSON.stringify(answer)})`);
    }
    await this.gitAnswer(dir, ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit]);
    return { commit, time };
  }

  /**
   * The code at `ref`: one shallow fetch when the server gives the ref (a branch, a tag, a full sha
   * on servers that serve any reachable commit, as GitHub does). A ref that may be a commit the
   * server would not give by name (an abbreviated sha, or a full one on a stricter server) falls
   * back to fetching every branch and tag and resolving it locally; a misspelt branch or tag fails
   * at once instead of after the whole history.
   */
  private async checkoutCode(repository: string, ref: string, dir: string): Promise<Checkout> {
    await this.gitAnswer(dirname(dir), ['init', '--quiet', dir]);
    const shallow = await this.git(dir, ['fetch', '--quiet', '--no-tags', '--depth', '1', repository, ref]);
    if (shallow.exitCode === 0) return this.checkout(dir, 'FETCH_HEAD');
    const missing = /couldn't find remote ref|not our ref|unadvertised object/i.test(shallow.output);
    const notFound = new BuildError(`${ref} is not a branch, tag or commit of ${repository}:\n${tail(shallow.output)}`);
    if (!missing) throw new BuildError(`cannot fetch ${repository}:\n${tail(shallow.output)}`);
    if (!/^[0-9a-f]{4,64}$/i.test(ref)) throw notFound;
    const full = await this.git(dir, [
      'fetch',
      '--quiet',
      repository,
      '+refs/heads/*:refs/remotes/origin/*',
      '+refs/tags/*:refs/tags/*',
    ]);
    if (full.exitCode !== 0) throw new BuildError(`cannot fetch ${repository}:\n${tail(full.output)}`);
    const resolved = await this.git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (resolved.exitCode === 0) return this.checkout(dir, resolved.stdout.trim());
    throw notFound;
  }

  /** The configuration repository at the environment's branch: one shallow fetch. */
  private async checkoutConfig(
    repository: string,
    branch: string,
    dir: string,
    application: ReleaseApplication,
    environment: string,
  ): Promise<Checkout> {
    await this.gitAnswer(dirname(dir), ['init', '--quiet', dir]);
    const fetched = await this.git(dir, [
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth',
      '1',
      repository,
      `refs/heads/${branch}`,
    ]);
    if (fetched.exitCode !== 0) {
      if (/couldn't find remote ref/i.test(fetched.output)) {
        throw new BuildError(
          `the configuration repository ${repository} has no branch ${branch} for ${environment} (release.applications.${application}.configBranches.${environment}, default: the environment's name)`,
        );
      }
      throw new BuildError(`cannot fetch ${repository}:\n${tail(fetched.output)}`);
    }
    return this.checkout(dir, 'FETCH_HEAD');
  }

  /** The configuration repository's files (not its .git) over the code, as the document's job merged them. */
  private async mergeConfig(configDir: string, tree: string): Promise<void> {
    const configGit = join(configDir, '.git');
    try {
      await cp(configDir, tree, {
        recursive: true,
        force: true,
        verbatimSymlinks: true,
        filter: (source) => source !== configGit,
      });
    } catch (error) {
      throw new BuildError(`cannot merge the configuration repository over the code: ${(error as Error).message}`);
    }
  }

  /**
   * Writes the rendered files over the tree; returns those that replaced a different file (content
   * or mode), with where that file came from. An identical file is not an override.
   */
  private async writeBundle(
    tree: string,
    files: readonly BundleFile[],
    configDir: string | undefined,
  ): Promise<OverriddenFile[]> {
    const overridden: OverriddenFile[] = [];
    for (const file of files) {
      await directoryInside(tree, dirname(file.path));
      const target = join(tree, file.path);
      const existing = await lstatOrUndefined(target);
      if (existing?.isDirectory()) {
        throw new BuildError(`${file.path} is a directory in the checkout, where the rendered bundle writes a file`);
      }
      if (existing) {
        const same =
          existing.isFile() &&
          (existing.mode & 0o777) === file.mode &&
          (await readFile(target)).equals(Buffer.from(file.content, 'utf8'));
        if (!same) {
          const fromConfig =
            configDir !== undefined && (await lstatOrUndefined(join(configDir, file.path))) !== undefined;
          overridden.push({ path: file.path, source: fromConfig ? 'config' : 'code' });
        }
        // Removed first: a link there must be replaced, not written through.
        await rm(target);
      }
      await writeFile(target, file.content, { mode: file.mode });
      await chmod(target, file.mode);
    }
    return overridden.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async writeRedirects(tree: string, file: string, redirects: readonly Redirect[]): Promise<void> {
    await directoryInside(tree, dirname(file));
    const target = join(tree, file);
    const existing = await lstatOrUndefined(target);
    if (existing && !existing.isFile()) throw new BuildError(`${file} is not a regular file in the checkout`);
    const content = applyRedirects(existing ? await readFile(target, 'utf8') : '', redirects, file);
    await writeFile(target, content, existing ? {} : { mode: 0o644 });
  }

  /** The configured commands, `{releaseId}` filled in; for Magento, one static content deploy per configured theme. */
  private buildCommands(application: ReleaseApplication, releaseId: string): string[] {
    const settings = this.platform.release.applications[application];
    const commands = settings.buildCommands.map((command) => command.replaceAll('{releaseId}', releaseId));
    if (application === 'magento') {
      // --content-version names the release's static directory (pub/static/version<N>); the theme
      // and locales are checked by the configuration's rules, so they are safe in a shell line.
      for (const { area, theme, locales } of this.platform.release.applications.magento.staticContent) {
        commands.push(
          `php bin/magento setup:static-content:deploy -f --content-version=${releaseId} --area ${area} --theme ${theme} ${locales.join(' ')}`,
        );
      }
    }
    return commands;
  }

  private async runBuildCommand(command: string, tree: string, env: NodeJS.ProcessEnv): Promise<void> {
    const started = performance.now();
    this.progress(`running ${command}`);
    const result = await this.runner.run('bash', ['-c', command], { cwd: tree, env });
    if (result.exitCode !== 0) {
      const how =
        result.exitCode !== null
          ? `failed with exit code ${result.exitCode}`
          : result.signal !== null
            ? `was ended by ${result.signal}`
            : 'could not start';
      throw new BuildError(
        `the build command \`${command}\` ${how}; the build stopped and wrote no release. The last ${FAILURE_TAIL_LINES} lines of its output:\n${tail(result.output)}`,
      );
    }
    this.progress(`ran ${command} (${seconds(started)})`);
  }

  /**
   * The zip and its checksum, written beside their final names and renamed into place: a reader
   * of outDir sees a whole release or none.
   */
  private async writeArtifact(
    tree: string,
    outDir: string,
    name: string,
    modified: Date,
  ): Promise<{ zip: string; size: number; sha256: string }> {
    const directory = resolve(outDir);
    await mkdir(directory, { recursive: true });
    const zip = join(directory, name);
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const zipTemporary = join(directory, `.${name}.${suffix}`);
    const checksumTemporary = join(directory, `.${name}.sha256.${suffix}`);
    try {
      // The entries carry the sources' time, not the build's: reproducible, and a newer release's
      // files are newer than the last one's (PHP's OPcache compares timestamps).
      const written = writeZip(treeEntries(tree), zipTemporary, { modified });
      await writeFile(checksumTemporary, `${written.sha256}  ${name}\n`, { mode: 0o644 });
      await rename(zipTemporary, zip);
      await rename(checksumTemporary, `${zip}.sha256`);
      return { zip, size: written.bytes, sha256: written.sha256 };
    } catch (error) {
      await rm(zipTemporary, { force: true });
      await rm(checksumTemporary, { force: true });
      if (error instanceof ZipError) throw new BuildError(`cannot zip the release: ${error.message}`);
      throw error;
    }
  }
}
