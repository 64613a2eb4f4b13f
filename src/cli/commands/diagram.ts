import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeAtomically } from '../../../bin/input-cache.js';
import { SAMPLE_CONFIG } from '../../config/config-cache.ts';
import { requireEnvironment } from '../../ops/environments.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { type Synthesize, synthesizeInProcess } from './synth.ts';

interface DiagramOptions {
  env?: string;
  out: string;
  cdkOut: string;
  png: boolean;
}

/**
 * `storestack diagram`: the document's two pictures ("Magento Production", "Magento
 * Environment"), drawn from what the platform synthesizes, as DOT, SVG and PNG.
 */
export class DiagramCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly synthesize: Synthesize = synthesizeInProcess,
  ) {}

  register(program: Command): void {
    program
      .command('diagram')
      .description(
        'draw the platform and each Magento environment from cdk.out (synthesized first when missing or stale) as DOT, SVG and PNG',
      )
      .option('--env <env>', "only this environment's Magento diagram (with the platform's)")
      .option('--out <dir>', 'where the diagrams go', 'docs/diagrams')
      .option('--cdk-out <dir>', 'the cloud assembly to read', 'cdk.out')
      .option('--no-png', 'write DOT and SVG only')
      .action(async (options: DiagramOptions, command: Command) => {
        const { projectRoot, output } = this.context;
        const configFile = configFileOption(command) ?? join(projectRoot, SAMPLE_CONFIG);
        const platform = await loadConfigOrFail(configFile, projectRoot);
        if (options.env) requireEnvironment(platform, options.env);
        const cdkOut = resolve(projectRoot, options.cdkOut);
        const outDir = resolve(projectRoot, options.out);

        const { staleAssemblyReason, synthesisInputs } = await import('../../diagram/freshness.ts');
        const stale = staleAssemblyReason(cdkOut, synthesisInputs(projectRoot, configFile));
        if (stale) {
          output.error(`synthesizing first: ${stale}`);
          const report = await this.synthesize({ platform, projectRoot, outdir: cdkOut });
          if (!report.ok) {
            throw new CliError(`synth failed (${report.findings.length} findings): run \`npm start\` to see them`);
          }
        }

        const { Assembly, AssemblyError } = await import('../../diagram/assembly.ts');
        const { platformDiagrams, renderDiagram } = await import('../../diagram/index.ts');
        let diagrams: ReturnType<typeof platformDiagrams>;
        try {
          diagrams = platformDiagrams(
            Assembly.fromDirectory(cdkOut),
            platform,
            options.env ? [options.env] : undefined,
          );
        } catch (error) {
          if (error instanceof AssemblyError) throw new CliError(`cannot read the cloud assembly: ${error.message}`);
          throw error;
        }

        // Everything is rendered before anything is written: a failure leaves the old pictures whole.
        const rendered = [];
        for (const diagram of diagrams) {
          try {
            rendered.push(await renderDiagram(diagram, { png: options.png }));
          } catch (error) {
            throw new CliError(`diagram ${diagram.name}: ${(error as Error).message}`);
          }
        }
        for (const diagram of rendered) {
          for (const problem of diagram.problems) output.error(`warning: diagram ${diagram.name}: ${problem}`);
          const files: [string, string | Buffer][] = [
            [`${diagram.name}.dot`, diagram.dot],
            [`${diagram.name}.svg`, diagram.svg],
          ];
          if (diagram.png) files.push([`${diagram.name}.png`, diagram.png]);
          for (const [file, contents] of files) writeAtomically(join(outDir, file), contents);
          const written = join(outDir, diagram.name);
          const shown = relative(projectRoot, written).startsWith('..') ? written : relative(projectRoot, written);
          output.line(`${shown}.{${files.map(([file]) => file.split('.').pop()).join(',')}}`);
        }
      });
  }
}
