// The probe's bookkeeping on a virtual clock and a scripted site: which samples fail, how they
// merge into outages, where outages end. Deterministic: no network, no real time.
import { describe, expect, it } from 'vitest';
import {
  type Clock,
  errorCode,
  type FetchLike,
  findOutages,
  Probe,
  type ProbeOptions,
  percentiles,
  type Sample,
} from '../../src/probe/probe.ts';

const START = Date.UTC(2026, 10, 26, 10, 0, 0);

/** Virtual time: a sleep jumps straight to its end, after letting the pending requests settle. */
class VirtualClock implements Clock {
  time = START;
  /** How late each wake-up is, in ms: a loaded machine, to show lateness does not accumulate. */
  constructor(private readonly lateness: (wake: number) => number = () => 0) {}
  private wakes = 0;

  now(): number {
    return this.time;
  }

  async sleepUntil(time: number, signal: AbortSignal): Promise<void> {
    // A macrotask: every promise of the requests already sent resolves first, as between real ticks.
    await new Promise((resolve) => setImmediate(resolve));
    if (!signal.aborted) this.time = Math.max(this.time, time + this.lateness(this.wakes++));
  }
}

/** What the scripted site does at `t` seconds after the start: a status, or a thrown error. */
type Script = (url: string, t: number) => number | Error;

/** A fetch answering from `script`, and the times (seconds) it was called at. */
function scriptedFetch(clock: VirtualClock, script: Script) {
  const calls: { url: string; t: number; init: RequestInit }[] = [];
  const fetch: FetchLike = async (url, init) => {
    const t = (clock.now() - START) / 1000;
    calls.push({ url, t, init });
    const outcome = script(url, t);
    if (outcome instanceof Error) throw outcome;
    const headers = new Headers({ 'x-release-id': t < 1.5 ? 'r1' : 'r2' });
    return new Response(outcome === 204 || outcome === 304 ? null : 'body', { status: outcome, headers });
  };
  return { fetch, calls };
}

/** What undici rejects with when nothing listens: a TypeError whose cause has the code. */
function refused(): Error {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }),
  });
}

async function probe(script: Script, options: Partial<ProbeOptions> = {}, clock = new VirtualClock()) {
  const site = scriptedFetch(clock, script);
  const result = await new Probe({
    urls: ['http://shop.test/'],
    rate: 5,
    duration: 3,
    clock,
    fetch: site.fetch,
    // Only samples: the priming request would be one more call to the script.
    prime: false,
    ...options,
  }).run();
  return { result, calls: site.calls };
}

describe('Probe, on a virtual clock', () => {
  it('merges consecutive failures of any kind into one outage that ends at the next success', async () => {
    // GIVEN a site answering 503 from 1.0 s, then refusing connections from 1.4 s, back at 2.0 s
    const script: Script = (_, t) => (t < 1 ? 200 : t < 1.4 ? 503 : t < 2 ? refused() : 200);
    // WHEN it is probed 5 times a second for 3 s
    const { result } = await probe(script);
    // THEN one outage covers both failure kinds, from the first failed sample to the first success
    const [url] = result.urls;
    expect(url?.outages).toEqual([
      { start: 1, end: 2, duration: 1, failures: 5, statuses: { 503: 2, 'error:ECONNREFUSED': 3 } },
    ]);
    expect(url?.longestOutage).toBe(1);
    expect(url?.failedTime).toBe(1);
    expect(url?.requests).toBe(15);
    expect(url?.failed).toBe(5);
    expect(url?.statuses).toEqual({ 200: 10, 503: 2, 'error:ECONNREFUSED': 3 });
    expect(result).toMatchObject({ duration: 3, interrupted: false, interval: 0.2, timeout: 0.4, maxLag: 0 });
  });

  it('keeps outages separated by one success apart, and sums them as failed time', async () => {
    // GIVEN a site down 0.4–1.0 s, up for one sample at 1.0 s, down again 1.2–1.4 s
    const script: Script = (_, t) => (t >= 0.4 && t < 1 ? 503 : t >= 1.2 && t < 1.4 ? 502 : 200);
    // WHEN it is probed
    const { result } = await probe(script);
    // THEN two outages, each ended by the success after it
    const outages = result.urls[0]?.outages.map(({ start, end, duration }) => ({ start, end, duration }));
    expect(outages).toEqual([
      { start: 0.4, end: 1, duration: expect.closeTo(0.6, 9) },
      { start: 1.2, end: 1.4, duration: expect.closeTo(0.2, 9) },
    ]);
    expect(result.urls[0]?.longestOutage).toBeCloseTo(0.6, 9);
    expect(result.urls[0]?.failedTime).toBeCloseTo(0.8, 9);
  });

  it('closes an outage still open at the end of the probe at the end of the last sample', async () => {
    // GIVEN a site that goes down at 2.4 s and stays down
    const { result } = await probe((_, t) => (t < 2.4 ? 200 : 503));
    // WHEN the 3 s probe ends
    // THEN the outage ends with the probe: the last sample, at 2.8 s, stands for 2.8–3.0 s
    expect(result.urls[0]?.outages).toEqual([
      { start: 2.4, end: 3, duration: expect.closeTo(0.6, 9), failures: 3, statuses: { 503: 3 } },
    ]);
  });

  it('reports a site down from the first sample to the last as down for the whole probe', async () => {
    const { result } = await probe(() => refused(), { duration: 2 });
    expect(result.urls[0]?.outages).toEqual([
      { start: 0, end: 2, duration: 2, failures: 10, statuses: { 'error:ECONNREFUSED': 10 } },
    ]);
    expect(result.urls[0]?.latency).toBeNull();
  });

  it('measures a 2 s outage as 2 s, not 1 s', async () => {
    // GIVEN a site down from 0.5 s to 2.5 s
    const { result } = await probe((_, t) => (t >= 0.5 && t < 2.5 ? 503 : 200), { rate: 20, duration: 3.5 });
    // THEN the outage is 2 s to the sample
    expect(result.urls[0]?.longestOutage).toBeCloseTo(2, 9);
  });

  it('counts 2xx, 3xx and 4xx answers as up, each under its status', async () => {
    // GIVEN a page that redirects, a static file that is missing, an API that answers 204
    const script: Script = (url) => (url.endsWith('.css') ? 404 : url.endsWith('/api') ? 204 : 302);
    const { result, calls } = await probe(script, {
      urls: ['http://shop.test/', 'http://shop.test/static/missing.css', 'http://shop.test/api'],
      duration: 1,
    });
    // THEN nothing is down, the statuses say what each answered, and redirects were not followed
    expect(result.overall.outages).toEqual([]);
    expect(result.overall.failed).toBe(0);
    expect(result.urls.map((url) => url.statuses)).toEqual([{ 302: 5 }, { 404: 5 }, { 204: 5 }]);
    expect(calls.every(({ init }) => init.redirect === 'manual')).toBe(true);
  });

  it('merges the URLs overall: a moment is down when any URL is down', async () => {
    // GIVEN the home page down 1.0–1.6 s and the admin down 1.4–2.0 s
    const script: Script = (url, t) => {
      const [from, to] = url.endsWith('/admin') ? [1.4, 2] : [1, 1.6];
      return t >= from && t < to ? 503 : 200;
    };
    const { result } = await probe(script, { urls: ['http://shop.test/', 'http://shop.test/admin'] });
    // THEN each URL has its outage and the overall one spans both
    expect(result.urls.map((url) => [url.outages[0]?.start, url.outages[0]?.end])).toEqual([
      [1, 1.6],
      [1.4, 2],
    ]);
    expect(result.overall.outages).toEqual([{ start: 1, end: 2, duration: 1, failures: 6, statuses: { 503: 6 } }]);
    expect(result.overall.requests).toBe(30);
    expect(result.overall.failed).toBe(6);
  });

  it('keeps to an absolute schedule: a late wake-up delays one request, never the ones after', async () => {
    // GIVEN a clock that wakes up to 30 ms late, every time (a busy machine)
    const clock = new VirtualClock((wake) => (wake * 7) % 31);
    // WHEN a site is probed 20 times a second for 5 s
    const { result, calls } = await probe(() => 200, { rate: 20, duration: 5 }, clock);
    // THEN request i is sent between its time, i/20 s, and 30 ms later: the lateness never adds up
    expect(calls).toHaveLength(100);
    for (const [i, call] of calls.entries()) {
      expect(call.t - i / 20).toBeGreaterThanOrEqual(-1e-9);
      expect(call.t - i / 20).toBeLessThanOrEqual(0.03 + 1e-9);
    }
    // AND the result reports the worst lateness, which bounds the extra error of the measurement
    expect(result.maxLag).toBeCloseTo(0.03, 9);
  });

  it('records the first and last time each version header value was seen', async () => {
    // GIVEN a site that serves release r1 until 1.5 s, then r2, with an outage in between
    const { result } = await probe((_, t) => (t >= 1.2 && t < 1.6 ? 503 : 200));
    // THEN r1 was last seen at 1.4 s and r2 first at 1.6 s (5xx answers carry the header too)
    expect(result.urls[0]?.versions).toEqual([
      { value: 'r1', first: 0, last: 1.4, count: 8 },
      { value: 'r2', first: 1.6, last: 2.8, count: 7 },
    ]);
    expect(result.versionHeader).toBe('X-Release-Id');
  });

  it('reads the version from the header it is told', async () => {
    const { result } = await probe(() => 200, { versionHeader: 'X-Magento-Release', duration: 1 });
    expect(result.urls[0]?.versions).toEqual([]);
  });

  it('fails a sample as overload when too many requests to the URL are in flight', async () => {
    // GIVEN a site that never answers, and at most 2 requests in flight
    const clock = new VirtualClock();
    const hang: FetchLike = (_, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    // WHEN it is probed 10 times (the virtual second passes before the real 0.5 s timeout)
    const result = await new Probe({
      urls: ['http://shop.test/'],
      rate: 10,
      duration: 1,
      timeout: 0.5,
      maxInFlight: 2,
      prime: false,
      clock,
      fetch: hang,
    }).run();
    // THEN the first two time out and the 8 others are not sent
    expect(result.urls[0]?.statuses).toEqual({ overload: 8, timeout: 2 });
    expect(result.urls[0]?.outages).toEqual([
      { start: 0, end: 1, duration: 1, failures: 10, statuses: { overload: 8, timeout: 2 } },
    ]);
  });

  it('stops on the signal and reports the samples taken until then', async () => {
    // GIVEN a site down from 1.0 s, and a Ctrl-C at 2.0 s
    const interrupt = new AbortController();
    const script: Script = (_, t) => {
      if (t >= 2) interrupt.abort();
      return t < 1 ? 200 : 503;
    };
    // WHEN a 60 s probe runs
    const { result } = await probe(script, { duration: 60, signal: interrupt.signal });
    // THEN it covers 0–2 s: the request in flight at the interruption is not counted, the outage ends there
    expect(result).toMatchObject({ interrupted: true, duration: 2 });
    expect(result.urls[0]?.requests).toBe(10);
    expect(result.urls[0]?.outages).toEqual([{ start: 1, end: 2, duration: 1, failures: 5, statuses: { 503: 5 } }]);
  });

  it('reports progress every 5 s of the probe', async () => {
    const progress: unknown[] = [];
    await probe((_, t) => (t < 6 ? 200 : 503), { duration: 12, onProgress: (p) => progress.push(p) });
    // Counts are of the requests completed before the sample at that time.
    expect(progress).toEqual([
      { elapsed: 5, requests: 25, failed: 0 },
      { elapsed: 10, requests: 50, failed: 20 },
    ]);
  });

  it('primes each URL once before the schedule, without counting it', async () => {
    // GIVEN a site whose first answers fail (as a cold first request can time out)
    let answers = 0;
    const { result, calls } = await probe(() => (answers++ < 2 ? 503 : 200), {
      urls: ['http://shop.test/', 'http://shop.test/admin'],
      prime: true,
      duration: 1,
    });
    // THEN each URL got one more request, before the first sample, and it is not in the result
    expect(calls).toHaveLength(12);
    expect(calls.slice(0, 2).map((call) => call.url)).toEqual(['http://shop.test/', 'http://shop.test/admin']);
    expect(result.overall).toMatchObject({ requests: 10, failed: 0 });
  });

  it('derives the timeout and the in-flight bound from the rate', () => {
    expect(new Probe({ urls: ['http://a/'] })).toMatchObject({ rate: 5, duration: 60, timeout: 0.4, maxInFlight: 6 });
    expect(new Probe({ urls: ['http://a/'], rate: 0.1 })).toMatchObject({ timeout: 5, maxInFlight: 4 });
    expect(() => new Probe({ urls: [] })).toThrow('at least one URL');
  });
});

describe('findOutages', () => {
  const sample = (time: number, status: string): Sample => ({
    tick: time * 10,
    time,
    status,
    failed: status === 'timeout' || status.startsWith('5') || status.startsWith('error'),
  });

  it('needs no sample to be down: an empty probe has no outage', () => {
    expect(findOutages([], 1)).toEqual([]);
  });

  it('treats the URLs of one tick as one moment, down when any is down', () => {
    const samples = [
      sample(0, '200'),
      sample(0, '200'),
      sample(0.1, '200'),
      sample(0.1, 'timeout'),
      sample(0.2, '200'),
    ];
    samples.push(sample(0.2, '404'));
    expect(findOutages(samples, 0.3)).toEqual([
      { start: 0.1, end: 0.2, duration: expect.closeTo(0.1, 9), failures: 1, statuses: { timeout: 1 } },
    ]);
  });
});

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => (100 - i) / 1000);
    expect(percentiles(values)).toEqual({ p50: 0.05, p90: 0.09, p99: 0.099, max: 0.1 });
    expect(percentiles([0.2])).toEqual({ p50: 0.2, p90: 0.2, p99: 0.2, max: 0.2 });
    expect(percentiles([])).toBeNull();
  });
});

describe('errorCode', () => {
  it("finds the code in fetch's causes, else names the error", () => {
    expect(errorCode(refused())).toBe('ECONNREFUSED');
    expect(errorCode(new TypeError('fetch failed', { cause: new RangeError('odd') }))).toBe('RangeError');
    expect(errorCode('not an error')).toBe('unknown');
  });
});
