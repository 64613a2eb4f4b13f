import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';

/** Applications whose bundle `render bundle` writes: Magento per environment, the satellite apps once. */
const BUNDLES = ['magento', 'pim', 'connector', 'mirakl'] as const;
type Bundle = (typeof BUNDLES)[number];

/** A rendered file, written under the output directory with its mode. */
interface RenderedFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/**
 * `storestack render bundle <app> --env <env> --out <dir>` and `storestack render gateway <name>
 * --out <dir>`: the files that run on instances.
 */
export class RenderCommand implements CliCommand {
  constructor(private readonly context: CommandContext) {}

  register(program: Command): void {
    const render = program.command('render').description('write the files storestack renders for instances');
    render
      .command('bundle')
      .description("write an application's bundle files (merged into each release)")
      .argument('<app>', `the application: ${BUNDLES.join(', ')}`)
      .option('--env <env>', 'the environment (magento only: the satellite apps have one)')
      .requiredOption('--out <dir>', 'where to write the files (created if missing)')
      .action(async (app: string, options: { env?: string; out: string }, command: Command) => {
        if (!(BUNDLES as readonly string[]).includes(app)) {
          throw new CliError(`${app} has no bundle (known: ${BUNDLES.join(', ')})`);
        }
        const bundle = app as Bundle;
        if (bundle === 'magento' && options.env === undefined) {
          throw new CliError('--env is required for the magento bundle (one per environment)');
        }
        if (bundle !== 'magento' && options.env !== undefined) {
          throw new CliError(`--env does not apply to ${bundle}: the satellite applications have one environment`);
        }
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        let files: RenderedFile[];
        if (bundle === 'magento') {
          // Imported here: the renderers are only loaded by the command that needs them.
          const { renderMagentoBundle, UnknownEnvironmentError } = await import('../../release/magento-bundle.ts');
          try {
            files = renderMagentoBundle(platform, options.env as string);
          } catch (error) {
            if (error instanceof UnknownEnvironmentError) throw new CliError(`--env ${error.message}`);
            throw error;
          }
        } else {
          const { renderAppBundle } = await import('../../release/app-bundles.ts');
          files = renderAppBundle(platform, bundle);
        }
        await this.write(files, options.out);
        const scope = bundle === 'magento' ? ` for ${options.env}` : '';
        this.context.output.line(`${files.length} files of the ${bundle} bundle${scope} written to ${options.out}`);
      });
    render
      .command('gateway')
      .description("write an HAProxy gateway's haproxy.cfg and user data (document 6.D)")
      .argument('<name>', 'the gateway: a name of gateway.servers in the configuration')
      .requiredOption('--out <dir>', 'where to write the files (created if missing)')
      .action(async (name: string, options: { out: string }, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        // Imported here: the renderer is only loaded by the command that needs it.
        const { renderGateway, UnknownGatewayError } = await import('../../assets/gateway/render.ts');
        let files: RenderedFile[];
        try {
          files = renderGateway(platform, name);
        } catch (error) {
          if (error instanceof UnknownGatewayError) throw new CliError(error.message);
          throw error;
        }
        await this.write(files, options.out);
        this.context.output.line(`${files.length} files of the ${name} gateway written to ${options.out}`);
      });
  }

  /** Writes each file under `out` with its mode, printing `<mode> <path>` for each. */
  private async write(files: readonly RenderedFile[], out: string): Promise<void> {
    for (const file of files) {
      const target = join(out, file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content);
      await chmod(target, file.mode);
      this.context.output.line(`${file.mode.toString(8).padStart(4, '0')} ${file.path}`);
    }
  }
}
