import type { Command } from 'commander';
import type { CommandResult } from '../../aws/commands.ts';
import type { OperationsAwsFactory } from '../../aws/operations.ts';
import { magentoEnvironmentNames } from '../../config/names.ts';
import { awsStep, describeError, lazyRealOperationsAws, tail } from '../../ops/aws.ts';
import { instancesOf, requireEnvironment } from '../../ops/environments.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';

/** The hosting document's command, as the web server's user (files it creates stay writable to PHP). */
export const CACHE_FLUSH = 'sudo -u webapp php /var/app/current/bin/magento cache:flush';

/**
 * `storestack cache flush --env <env> [--json]`: flushes Magento's cache once. The document runs
 * cache:flush on each of the four production instances, but every cache type (the page cache
 * too) lives in the environment's Redis, which all instances share: one flush from any instance
 * clears it for all, and running it four times only empties a warming cache three more times.
 */
export class CacheCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    const cache = program.command('cache').description("Magento's cache");
    cache
      .command('flush')
      .description("flush Magento's cache (bin/magento cache:flush), once, from one instance")
      .requiredOption('--env <env>', 'the environment')
      .option('--json', 'print {instanceId, privateIp, environment, output} as JSON')
      .addHelpText(
        'after',
        [
          '',
          `Runs "${CACHE_FLUSH}" through SSM Run Command on the first instance`,
          'of the back office (of the front end when the back office has none). The hosting document runs it',
          'on all four production instances; the cache and the page cache are in Redis, shared by every',
          'instance, so one flush clears them all.',
        ].join('\n'),
      )
      .action(async (flags: { env: string; json?: boolean }, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        requireEnvironment(platform, flags.env);
        const { frontend, backOffice } = magentoEnvironmentNames(platform, flags.env);
        const aws = await this.aws(platform.aws.region);
        // The back office first: a flush there costs no customer a slow page while PHP runs it.
        let [target] = await instancesOf(aws.beanstalk, [backOffice]);
        if (!target) [target] = await instancesOf(aws.beanstalk, [frontend]);
        if (!target) throw new CliError(`${backOffice} and ${frontend} have no instance to run cache:flush on`);
        const { instanceId, environment } = target;
        const privateIp =
          (await awsStep(`looking up ${instanceId}'s address (SSM DescribeInstanceInformation)`, () =>
            aws.commands.privateIp(instanceId),
          )) ?? null;
        const where = `${instanceId} (${privateIp ?? 'unknown IP'}, ${environment})`;
        this.context.output.error(`flushing the cache of ${flags.env} from ${where}`);

        let result: CommandResult;
        try {
          result = await aws.commands.run(instanceId, CACHE_FLUSH, {
            comment: `storestack cache flush --env ${flags.env}`,
            timeoutSeconds: 300,
          });
        } catch (error) {
          throw new CliError(`cache:flush could not run on ${where}: ${describeError(error)}`);
        }
        if (result.status !== 'Success' || result.exitCode !== 0) {
          const stderr = tail(result.stderr) || tail(result.stdout);
          throw new CliError(
            `cache:flush failed on ${where}: ${result.status}, exit code ${result.exitCode}${stderr ? `\n${stderr}` : ''}`,
          );
        }
        const output = result.stdout.trimEnd() === '' ? [] : result.stdout.trimEnd().split('\n');
        if (flags.json) {
          this.context.output.json({ instanceId, privateIp, environment, output });
        } else {
          for (const line of output) this.context.output.line(line);
        }
      });
  }
}
