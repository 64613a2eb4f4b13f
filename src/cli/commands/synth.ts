import { relative } from 'node:path';
import type { Command } from 'commander';
import type { SynthOptions, SynthReport } from '../../infra/synth.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { table } from '../output.ts';

export type Synthesize = (options: SynthOptions) => Promise<SynthReport>;

/** aws-cdk-lib loads here, when synth runs, and never for the other commands. */
export const synthesizeInProcess: Synthesize = async (options) =>
  (await import('../../infra/synth.ts')).synthesizePlatform(options);

/** `storestack synth`: what `npm start` runs. Synthesizes every stack offline and runs the gates. */
export class SynthCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly synthesize: Synthesize = synthesizeInProcess,
  ) {}

  register(program: Command): void {
    program
      .command('synth')
      .description('synthesize every stack of every environment into cdk.out/ and run the validation gates')
      .option('--out <dir>', 'where the cloud assembly goes', 'cdk.out')
      .option('--json', 'print the summary as JSON')
      .action(async (options: { out: string; json?: boolean }, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        const report = await this.synthesize({
          platform,
          projectRoot: this.context.projectRoot,
          outdir: options.out,
        });
        if (options.json) this.context.output.json(report);
        else this.print(report);
        if (!report.ok) {
          throw new CliError(
            `synth failed: ${report.findings.length} unacknowledged findings; ${options.out} is unchanged`,
          );
        }
      });
  }

  private print(report: SynthReport): void {
    const { output } = this.context;
    for (const gate of report.gates) {
      output.line(`gate ${gate.gate}: ${gate.status}${gate.detail ? ` (${gate.detail})` : ''}`);
    }
    if (!report.ok) {
      for (const finding of report.findings) {
        output.error(`[${finding.gate}] ${finding.rule} at ${finding.location}\n    ${finding.message}`);
      }
      return;
    }
    output.line();
    const rows = report.stacks.map((stack) => [
      stack.stack,
      stack.environment,
      String(stack.resources),
      stack.stateful ? 'yes' : 'no',
      String(stack.acknowledged),
    ]);
    for (const line of table(['stack', 'environment', 'resources', 'stateful', 'acknowledged'], rows))
      output.line(line);
    output.line();
    output.line(
      `${report.stacks.length} stacks written to ${relative(this.context.projectRoot, report.outdir) || '.'}/`,
    );
  }
}
