// What the operational commands share about AWS: the factory they use by default, imported only
// when a command runs (the SDK must not load for `storestack --help`), and turning a failed call
// into a message the operator can act on rather than a stack trace.
import type { OperationsAwsFactory } from '../aws/operations.ts';
import { CliError } from '../cli/command.ts';

/** Bad input exits 2, like commander's own usage errors; a failure met while working exits 1. */
export const BAD_INPUT = 2;

/** The real interfaces, with the SDK imported on first use. */
export const lazyRealOperationsAws: OperationsAwsFactory = async (region) =>
  (await import('../aws/operations.ts')).realOperationsAws(region);

/** Errors of storestack's own, whose message says it all. */
const OWN_ERRORS = new Set(['Error', 'CliError', 'RemoteCommandError', 'IncompleteOutputError']);

/** An error's message; an SDK error's name (AccessDeniedException, ...) first: it says more than the message alone. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const named = error.name && !OWN_ERRORS.has(error.name) && !error.message.startsWith(error.name);
  return named ? `${error.name}: ${error.message}` : error.message;
}

/**
 * Runs one AWS step; a failure (no credentials, access denied, an unknown environment) becomes a
 * CliError saying what was being done.
 */
export async function awsStep<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${what} failed: ${describeError(error)}`);
  }
}

/** The last `count` non-empty lines of a command's output, to quote in an error. */
export function tail(text: string, count = 20): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
