import { join } from 'node:path';
import type { Command } from 'commander';
import { SAMPLE_CONFIG } from '../config/config-cache.ts';
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
  const { loadValidatedPlatform } = await import('../config/validated-config.ts');
  try {
    return await loadValidatedPlatform(file ?? join(projectRoot, SAMPLE_CONFIG));
  } catch (error) {
    // ConfigError, without loading its module (and zod) to test for it.
    if (error instanceof Error && error.name === 'ConfigError') throw new CliError(error.message);
    throw error;
  }
}
