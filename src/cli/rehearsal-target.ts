import type { Platform } from '../config/schema.ts';
import type { RehearsalTarget } from '../rehearsal/target.ts';
import { CliError } from './command.ts';

/**
 * `--env rehearsal`: the running rehearsal as the target of build and release (Magento only), or a
 * CliError saying how to start one. `badInput` is the command's exit code for a wrong application.
 */
export async function requireRehearsal(
  projectRoot: string,
  platform: Platform,
  app: string,
  badInput: number,
): Promise<RehearsalTarget> {
  if (app !== 'magento') throw new CliError(`the rehearsal runs Magento only, not ${app}`, badInput);
  const { rehearsalDirectory, rehearsalTarget } = await import('../rehearsal/target.ts');
  try {
    return rehearsalTarget(rehearsalDirectory(projectRoot), platform);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
