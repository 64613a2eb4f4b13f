// `storestack probe` through the CLI's entry point, on a virtual clock and a scripted site: flag
// validation, the JSON report's shape, the human report, progress and Ctrl-C.
import { describe, expect, it } from 'vitest';
import { ProbeCommand } from '../../src/cli/commands/probe.ts';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import type { Clock, FetchLike } from '../../src/probe/probe.ts';
import { PROJECT_ROOT } from '../support.ts';

const START = Date.UTC(2026, 10, 26, 10, 0, 0);

/** Virtual time: a sleep jumps straight to its end, after letting the pending requests settle. */
class VirtualClock implements Clock {
  time = START;

  now(): number {
    return this.time;
  }

  async sleepUntil(time: number, signal: AbortSignal): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (!signal.aborted) this.time = Math.max(this.time, time);
  }
}

/**
 * A shop whose home page answers 503 from 1.0 s to 1.6 s while the release switches from r41 to
 * r42 at 1.6 s; its stylesheet is missing (404) and its admin redirects to the login.
 */
function shop(clock: VirtualClock, onRequest: (t: number) => void = () => {}): FetchLike {
  return async (url) => {
    const t = (clock.now() - START) / 1000;
    onRequest(t);
    const headers = { 'X-Release-Id': t < 1.6 ? 'r41' : 'r42' };
    if (url.endsWith('.css')) return new Response('', { status: 404, headers });
    if (url.endsWith('/admin')) return new Response('', { status: 302, headers: { location: '/admin/login' } });
    return new Response('<html></html>', { status: t >= 1 && t < 1.6 ? 503 : 200, headers });
  };
}

const URLS = ['https://shop.example/', 'https://shop.example/static/app.css', 'https://shop.example/admin'];

async function cli(args: string[], { onRequest = (_t: number) => {}, interrupts = [] as (() => void)[] } = {}) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT };
  const clock = new VirtualClock();
  const requests: number[] = [];
  const fetch = shop(clock, (t) => {
    requests.push(t);
    onRequest(t);
  });
  const command = new ProbeCommand(context, {
    clock,
    fetch,
    onInterrupt: (stop) => {
      interrupts.push(stop);
      return () => interrupts.splice(interrupts.indexOf(stop), 1);
    },
  });
  const code = await main(['probe', ...args], context, [command]);
  return { code, stdout: output.stdout, stderr: output.stderr, requests };
}

describe('storestack probe: bad input', () => {
  it.each([
    [['--rate', 'fast'], '--rate must be a number between 0.1 and 100 (got fast)'],
    [['--rate', '0'], '--rate must be a number between 0.1 and 100 (got 0)'],
    [['--rate', '500'], '--rate must be a number between 0.1 and 100 (got 500)'],
    [['--rate', ''], '--rate must be a number between 0.1 and 100 (got )'],
    [['--duration', '-5'], '--duration must be a number between 0.1 and 86400 (got -5)'],
    [['--duration', '1m'], '--duration must be a number between 0.1 and 86400 (got 1m)'],
    [['--timeout', '0'], '--timeout must be a number between 0.001 and 60 (got 0)'],
    [['--version-header', 'X Release'], '--version-header must be an HTTP header name (got "X Release")'],
  ])('rejects %j naming the flag, with exit code 2 and no request', async (flags, message) => {
    // GIVEN a valid URL and one bad flag
    // WHEN the probe is asked for
    const { code, stdout, stderr, requests } = await cli([URLS[0] as string, ...flags]);
    // THEN it says which flag is wrong and why, and sends nothing
    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(stdout).toBe('');
    expect(requests).toEqual([]);
  });

  it.each([
    ['ftp://shop.example/', '<url> must be an http or https URL (got ftp://shop.example/)'],
    ['shop.example', '<url> must be an http or https URL (got shop.example)'],
  ])('rejects %s: only http and https URLs', async (url, message) => {
    const { code, stderr } = await cli([URLS[0] as string, url]);
    expect(code).toBe(2);
    expect(stderr).toBe(message);
  });

  it('needs a URL', async () => {
    const { code, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'url'");
  });
});

describe('storestack probe', () => {
  it('prints the report as JSON with stable keys and seconds to the millisecond', async () => {
    // GIVEN the shop, probed 5 times a second for 3 s
    // WHEN the report is asked for as JSON
    const { code, stdout, requests } = await cli([...URLS, '--rate', '5', '--duration', '3', '--json']);
    // THEN it exits 0 although the shop was down: the probe measured
    expect(code).toBe(0);
    // AND each URL was primed once, then sampled 15 times
    expect(requests).toHaveLength(3 + 45);
    const report = JSON.parse(stdout);
    const latency = { p50: 0, p90: 0, p99: 0, max: 0 };
    expect(report).toEqual({
      startedAt: '2026-11-26T10:00:00.000Z',
      duration: 3,
      interrupted: false,
      rate: 5,
      resolution: 0.2,
      timeout: 0.4,
      maxLag: 0,
      versionHeader: 'X-Release-Id',
      overall: {
        requests: 45,
        failed: 3,
        statuses: { 200: 12, 302: 15, 404: 15, 503: 3 },
        outages: [{ start: 1, end: 1.6, duration: 0.6, failures: 3, statuses: { 503: 3 } }],
        longestOutage: 0.6,
        failedTime: 0.6,
        latency,
        versions: [
          { value: 'r41', first: 0, last: 1.4, count: 16 },
          { value: 'r42', first: 1.6, last: 2.8, count: 14 },
        ],
      },
      urls: [
        {
          url: 'https://shop.example/',
          requests: 15,
          failed: 3,
          statuses: { 200: 12, 503: 3 },
          outages: [{ start: 1, end: 1.6, duration: 0.6, failures: 3, statuses: { 503: 3 } }],
          longestOutage: 0.6,
          failedTime: 0.6,
          latency,
          versions: [
            { value: 'r41', first: 0, last: 1.4, count: 8 },
            { value: 'r42', first: 1.6, last: 2.8, count: 7 },
          ],
        },
        {
          url: 'https://shop.example/static/app.css',
          requests: 15,
          failed: 0,
          statuses: { 404: 15 },
          outages: [],
          longestOutage: 0,
          failedTime: 0,
          latency,
          versions: [
            { value: 'r41', first: 0, last: 1.4, count: 8 },
            { value: 'r42', first: 1.6, last: 2.8, count: 7 },
          ],
        },
        {
          url: 'https://shop.example/admin',
          requests: 15,
          failed: 0,
          statuses: { 302: 15 },
          outages: [],
          longestOutage: 0,
          failedTime: 0,
          latency,
          versions: [],
        },
      ],
    });
    // AND the statuses keep their order through JSON: codes ascending
    expect(Object.keys(report.overall.statuses)).toEqual(['200', '302', '404', '503']);
  });

  it('prints a table per URL, the outages, the versions and an overall line', async () => {
    const { code, stdout } = await cli([...URLS.slice(0, 2), '--duration', '3']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'probed 2 URLs at 5 requests/s each for 3.000 s from 2026-11-26T10:00:00.000Z',
        'resolution 0.200 s: outage durations are within one sampling interval of the real ones (requests sent at most 0.000 s late); timeout 0.400 s',
        '',
        'https://shop.example/',
        '  requests  failed  failed time  longest outage  p50     p90     p99     max',
        '  --------  ------  -----------  --------------  ------  ------  ------  ------',
        '  15        3       0.600 s      0.600 s         0.0 ms  0.0 ms  0.0 ms  0.0 ms',
        '  statuses: 200 ×12, 503 ×3',
        '  outage 1.000 s to 1.600 s: 0.600 s (503 ×3)',
        '  X-Release-Id r41: 0.000 s to 1.400 s (8 answers)',
        '  X-Release-Id r42: 1.600 s to 2.800 s (7 answers)',
        '',
        'https://shop.example/static/app.css',
        '  requests  failed  failed time  longest outage  p50     p90     p99     max',
        '  --------  ------  -----------  --------------  ------  ------  ------  ------',
        '  15        0       0.000 s      0.000 s         0.0 ms  0.0 ms  0.0 ms  0.0 ms',
        '  statuses: 404 ×15',
        '  4xx answers count as up: the site answered (a missing file is not downtime)',
        '  X-Release-Id r41: 0.000 s to 1.400 s (8 answers)',
        '  X-Release-Id r42: 1.600 s to 2.800 s (7 answers)',
        '',
        'overall: 30 requests, 3 failed, 1 outage, failed time 0.600 s, longest outage 0.600 s (resolution 0.200 s)',
      ].join('\n'),
    );
  });

  it('reports progress every 5 s on standard error, leaving standard output to the JSON', async () => {
    const { stdout, stderr } = await cli([URLS[0] as string, '--duration', '12', '--json']);
    expect(stderr.split('\n')).toEqual(['probe: 5.0 s, 25 requests, 3 failed', 'probe: 10.0 s, 50 requests, 3 failed']);
    expect(JSON.parse(stdout).overall.requests).toBe(60);
  });

  it('takes the rate, the timeout and the version header from the flags', async () => {
    const { stdout } = await cli([
      URLS[0] as string,
      '--rate',
      '20',
      '--duration',
      '0.5',
      '--timeout',
      '2.5',
      '--version-header',
      'x-magento-release',
      '--json',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({
      rate: 20,
      resolution: 0.05,
      timeout: 2.5,
      versionHeader: 'x-magento-release',
      overall: { requests: 10, versions: [] },
    });
  });

  it('ends with the report on Ctrl-C, and stops listening for it', async () => {
    // GIVEN a 60 s probe and a Ctrl-C at 2 s
    const interrupts: (() => void)[] = [];
    const onRequest = (t: number) => {
      if (t >= 2) interrupts[0]?.();
    };
    const { code, stdout } = await cli([URLS[0] as string, '--duration', '60', '--json'], { onRequest, interrupts });
    // THEN the report covers the 2 s measured, says it was interrupted, and the process exits 0
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      interrupted: true,
      duration: 2,
      overall: { requests: 10, outages: [{ start: 1, end: 1.6 }] },
    });
    expect(interrupts).toEqual([]);
  });
});
