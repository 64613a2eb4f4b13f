// The downtime probe: requests URLs on a fixed schedule during a release and measures how long
// each was unavailable. No CLI concerns here: src/cli/commands/probe.ts parses the flags and
// src/probe/report.ts formats the result.
//
// What counts as down: a request that errors (connection refused or reset, timeout) or answers
// 5xx. A 2xx, 3xx or 4xx is an answer from a working application: a 404 on a static file is a
// content problem, not downtime, so it shows in the status counts but never opens an outage.
//
// Accuracy: sample i of a URL is scheduled at t0 + i/rate, whatever happened to earlier samples,
// and stands for the interval [i/rate, (i+1)/rate). An outage starts at the first failed sample
// and ends at the first success after it, so each end is off by less than one sampling interval
// in the same direction, and a measured duration is within 1/rate of the real one, plus the
// scheduling lag the result reports (`maxLag`: how late a sample was sent after its time).

/** The subset of the global `fetch` the probe uses: injectable for tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Time, injectable for tests. */
export interface Clock {
  /** Milliseconds since the epoch, monotonic: setting the system clock during a probe must not move samples. */
  now(): number;
  /** Resolves once `now() >= time`, or as soon as `signal` aborts. Never rejects. */
  sleepUntil(time: number, signal: AbortSignal): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();

/** Real time: the performance clock, anchored to the epoch when the process started. */
export const systemClock: Clock = {
  now,
  async sleepUntil(time, signal) {
    // A timer may fire up to a millisecond early (timers count whole milliseconds): sleep again then.
    for (let remaining = time - now(); remaining > 0 && !signal.aborted; remaining = time - now()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.ceil(remaining));
        signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  },
};

export const DEFAULT_RATE = 5;
export const DEFAULT_DURATION = 60;
export const DEFAULT_VERSION_HEADER = 'X-Release-Id';
/** The per-request timeout never exceeds this: a page slower than 5 s is down for its users. */
export const MAX_DEFAULT_TIMEOUT = 5;
const USER_AGENT = 'storestack-probe';
/** Seconds the priming requests may take at least. */
const PRIME_TIMEOUT = 1;

export interface ProbeOptions {
  /** The URLs to request, each on the same schedule. */
  readonly urls: readonly string[];
  /**
   * Requests per second to each URL; the sampling interval is 1/rate.
   * @default 5
   */
  readonly rate?: number;
  /**
   * Seconds to run; `signal` may end the probe earlier.
   * @default 60
   */
  readonly duration?: number;
  /**
   * Seconds after which a request fails as 'timeout' (headers and body).
   * @default - twice the sampling interval, at most 5 s
   */
  readonly timeout?: number;
  /**
   * Requests to one URL in flight at once; a sample due while that many are pending fails as
   * 'overload' without a request, so a hanging site never piles up sockets.
   * @default - twice the requests that a timeout lets overlap, plus 2: only reached when timeouts
   * are not honoured (a stalled event loop)
   */
  readonly maxInFlight?: number;
  /**
   * The response header naming the release that answered.
   * @default 'X-Release-Id'
   */
  readonly versionHeader?: string;
  /**
   * Sends one uncounted request to each URL before the schedule starts, waiting at most the
   * timeout or 1 s, whichever is longer. The first request of a process loads the HTTP client and
   * opens the connection (DNS, TCP, TLS): slower than any later one, it must not fail the 0 s sample.
   * @default true
   */
  readonly prime?: boolean;
  /** Ends the probe early (Ctrl-C): the result covers the samples taken until then. */
  readonly signal?: AbortSignal;
  /** Called every `progressInterval` seconds of the probe with the counts so far. */
  readonly onProgress?: (progress: ProbeProgress) => void;
  /** @default 5 */
  readonly progressInterval?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default the global fetch */
  readonly fetch?: FetchLike;
}

export interface ProbeProgress {
  /** Seconds since the start. */
  readonly elapsed: number;
  /** Requests answered or failed so far (all URLs). */
  readonly requests: number;
  readonly failed: number;
}

/** One sample: the outcome of the request scheduled at `time`. */
export interface Sample {
  /** The index of the sample in the schedule: `time = tick / rate`. */
  readonly tick: number;
  /** Scheduled time, seconds since the start of the probe. */
  readonly time: number;
  /** The HTTP status ('200'), or 'timeout', 'overload', 'error:<code>' ('error:ECONNREFUSED'). */
  readonly status: string;
  readonly failed: boolean;
  /** Seconds from sending the request to the end of its body (answered requests). */
  readonly latency?: number;
  /** The version header of the answer, when there was one. */
  readonly version?: string;
}

/** A maximal run of failed samples. Times are seconds since the start of the probe. */
export interface Outage {
  /** The scheduled time of the first failed sample. */
  readonly start: number;
  /** The scheduled time of the first success after it, or the end of the probe when none came. */
  readonly end: number;
  readonly duration: number;
  /** Failed requests in the outage. */
  readonly failures: number;
  /** Failed requests by status. */
  readonly statuses: Readonly<Record<string, number>>;
}

/** Latency of successful requests, seconds (nearest-rank percentiles). */
export interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** A value of the version header and when it was seen: shows when the release switched. */
export interface VersionSeen {
  readonly value: string;
  /** Scheduled time of the first and last sample answered with this value, seconds since the start. */
  readonly first: number;
  readonly last: number;
  readonly count: number;
}

export interface Availability {
  readonly requests: number;
  readonly failed: number;
  /** Requests by status, failed or not. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly outages: readonly Outage[];
  /** Seconds; 0 without outage. */
  readonly longestOutage: number;
  /** The sum of the outages' durations, seconds. */
  readonly failedTime: number;
  /** Null when no request succeeded. */
  readonly latency: Latency | null;
  readonly versions: readonly VersionSeen[];
}

export interface UrlAvailability extends Availability {
  readonly url: string;
}

export interface ProbeResult {
  /** When sample 0 was scheduled, milliseconds since the epoch. */
  readonly startedAt: number;
  readonly rate: number;
  /** The sampling interval, 1/rate seconds: the resolution of every time in the result. */
  readonly interval: number;
  /** The per-request timeout, seconds. */
  readonly timeout: number;
  /** Seconds covered by the samples: the planned duration unless interrupted. */
  readonly duration: number;
  /** True when the signal ended the probe; requests still in flight then were not counted. */
  readonly interrupted: boolean;
  /** The latest a request was sent after its scheduled time, seconds: adds to the error bound. */
  readonly maxLag: number;
  readonly versionHeader: string;
  readonly urls: readonly UrlAvailability[];
  /** All URLs together; a moment is down when any URL is down (an admin outage is an outage). */
  readonly overall: Availability;
}

/** The outcome of one request; undefined when the probe was interrupted before it completed. */
type Outcome = Omit<Sample, 'tick' | 'time'>;

interface Target {
  readonly url: string;
  readonly samples: Sample[];
  /** Pending requests by tick. */
  readonly inFlight: Map<number, Promise<void>>;
}

/**
 * Requests each URL `rate` times a second for `duration` seconds and measures its availability.
 * Requests overlap: one still in flight never delays the next sample.
 */
export class Probe {
  readonly urls: readonly string[];
  readonly rate: number;
  readonly duration: number;
  readonly interval: number;
  readonly timeout: number;
  readonly maxInFlight: number;
  readonly versionHeader: string;
  private readonly clock: Clock;
  private readonly fetch: FetchLike;

  constructor(private readonly options: ProbeOptions) {
    this.urls = options.urls;
    this.rate = options.rate ?? DEFAULT_RATE;
    this.duration = options.duration ?? DEFAULT_DURATION;
    if (this.urls.length === 0) throw new RangeError('a probe needs at least one URL');
    if (!(this.rate > 0)) throw new RangeError(`rate must be positive (got ${this.rate})`);
    if (!(this.duration > 0)) throw new RangeError(`duration must be positive (got ${this.duration})`);
    this.interval = 1 / this.rate;
    this.timeout = options.timeout ?? Math.min(2 * this.interval, MAX_DEFAULT_TIMEOUT);
    if (!(this.timeout > 0)) throw new RangeError(`timeout must be positive (got ${this.timeout})`);
    this.maxInFlight = options.maxInFlight ?? 2 * Math.ceil(this.timeout * this.rate) + 2;
    if (!(this.maxInFlight >= 1)) throw new RangeError(`maxInFlight must be at least 1 (got ${this.maxInFlight})`);
    this.versionHeader = options.versionHeader ?? DEFAULT_VERSION_HEADER;
    this.clock = options.clock ?? systemClock;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  async run(): Promise<ProbeResult> {
    const { signal, onProgress } = this.options;
    const progressInterval = this.options.progressInterval ?? 5;
    // Aborts the requests in flight when the caller's signal fires, and wakes the scheduler.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    if (signal?.aborted) stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const targets: Target[] = this.urls.map((url) => ({ url, samples: [], inFlight: new Map() }));
    const intervalMs = 1000 / this.rate;
    // Enough samples to cover the duration; the last one's interval ends at ticks / rate.
    const ticks = Math.max(1, Math.ceil(this.duration * this.rate - 1e-9));
    const counts = { requests: 0, failed: 0 };
    // The first tick not fully measured: samples from it on are dropped when interrupted.
    let end = ticks;
    let maxLag = 0;
    let nextProgress = progressInterval;

    const record = (target: Target, tick: number, outcome: Outcome | undefined) => {
      if (outcome === undefined) {
        end = Math.min(end, tick);
        return;
      }
      target.samples.push({ tick, time: tick / this.rate, ...outcome });
      counts.requests++;
      if (outcome.failed) counts.failed++;
    };

    if (this.options.prime ?? true) await this.prime(stop.signal);
    const startedAt = this.clock.now();
    for (let tick = 0; tick < ticks; tick++) {
      // Absolute times: a late wake-up delays this sample only, never the schedule.
      const due = startedAt + tick * intervalMs;
      await this.clock.sleepUntil(due, stop.signal);
      if (stop.signal.aborted) {
        end = Math.min(end, tick);
        break;
      }
      maxLag = Math.max(maxLag, this.clock.now() - due);
      for (const target of targets) {
        if (target.inFlight.size >= this.maxInFlight) {
          record(target, tick, { status: 'overload', failed: true });
          continue;
        }
        const pending = this.request(target.url, stop.signal).then((outcome) => {
          target.inFlight.delete(tick);
          record(target, tick, outcome);
        });
        target.inFlight.set(tick, pending);
      }
      const elapsed = tick / this.rate;
      // The tolerance absorbs float error: tick 100 at rate 20 must report at 5 s, not skip to 10 s.
      if (onProgress && elapsed >= nextProgress - 1e-9) {
        onProgress({ elapsed, ...counts });
        while (nextProgress <= elapsed + 1e-9) nextProgress += progressInterval;
      }
    }
    await Promise.all(targets.flatMap((target) => [...target.inFlight.values()]));
    signal?.removeEventListener('abort', onAbort);

    const interrupted = stop.signal.aborted;
    const covered = end / this.rate;
    const urls = targets.map((target) => {
      const samples = target.samples.filter((sample) => sample.tick < end).sort((a, b) => a.tick - b.tick);
      return { url: target.url, ...summarize(samples, covered) };
    });
    const all = targets
      .flatMap((target) => target.samples)
      .filter((sample) => sample.tick < end)
      .sort((a, b) => a.tick - b.tick);
    return {
      startedAt,
      rate: this.rate,
      interval: this.interval,
      timeout: this.timeout,
      duration: covered,
      interrupted,
      maxLag: maxLag / 1000,
      versionHeader: this.versionHeader,
      urls,
      overall: summarize(all, covered),
    };
  }

  /** Requests each URL once, whatever the answer: see `ProbeOptions.prime`. */
  private async prime(stop: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(Math.max(this.timeout, PRIME_TIMEOUT) * 1000), stop]);
    await Promise.all(
      this.urls.map(async (url) => {
        try {
          await this.send(url, signal);
        } catch {
          // Not a sample: the schedule has not started. A site down now shows in the first sample.
        }
      }),
    );
  }

  /** Sends a request and reads its body to the end. */
  private async send(url: string, signal: AbortSignal): Promise<Response> {
    // A 3xx is an answer (the site is up and redirecting), not something to follow.
    const response = await this.fetch(url, { redirect: 'manual', signal, headers: { 'user-agent': USER_AGENT } });
    // Read to the end: a page cut off mid-body is not an answer, and the timeout covers the body.
    if (response.body) for await (const _ of response.body);
    return response;
  }

  /** One request: its status, latency and version, or undefined when the probe was interrupted meanwhile. */
  private async request(url: string, stop: AbortSignal): Promise<Outcome | undefined> {
    const timeout = AbortSignal.timeout(Math.ceil(this.timeout * 1000));
    const sentAt = this.clock.now();
    try {
      const response = await this.send(url, AbortSignal.any([timeout, stop]));
      const version = response.headers.get(this.versionHeader) ?? undefined;
      // Answered after the interruption: outside the period the result covers.
      if (stop.aborted) return undefined;
      return {
        status: String(response.status),
        failed: response.status >= 500,
        latency: (this.clock.now() - sentAt) / 1000,
        ...(version === undefined ? {} : { version }),
      };
    } catch (error) {
      // Interrupted: the request says nothing about the site.
      if (stop.aborted) return undefined;
      if (timeout.aborted) return { status: 'timeout', failed: true };
      return { status: `error:${errorCode(error)}`, failed: true };
    }
  }
}

/**
 * Why a request failed: the first `code` along the error's causes (fetch rejects with
 * `TypeError: fetch failed` whose cause carries ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET...).
 */
export function errorCode(error: unknown): string {
  let innermost = 'unknown';
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    innermost = current.name;
    current = current.cause;
  }
  return innermost;
}

/** Availability of samples sorted by time; several samples may share a time (one per URL). */
export function summarize(samples: readonly Sample[], end: number): Availability {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const versions = new Map<string, { first: number; last: number; count: number }>();
  let failed = 0;
  for (const sample of samples) {
    statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
    if (sample.failed) failed++;
    else if (sample.latency !== undefined) latencies.push(sample.latency);
    if (sample.version !== undefined) {
      const seen = versions.get(sample.version);
      if (seen === undefined) {
        versions.set(sample.version, { first: sample.time, last: sample.time, count: 1 });
      } else {
        seen.first = Math.min(seen.first, sample.time);
        seen.last = Math.max(seen.last, sample.time);
        seen.count++;
      }
    }
  }
  const outages = findOutages(samples, end);
  return {
    requests: samples.length,
    failed,
    statuses,
    outages,
    longestOutage: Math.max(0, ...outages.map((outage) => outage.duration)),
    failedTime: outages.reduce((sum, outage) => sum + outage.duration, 0),
    latency: percentiles(latencies),
    versions: [...versions]
      .map(([value, seen]) => ({ value, ...seen }))
      .sort((a, b) => a.first - b.first || a.value.localeCompare(b.value)),
  };
}

/**
 * The maximal runs of failed samples, by scheduled time. Samples sharing a time (the URLs of one
 * tick) form one moment, down when any of them failed. `end` closes an outage still open.
 */
export function findOutages(samples: readonly Sample[], end: number): Outage[] {
  const outages: Outage[] = [];
  let open: { start: number; failures: number; statuses: Record<string, number> } | undefined;
  const close = (at: number) => {
    if (open === undefined) return;
    outages.push({ ...open, end: at, duration: at - open.start });
    open = undefined;
  };
  for (let i = 0; i < samples.length; ) {
    const time = samples[i]?.time as number;
    let failures = 0;
    const statuses: Record<string, number> = {};
    for (; i < samples.length && samples[i]?.time === time; i++) {
      const sample = samples[i] as Sample;
      if (!sample.failed) continue;
      failures++;
      statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
    }
    if (failures === 0) {
      close(time);
      continue;
    }
    open ??= { start: time, failures: 0, statuses: {} };
    open.failures += failures;
    for (const [status, count] of Object.entries(statuses)) {
      open.statuses[status] = (open.statuses[status] ?? 0) + count;
    }
  }
  close(end);
  return outages;
}

/** Nearest-rank percentiles of `values`; null when empty. */
export function percentiles(values: readonly number[]): Latency | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return { p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1] as number };
}
