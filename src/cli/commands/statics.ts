import type { Command } from 'commander';
import type { OperationsAwsFactory } from '../../aws/operations.ts';
import { lazyRealOperationsAws } from '../../ops/aws.ts';
import { requireEnvironment } from '../../ops/environments.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';

/**
 * `storestack statics deploy --env <env> [--force]`: the document's manual step ("delete the
 * content of pub/static ... then run setup:static-content:deploy"), for when it is needed. It
 * never removes files under live traffic: it publishes the running release's static files into
 * their `version<N>/` on the statics share (again, whole, with --force).
 */
export class StaticsCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    program
      .command('statics')
      .description('the static files on the statics share (version<N>/ of each release)')
      .command('deploy')
      .description(
        "publish the running release's static files into its version<N>/ (with --force, a fresh copy swapped in)",
      )
      .requiredOption('--env <env>', 'the environment, e.g. prod')
      .option('--force', 'publish again even when version<N>/ exists')
      .action(async (flags: { env: string; force?: boolean }, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        const env = flags.env;
        requireEnvironment(platform, env);
        const { magentoEnvironmentNames, releaseArtifactsParameter } = await import('../../config/names.ts');
        const { magentoArtifactKey, staticsDirectory, staticsPublishScript } = await import(
          '../../release/magento-release.ts'
        );
        const aws = await this.aws(platform.aws.region);
        const names = magentoEnvironmentNames(platform, env);
        const releaseId = (await aws.beanstalk.describe(names.frontend)).versionLabel;
        if (!releaseId || !/^\d+$/.test(releaseId)) {
          throw new CliError(`${names.frontend} runs ${releaseId ?? 'no version'}, not a storestack release`);
        }
        const [instance] = await aws.beanstalk.instances(names.backOffice);
        if (!instance) throw new CliError(`${names.backOffice} has no instance to publish from`);
        const bucket = await aws.parameters.get(releaseArtifactsParameter(platform));
        const result = await aws.commands.run(
          instance.id,
          staticsPublishScript({
            staticsDir: staticsDirectory(platform),
            releaseId,
            source: `s3://${bucket}/${magentoArtifactKey(releaseId)}`,
            keep: platform.release.keepStaticVersions,
            force: flags.force === true,
          }),
          { comment: `publish statics ${releaseId}`, timeoutSeconds: 1800 },
        );
        for (const line of result.stdout.trimEnd().split('\n').filter(Boolean)) this.context.output.line(line);
        if (result.exitCode !== 0) {
          const ip = await aws.commands.privateIp(instance.id);
          throw new CliError(
            `publishing the statics of ${releaseId} failed on ${instance.id} (${ip ?? 'private IP unknown'}), exit ${result.exitCode}:\n${result.stderr.trimEnd()}`,
          );
        }
      });
  }
}
