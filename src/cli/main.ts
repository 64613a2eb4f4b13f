// The `storestack` program: registers the commands and runs one. Kept light: a
// command loads what it needs (zod, aws-cdk-lib, AWS clients) when it runs.
import { Command, CommanderError } from 'commander';
import { type CliCommand, CliError, type CommandContext } from './command.ts';
import { BuildCommand } from './commands/build.ts';
import { CacheCommand } from './commands/cache.ts';
import { ConfigCommand } from './commands/config.ts';
import { DiagramCommand } from './commands/diagram.ts';
import { LogsCommand } from './commands/logs.ts';
import { MaintenanceCommand } from './commands/maintenance.ts';
import { ProbeCommand } from './commands/probe.ts';
import { RehearseCommand } from './commands/rehearse.ts';
import { ReleaseCommand } from './commands/release.ts';
import { RenderCommand } from './commands/render.ts';
import { StaticsCommand } from './commands/statics.ts';
import { StatusCommand } from './commands/status.ts';
import { SynthCommand } from './commands/synth.ts';
import { VpnCommand } from './commands/vpn.ts';

export interface MainOptions extends CommandContext {
  /**
   * The configuration file when `--config` is not given (bin/ passes STORESTACK_CONFIG).
   * @default - the sample configuration
   */
  readonly defaultConfigFile?: string;
}

/** Every command of the CLI, with its real collaborators. */
export function defaultCommands(context: CommandContext): CliCommand[] {
  return [
    new SynthCommand(context),
    new DiagramCommand(context),
    new RehearseCommand(context),
    ...operationsCommands(context),
  ];
}

/** The commands that run without aws-cdk-lib: all of them but synth (the operations package's). */
export function operationsCommands(context: CommandContext): CliCommand[] {
  return [
    new ConfigCommand(context),
    new RenderCommand(context),
    new BuildCommand(context),
    new ReleaseCommand(context),
    new MaintenanceCommand(context),
    new StatusCommand(context),
    new StaticsCommand(context),
    new LogsCommand(context),
    new CacheCommand(context),
    new VpnCommand(context),
    new ProbeCommand(context),
  ];
}

/**
 * Runs the CLI with `args` (without node and script); resolves to the exit code.
 * Tests pass `commands` built with fake collaborators.
 */
export async function main(
  args: readonly string[],
  options: MainOptions,
  commands: readonly CliCommand[] = defaultCommands(options),
): Promise<number> {
  const { output } = options;
  const program = new Command('storestack')
    .description('Provision and operate the Magento platform of the hosting document')
    .option(
      '--config <path>',
      'platform configuration (.json or .ts); default: STORESTACK_CONFIG or config/platform.ts',
      options.defaultConfigFile,
    )
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => output.line(text.trimEnd()),
      writeErr: (text) => output.error(text.trimEnd()),
    });
  for (const command of commands) command.register(program);

  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      output.error(error.message);
      return error.exitCode;
    }
    throw error;
  }
}
