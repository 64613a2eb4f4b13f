import type { Command } from 'commander';
import type { OperationsAws, OperationsAwsFactory } from '../../aws/operations.ts';
import { BAD_INPUT, describeError, lazyRealOperationsAws } from '../../ops/aws.ts';
import {
  APPS,
  type App,
  INSTANCE_ID,
  instancesOf,
  MAGENTO_ROLES,
  type MagentoRole,
  magentoEnvironments,
  satelliteEnvironment,
  type Target,
} from '../../ops/environments.ts';
import { captureOutput } from '../../ops/remote-output.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';

/**
 * The deployment log of Amazon Linux 2023's Beanstalk platforms: every command Beanstalk runs
 * during a deployment, with the hooks' output and the error that stopped it.
 */
export const DEPLOYMENT_LOG = '/var/log/eb-engine.log';

const MAX_LINES = 5000;
/** Instances read at once: a front end of 20 does not wait 20 round trips, and SSM is not throttled. */
const CONCURRENCY = 4;

interface LogsFlags {
  env?: string;
  app: string;
  role?: string;
  instance?: string;
  lines: string;
  json?: boolean;
}

/** One instance's log, or why it could not be read. */
interface InstanceLog {
  readonly instanceId: string;
  readonly privateIp: string | null;
  readonly environment: string;
  readonly lines?: string[];
  readonly error?: string;
}

function lineCount(value: string): number {
  const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1 || count > MAX_LINES) {
    throw new CliError(`--lines must be a whole number from 1 to ${MAX_LINES} (got ${value})`, BAD_INPUT);
  }
  return count;
}

/** The script that prints the log's last `lines` lines, compressed (logs shrink ~10x: fewer SSM parts). */
export function tailScript(lines: number): string {
  return `tail -n ${lines} -- ${DEPLOYMENT_LOG} | gzip -c`;
}

/** Runs `work` on every item, `limit` at a time; the results keep the items' order. */
function inOrder<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R>[] {
  const settle: ((result: R) => void)[] = [];
  const results = items.map(() => new Promise<R>((resolve) => settle.push(resolve)));
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      // `work` never rejects (it returns its failures), so no promise is left rejected unawaited.
      settle[index]?.(await work(items[index] as T));
    }
  };
  for (let i = 0; i < Math.min(limit, items.length); i++) void worker();
  return results;
}

/**
 * `storestack logs --env <env> [--app <app>] [--role <role>] [--instance <id>] [--lines <n>] [--json]`:
 * the tail of the deployment log of an environment's instances, read through SSM Run Command (the
 * hosting document's "In Case of an Error": find the instance's private IP, connect, tail the log).
 */
export class LogsCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    program
      .command('logs')
      .description(`show the end of the deployment log (${DEPLOYMENT_LOG}) of an environment's instances`)
      .option('--env <env>', 'the environment (magento only: the satellite applications have one)')
      .option('--app <app>', `the application: ${APPS.join(', ')}`, 'magento')
      .option('--role <role>', `magento only: ${MAGENTO_ROLES.join(' or ')} (default: both)`)
      .option('--instance <id>', 'one instance of the environment (default: all of them)')
      .option('--lines <n>', `how many lines from the end of the log, 1 to ${MAX_LINES}`, '100')
      .option('--json', 'print [{instanceId, privateIp, environment, lines}] as JSON')
      .addHelpText(
        'after',
        [
          '',
          `The log is read through SSM Run Command (no SSH). The hosting document tails /var/log/eb-activity.log:`,
          "that is the log of the old Amazon Linux platforms; Amazon Linux 2023's Beanstalk platforms log",
          `deployments to ${DEPLOYMENT_LOG}. Beanstalk's events name the instance a deployment failed on.`,
        ].join('\n'),
      )
      .action(async (flags: LogsFlags, command: Command) => {
        const lines = lineCount(flags.lines);
        if (!(APPS as readonly string[]).includes(flags.app)) {
          throw new CliError(`--app ${flags.app} is not an application (${APPS.join(', ')})`, BAD_INPUT);
        }
        const app = flags.app as App;
        if (flags.instance !== undefined && !INSTANCE_ID.test(flags.instance)) {
          throw new CliError(`--instance ${flags.instance} is not an EC2 instance id (i-0123456789abcdef0)`, BAD_INPUT);
        }
        if (app === 'magento' && flags.env === undefined) {
          throw new CliError(
            '--env is required for magento (each environment has its own front end and back office)',
            BAD_INPUT,
          );
        }
        if (app !== 'magento' && (flags.env !== undefined || flags.role !== undefined)) {
          throw new CliError(`--env and --role do not apply to ${app}: it has one environment`, BAD_INPUT);
        }
        if (flags.role !== undefined && !(MAGENTO_ROLES as readonly string[]).includes(flags.role)) {
          throw new CliError(`--role ${flags.role} is not a role (${MAGENTO_ROLES.join(', ')})`, BAD_INPUT);
        }
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        const environments =
          app === 'magento'
            ? magentoEnvironments(
                platform,
                flags.env as string,
                flags.role === undefined ? MAGENTO_ROLES : [flags.role as MagentoRole],
              )
            : [satelliteEnvironment(platform, app)];

        const aws = await this.aws(platform.aws.region);
        let targets = await instancesOf(aws.beanstalk, environments);
        if (flags.instance !== undefined) {
          const known = targets.map((target) => target.instanceId);
          targets = targets.filter((target) => target.instanceId === flags.instance);
          if (targets.length === 0) {
            throw new CliError(
              `${flags.instance} is not an instance of ${environments.join(' or ')} (they have: ${known.join(', ') || 'none'})`,
            );
          }
        }
        if (targets.length === 0) throw new CliError(`no instance runs in ${environments.join(' or ')}`);

        const logs = inOrder(targets, CONCURRENCY, (target) => this.read(aws, target, lines));
        const read: InstanceLog[] = [];
        for (const pending of logs) {
          const log = await pending;
          read.push(log);
          if (flags.json) continue;
          // Printed as each arrives, in order: the first instance's log shows while the others are read.
          this.context.output.line(`== ${log.instanceId} (${log.privateIp ?? 'unknown IP'}) ${log.environment} ==`);
          if (log.lines) for (const line of log.lines) this.context.output.line(line);
          else this.context.output.error(`${log.instanceId}: ${log.error}`);
        }
        if (flags.json) this.context.output.json(read);
        const failed = read.filter((log) => log.error !== undefined);
        if (failed.length > 0) {
          throw new CliError(
            `could not read ${DEPLOYMENT_LOG} on ${failed.map((log) => `${log.instanceId} (${log.environment})`).join(', ')}: ${failed
              .map((log) => log.error?.split('\n')[0])
              .join('; ')}`,
          );
        }
      });
  }

  /** One instance's log; a failure is returned, so that the other instances' logs still show. */
  private async read(aws: OperationsAws, target: Target, lines: number): Promise<InstanceLog> {
    const { gunzipSync } = await import('node:zlib');
    const { instanceId, environment } = target;
    let privateIp: string | null = null;
    try {
      privateIp = (await aws.commands.privateIp(instanceId)) ?? null;
    } catch (error) {
      return { instanceId, privateIp, environment, error: `SSM DescribeInstanceInformation: ${describeError(error)}` };
    }
    try {
      const compressed = await captureOutput(aws.commands, instanceId, tailScript(lines), {
        comment: `storestack logs: tail -n ${lines} ${DEPLOYMENT_LOG}`,
        timeoutSeconds: 60,
      });
      const text = gunzipSync(compressed).toString('utf8');
      return { instanceId, privateIp, environment, lines: text === '' ? [] : text.replace(/\n$/, '').split('\n') };
    } catch (error) {
      return { instanceId, privateIp, environment, error: describeError(error) };
    }
  }
}
