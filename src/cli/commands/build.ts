import type { Command } from 'commander';
import type { SecretReader } from '../../aws/secrets.ts';
import { RELEASE_APPLICATIONS } from '../../config/names.ts';
import type { BuildResult, CommandRunner } from '../../release/build.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { requireRehearsal } from '../rehearsal-target.ts';

/** The applications storestack releases (the configuration's release.applications). */

/** The flag each field of a build request comes from, for error messages. */
const FLAGS = { application: '<app>', environment: '--env', ref: '--ref', releaseId: '--release-id' } as const;

/** What the build runs and where it works: real git and bash in the system's temporary directory unless a test says otherwise. */
export interface BuildDependencies {
  /** @default - real processes */
  readonly runner?: CommandRunner;
  /** @default - os.tmpdir() */
  readonly tempRoot?: string;
  /**
   * Where the build credentials come from (`<project>/build/git-ssh-key`, `.../composer-auth`).
   * @default - Secrets Manager in the configured region
   */
  readonly secrets?: (region: string) => Promise<SecretReader | undefined>;
}

/** Secrets Manager of a region, its SDK loaded only when a build runs. */
export async function secretsManager(region: string): Promise<SecretReader> {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const { SecretsManagerReader } = await import('../../aws/secrets.ts');
  return new SecretsManagerReader(new SecretsManagerClient({ region }));
}

interface BuildFlags {
  env: string;
  ref: string;
  out: string;
  releaseId?: string;
  json?: boolean;
}

function size(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

/**
 * `storestack build <app> --env <env> --ref <ref> [--out <dir>] [--release-id <n>] [--json]`:
 * builds a release once (the document's Rundeck deployment job, without its manual edits) into a
 * deterministic zip and its .sha256. Progress goes to standard error, the result to standard output.
 */
export class BuildCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly dependencies: BuildDependencies = {},
  ) {}

  register(program: Command): void {
    program
      .command('build')
      .description("build an application's release: code at a ref, configuration and bundle merged, built, zipped")
      .argument('<app>', `the application: ${RELEASE_APPLICATIONS.join(', ')}`)
      .requiredOption('--env <env>', "the environment: its configuration branch, its bundle, the zip's name")
      .requiredOption('--ref <ref>', 'the branch, tag or commit of the code')
      .option('--out <dir>', 'where to write <app>-<env>-<releaseId>.zip and its .sha256', 'releases')
      .option('--release-id <n>', "the numeric release id (default: the sources' latest commit time)")
      .option('--json', 'print the result as JSON')
      .action(async (app: string, options: BuildFlags, command: Command) => {
        if (!(RELEASE_APPLICATIONS as readonly string[]).includes(app)) {
          throw new CliError(
            `${app} is not an application storestack builds (known: ${RELEASE_APPLICATIONS.join(', ')})`,
          );
        }
        const configured = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        // `--env rehearsal`: the running miniature's configuration (its fixture repository), no AWS.
        const rehearsal =
          options.env === 'rehearsal'
            ? (await requireRehearsal(this.context.projectRoot, configured, app, 1)).platform
            : undefined;
        const platform = rehearsal ?? configured;
        // Imported here: git, zlib and the renderers are only loaded by the command that needs them.
        const { BuildError, InvalidBuildRequestError, ReleaseBuilder } = await import('../../release/build.ts');
        const { withBuildCredentials } = await import('../../release/build-credentials.ts');
        const secrets = rehearsal
          ? undefined
          : await (this.dependencies.secrets ?? secretsManager)(platform.aws.region);
        let result: BuildResult;
        try {
          result = await withBuildCredentials(
            platform,
            secrets,
            process.env,
            (line) => this.context.output.error(line),
            (processEnv) =>
              new ReleaseBuilder(platform, {
                ...this.dependencies,
                processEnv,
                progress: (line) => this.context.output.error(line),
              }).build({
                application: app,
                environment: options.env,
                ref: options.ref,
                releaseId: options.releaseId,
                outDir: options.out,
              }),
          );
        } catch (error) {
          if (error instanceof InvalidBuildRequestError) {
            throw new CliError(
              error.field === 'application' ? error.message : `${FLAGS[error.field]} ${error.message}`,
            );
          }
          if (error instanceof BuildError) throw new CliError(error.message);
          throw error;
        }
        if (options.json) this.context.output.json(result);
        else this.summary(result);
      });
  }

  private summary(result: BuildResult): void {
    const { output } = this.context;
    output.line(`${result.application} release ${result.releaseId} for ${result.environment}`);
    output.line(`  code:     ${result.code.repository} at ${result.code.ref} (${result.code.commit})`);
    if (result.config) {
      output.line(`  config:   ${result.config.repository} at ${result.config.branch} (${result.config.commit})`);
    }
    output.line(`  zip:      ${result.zip}`);
    output.line(`  size:     ${size(result.size)}`);
    output.line(`  sha256:   ${result.sha256}`);
    if (result.overridden.length === 0) {
      output.line('  the rendered bundle replaced no file of the repositories');
      return;
    }
    output.line(`  the rendered bundle replaced ${result.overridden.length} file(s):`);
    for (const file of result.overridden) {
      output.line(`    ${file.path} (from the ${file.source === 'config' ? 'configuration repository' : 'code'})`);
    }
  }
}
