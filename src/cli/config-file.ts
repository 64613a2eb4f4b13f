import type { Command } from 'commander';
import type { Platform } from '../config/schema.ts';
import { CliError } from './command.ts';

/** The file named by `--config` (or STORESTACK_CONFIG, its default), if any. */
export function configFileOption(command: Command): string | undefined {
  return (command.optsWithGlobals() as { config?: string }).config || undefined;
}

/**
 * Loads and validates the configuration; an invalid one becomes a CliError listing
 * every problem with its path. The loader (and zod) load only when a command needs them.
 */
export async function loadConfigOrFail(file: string | undefined, projectRoot: string): Promise<Platform> {
  const { ConfigError, loadPlatform, sampleConfigPath } = await import('../config/load.ts');
  try {
    return await loadPlatform(file ?? sampleConfigPath(projectRoot));
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}
