import type { Command } from 'commander';
import type { Clock, FetchLike, ProbeProgress } from '../../probe/probe.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';

/** Bad input exits 2, like commander's own usage errors; a probe that ran exits 0 whatever it measured. */
const BAD_INPUT = 2;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Calls `stop` on the first Ctrl-C; returns how to stop listening. Only the first press is
 * caught: a second one kills the process as usual if the report does not come.
 */
export type OnInterrupt = (stop: () => void) => () => void;

const processInterrupt: OnInterrupt = (stop) => {
  process.once('SIGINT', stop);
  return () => process.off('SIGINT', stop);
};

/** What the probe talks to: real time, the network and the process's SIGINT unless a test says otherwise. */
export interface ProbeDependencies {
  readonly clock?: Clock;
  readonly fetch?: FetchLike;
  readonly onInterrupt?: OnInterrupt;
}

interface ProbeFlags {
  rate: string;
  duration: string;
  timeout?: string;
  versionHeader: string;
  json?: boolean;
}

/** A number within [min, max], or a CliError naming the flag. */
function numberFlag(flag: string, value: string, min: number, max: number): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number) || number < min || number > max) {
    throw new CliError(`${flag} must be a number between ${min} and ${max} (got ${value})`, BAD_INPUT);
  }
  return number;
}

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`<url> must be an http or https URL (got ${value})`, BAD_INPUT);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`<url> must be an http or https URL (got ${value})`, BAD_INPUT);
  }
  return value;
}

/**
 * `storestack probe <url>... [--rate n] [--duration s] [--timeout s] [--version-header name] [--json]`:
 * requests the URLs at a steady rate during a release and reports how long each was down.
 */
export class ProbeCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly dependencies: ProbeDependencies = {},
  ) {}

  register(program: Command): void {
    program
      .command('probe')
      .description("measure a release's downtime: request URLs at a steady rate and report outages")
      .argument('<url...>', 'the URLs to request (http or https), e.g. a page, a static file, the admin login')
      .option('--rate <n>', 'requests per second to each URL (0.1 to 100); the resolution is 1/rate', '5')
      .option('--duration <s>', 'seconds to run (Ctrl-C ends earlier, with the report)', '60')
      .option('--timeout <s>', 'seconds before a request fails as timeout (default: 2/rate, at most 5)')
      .option('--version-header <name>', 'the response header naming the release', 'X-Release-Id')
      .option('--json', 'print the report as JSON')
      .addHelpText(
        'after',
        '\nDown means an error, a timeout or a 5xx answer; 2xx, 3xx (not followed) and 4xx are answers.\n' +
          'Exits 0 when the probe ran, whatever it measured; 2 on bad input.',
      )
      .action(async (urls: string[], flags: ProbeFlags) => {
        const options = {
          urls: urls.map(httpUrl),
          rate: numberFlag('--rate', flags.rate, 0.1, 100),
          duration: numberFlag('--duration', flags.duration, 0.1, 86_400),
          ...(flags.timeout === undefined ? {} : { timeout: numberFlag('--timeout', flags.timeout, 0.001, 60) }),
        };
        if (!HEADER_NAME.test(flags.versionHeader)) {
          throw new CliError(
            `--version-header must be an HTTP header name (got ${JSON.stringify(flags.versionHeader)})`,
            BAD_INPUT,
          );
        }
        const { output } = this.context;
        // Imported here: the engine is only loaded by the command that needs it.
        const { Probe } = await import('../../probe/probe.ts');
        const { formatProbeReport, probeJson } = await import('../../probe/report.ts');
        const interrupt = new AbortController();
        const stopListening = (this.dependencies.onInterrupt ?? processInterrupt)(() => interrupt.abort());
        try {
          const result = await new Probe({
            ...options,
            versionHeader: flags.versionHeader,
            signal: interrupt.signal,
            // Progress goes to standard error: standard output stays the report alone, for --json.
            onProgress: ({ elapsed, requests, failed }: ProbeProgress) =>
              output.error(`probe: ${elapsed.toFixed(1)} s, ${requests} requests, ${failed} failed`),
            ...(this.dependencies.clock ? { clock: this.dependencies.clock } : {}),
            ...(this.dependencies.fetch ? { fetch: this.dependencies.fetch } : {}),
          }).run();
          if (flags.json) {
            output.json(probeJson(result));
          } else {
            for (const line of formatProbeReport(result)) output.line(line);
          }
        } finally {
          stopListening();
        }
      });
  }
}
