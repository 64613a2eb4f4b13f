import type { Command } from 'commander';
import type { Output } from './output.ts';

/** What every command receives: where to write, and the context of the invocation. */
export interface CommandContext {
  readonly output: Output;
  /** The repository root: holds cdk.json, config/ and cdk.out/. */
  readonly projectRoot: string;
  /**
   * The configuration file chosen by `--config` or STORESTACK_CONFIG.
   * @default - the sample configuration, config/platform.ts
   */
  readonly configFile?: string;
}

/** A `storestack` command: registers itself on the program; the entry point only calls this. */
export interface CliCommand {
  register(program: Command): void;
}

/** A failure the user can act on: printed without a stack trace; the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
