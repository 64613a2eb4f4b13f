import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';

/** Applications whose bundle `render bundle` writes. */
const BUNDLES = ['magento'] as const;

/** `storestack render bundle <app> --env <env> --out <dir>`: the files that run on instances. */
export class RenderCommand implements CliCommand {
  constructor(private readonly context: CommandContext) {}

  register(program: Command): void {
    const render = program.command('render').description('write the files storestack renders for instances');
    render
      .command('bundle')
      .description("write an application's bundle files (merged into each release) for one environment")
      .argument('<app>', `the application: ${BUNDLES.join(', ')}`)
      .requiredOption('--env <env>', 'the environment')
      .requiredOption('--out <dir>', 'where to write the files (created if missing)')
      .action(async (app: string, options: { env: string; out: string }, command: Command) => {
        if (!(BUNDLES as readonly string[]).includes(app)) {
          throw new CliError(`${app} has no bundle yet (known: ${BUNDLES.join(', ')})`);
        }
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        const { renderMagentoBundle, UnknownEnvironmentError } = await import('../../release/magento-bundle.ts');
        let files: Awaited<ReturnType<typeof renderMagentoBundle>>;
        try {
          files = renderMagentoBundle(platform, options.env);
        } catch (error) {
          if (error instanceof UnknownEnvironmentError) throw new CliError(`--env ${error.message}`);
          throw error;
        }
        for (const file of files) {
          const target = join(options.out, file.path);
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, file.content);
          await chmod(target, file.mode);
          this.context.output.line(`${file.mode.toString(8).padStart(4, '0')} ${file.path}`);
        }
        this.context.output.line(
          `${files.length} files of the ${app} bundle for ${options.env} written to ${options.out}`,
        );
      });
  }
}
