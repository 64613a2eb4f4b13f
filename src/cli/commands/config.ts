import type { Command } from 'commander';
import type { CliCommand, CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';

/** `path = value` lines, one per leaf: easy to read and to grep. */
function flatten(value: unknown, path: string, lines: string[]): string[] {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) flatten(item, `${path}[${i}]`, lines);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) flatten(child, path ? `${path}.${key}` : key, lines);
  } else {
    lines.push(`${path} = ${JSON.stringify(value)}`);
  }
  return lines;
}

/** `storestack config print|check`: the effective configuration, and validation of a file. */
export class ConfigCommand implements CliCommand {
  constructor(private readonly context: CommandContext) {}

  register(program: Command): void {
    const config = program.command('config').description('show or check the platform configuration');
    config
      .command('print')
      .description('print the effective configuration (defaults applied)')
      .option('--json', 'as JSON: a valid configuration file to start from')
      .action(async (options: { json?: boolean }, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        if (options.json) {
          this.context.output.json(platform);
        } else {
          for (const line of flatten(platform, '', [])) this.context.output.line(line);
        }
      });
    config
      .command('check')
      .description('validate a configuration file (.json or .ts) and list every problem')
      .argument('<file>', 'the configuration file')
      .action(async (file: string) => {
        const platform = await loadConfigOrFail(file, this.context.projectRoot);
        this.context.output.line(
          `${file}: valid (client ${platform.client.name}, ${platform.aws.region}, environments ${platform.environments.map((e) => e.name).join(', ')})`,
        );
      });
  }
}
