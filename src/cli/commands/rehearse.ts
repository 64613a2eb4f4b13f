import type { Command } from 'commander';
import { BAD_INPUT } from '../../ops/aws.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { table } from '../output.ts';

interface UpFlags {
  frontends: string;
  basePort: string;
  drainSeconds: string;
  healthTimeout: string;
}

function positiveNumber(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new CliError(`${flag} ${value}: a positive number`, BAD_INPUT);
  return number;
}

/**
 * `storestack rehearse up|down|status`: the Magento environment in miniature on this machine
 * (HAProxy, nginx + php-fpm per instance, MariaDB, Redis), to release to with `--env rehearsal`.
 */
export class RehearseCommand implements CliCommand {
  constructor(private readonly context: CommandContext) {}

  register(program: Command): void {
    const rehearse = program
      .command('rehearse')
      .description('run the Magento environment in miniature on this machine, to release to with --env rehearsal');
    rehearse
      .command('up')
      .description('start the miniature (as root): load balancer, instances, database, caches, first release')
      .option('--frontends <n>', 'front-end instances', '4')
      .option('--base-port <port>', 'the load balancer port; the others follow it', '18000')
      .option('--drain-seconds <s>', 'how long a deployment waits for a drained instance', '5')
      .option('--health-timeout <s>', 'how long a deployed instance has to pass its health check', '30')
      .action(async (flags: UpFlags, command: Command) => {
        const frontends = positiveNumber('--frontends', flags.frontends);
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        const { rehearseUp, RehearsalRunningError } = await import('../../rehearsal/rehearsal.ts');
        const { rehearsalDirectory } = await import('../../rehearsal/target.ts');
        try {
          const state = await rehearseUp(platform, {
            dir: rehearsalDirectory(this.context.projectRoot),
            frontends,
            basePort: positiveNumber('--base-port', flags.basePort),
            rollout: {
              drainSeconds: positiveNumber('--drain-seconds', flags.drainSeconds),
              healthTimeoutSeconds: positiveNumber('--health-timeout', flags.healthTimeout),
            },
            progress: (line) => this.context.output.error(line),
          });
          this.context.output.line(
            `rehearsal up in ${state.dir}: http://127.0.0.1:${state.basePort} (${state.frontends} front ends, 1 back office, ${state.daemons.length} daemons)`,
          );
          this.context.output.line(
            'release to it with: storestack build magento --env rehearsal --ref <ref>, then storestack release magento --env rehearsal --artifact <zip>',
          );
        } catch (error) {
          if (error instanceof RehearsalRunningError) throw new CliError(error.message);
          throw new CliError(`rehearse up failed, nothing is left running: ${(error as Error).message}`);
        }
      });
    rehearse
      .command('down')
      .description('stop every daemon of the miniature and remove its directory')
      .action(async () => {
        const { rehearseDown } = await import('../../rehearsal/rehearsal.ts');
        const { rehearsalDirectory } = await import('../../rehearsal/target.ts');
        const dir = rehearsalDirectory(this.context.projectRoot);
        const stopped = await rehearseDown(dir);
        this.context.output.line(
          stopped.length ? `stopped ${stopped.length} daemons; ${dir} removed` : `no rehearsal in ${dir}`,
        );
      });
    rehearse
      .command('status')
      .description('what runs, what each instance serves, maintenance')
      .option('--json', 'as JSON')
      .action(async (flags: { json?: boolean }) => {
        const { rehearsalStatus } = await import('../../rehearsal/status.ts');
        const { rehearsalDirectory } = await import('../../rehearsal/target.ts');
        const status = await rehearsalStatus(rehearsalDirectory(this.context.projectRoot));
        if (flags.json) {
          this.context.output.json(status);
          return;
        }
        const { output } = this.context;
        if (!status.running) {
          output.line(`no rehearsal running in ${status.dir}`);
          return;
        }
        output.line(`rehearsal in ${status.dir} since ${status.startedAt}: ${status.url}`);
        output.line(`maintenance: ${status.maintenance ? 'ON' : 'off'}`);
        for (const line of table(
          ['instance', 'name', 'address', 'load balancer', 'health', 'release'],
          status.instances.map((instance) => [
            instance.id,
            instance.name,
            instance.address,
            instance.state,
            instance.health,
            instance.release ?? '-',
          ]),
        ))
          output.line(line);
        for (const line of table(
          ['daemon', 'pid', 'running'],
          status.daemons.map((daemon) => [daemon.name, String(daemon.pid), daemon.alive ? 'yes' : 'NO']),
        ))
          output.line(line);
        if (status.daemons.some((daemon) => !daemon.alive))
          throw new CliError('some daemons of the rehearsal are not running');
      });
  }
}
