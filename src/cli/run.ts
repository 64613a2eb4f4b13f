// The CLI as the process runs it: standard streams, exit code. bin/storestack.js
// calls this with what it read from the environment.
import { defaultCommands, main, operationsCommands } from './main.ts';
import { StdOutput } from './output.ts';

export interface RunOptions {
  readonly projectRoot: string;
  /** STORESTACK_CONFIG, as read by bin/. */
  readonly configFile?: string;
  /**
   * `operations` leaves out the commands that need the CDK (synth): the operations package
   * installed on the build host carries no aws-cdk-lib.
   * @default 'all'
   */
  readonly commands?: 'all' | 'operations';
}

export async function run(args: readonly string[], options: RunOptions): Promise<number> {
  // `storestack config print | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  const context = { output: new StdOutput(), projectRoot: options.projectRoot };
  const commands = options.commands === 'operations' ? operationsCommands(context) : defaultCommands(context);
  return main(args, { ...context, defaultConfigFile: options.configFile }, commands);
}
