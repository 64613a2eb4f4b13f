// The CLI as the process runs it: standard streams, exit code. bin/storestack.js
// calls this with what it read from the environment.
import { main } from './main.ts';
import { StdOutput } from './output.ts';

export interface RunOptions {
  readonly projectRoot: string;
  /** STORESTACK_CONFIG, as read by bin/. */
  readonly configFile?: string;
}

export async function run(args: readonly string[], options: RunOptions): Promise<number> {
  // `storestack config print | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  return main(args, {
    output: new StdOutput(),
    projectRoot: options.projectRoot,
    defaultConfigFile: options.configFile,
  });
}
