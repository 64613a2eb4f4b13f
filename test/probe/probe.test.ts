// The probe against a real HTTP server on loopback that goes down for a known interval. The
// server records when it really went down and came back (the probe's own clock, in this process),
// and the measured outage is compared with that, not with when the test asked for it: a loaded
// machine delays both the change and the samples, and only the change's real time is the truth.
//
// The bound: a sample stands for the interval it starts, so each end of a measured outage falls
// within one sampling interval after the real one, or up to the sample's lag earlier (a sample
// scheduled just before the change but reaching the server just after it). The lag is the
// probe's lateness in sending (it reports it as maxLag) plus the loopback transit through both
// HTTP stacks in this process, TRANSIT: about 1 ms idle, 10–20 ms on a busy 2-core machine. So an
// end may be early by maxLag + TRANSIT, late by less than INTERVAL, and a duration is off by less
// than INTERVAL + maxLag + TRANSIT. Measured on 2 cores with two busy loops beside the tests: ends
// 0.026 s early to 0.045 s late, durations off by at most 0.04 s, maxLag 0.005–0.05 s.
// The switches fall between samples (1.013 s, not 1 s) so that the quantization shows.
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Probe, type ProbeResult, systemClock } from '../../src/probe/probe.ts';

const RATE = 20;
const INTERVAL = 1 / RATE;
const TRANSIT = 0.025;
/**
 * The timeout where the test is not about timeouts. The default at 20 requests a second, 0.1 s, is
 * shorter than the pauses a busy test machine gives this process: requests that overlap do not
 * move the schedule, so a longer timeout changes nothing else.
 */
const SLOW = 1;

type State = 'up' | '503' | 'refused' | 'hang';

/** A site on loopback whose state the test switches; it records when each switch really happened. */
class Site {
  private state: State = 'up';
  /** The release the site answers with, in X-Release-Id. */
  private release = 'r1';
  /** Each switch of state or release, at the probe clock's time (ms). */
  readonly switches: { to: string; at: number }[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly server = createServer((request, response) => {
    request.resume();
    if (this.state === 'hang') {
      // Answers nothing: the probe has to give up on its own.
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    response.setHeader('X-Release-Id', this.release);
    if (request.url === '/static/missing.css') response.statusCode = 404;
    else if (request.url === '/old') response.writeHead(302, { location: 'http://127.0.0.1:1/nowhere' });
    else response.statusCode = this.state === '503' ? 503 : 200;
    response.end('<html>storestack probe test</html>\n');
  });
  private port = 0;

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async switchTo(state: State): Promise<void> {
    if (this.state === 'refused') {
      this.server.listen(this.port, '127.0.0.1');
      await once(this.server, 'listening');
    }
    if (state === 'refused') {
      // Closing the listening socket refuses new connections; the keep-alive ones must go too.
      this.server.close();
      this.server.closeAllConnections();
    }
    this.state = state;
    this.switches.push({ to: state, at: systemClock.now() });
  }

  switchRelease(release: string): void {
    this.release = release;
    this.switches.push({ to: release, at: systemClock.now() });
  }

  /** When the site really switched to `to`, seconds after the probe's start. */
  at(to: string, result: ProbeResult): number {
    const found = this.switches.find((change) => change.to === to);
    if (!found) throw new Error(`test setup: the site never switched to ${to}`);
    return (found.at - result.startedAt) / 1000;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    if (this.state !== 'refused') {
      this.server.close();
      this.server.closeAllConnections();
    }
  }
}

let site: Site;
afterEach(async () => {
  await site?.stop();
});

async function startSite(): Promise<Site> {
  site = new Site();
  await site.start();
  return site;
}

/** Runs `actions` at their time (seconds from now) while the probe runs. */
async function probeWhile(
  options: { urls: string[]; duration: number; timeout?: number },
  actions: [number, () => unknown][],
) {
  const timers = actions.map(([seconds, action]) => setTimeout(action, seconds * 1000));
  try {
    return await new Probe({ rate: RATE, ...options }).run();
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

/** The tolerance on an outage end that is early: the lag of the sample that saw the switch. */
function lagTolerance(result: ProbeResult): number {
  return result.maxLag + TRANSIT;
}

/** True when `measured` is the real outage `from`–`to` within the bound the report states. */
function withinBound(
  measured: { start: number; end: number; duration: number },
  from: number,
  to: number,
  result: ProbeResult,
) {
  const lag = lagTolerance(result);
  return (
    measured.start >= from - lag &&
    measured.start < from + INTERVAL &&
    measured.end >= to - lag &&
    measured.end < to + INTERVAL &&
    Math.abs(measured.duration - (to - from)) < INTERVAL + lag
  );
}

function expectOneOutage(result: ProbeResult, from: number, to: number) {
  const [outage] = result.overall.outages;
  expect(result.overall.outages, JSON.stringify(result.overall.outages)).toHaveLength(1);
  const detail = `measured ${JSON.stringify(outage)}, real ${from.toFixed(3)}–${to.toFixed(3)}, maxLag ${result.maxLag}`;
  expect(outage && withinBound(outage, from, to, result), detail).toBe(true);
  expect(result.overall.longestOutage).toBe(outage?.duration);
}

describe('Probe against a real server', () => {
  it('measures a 1.5 s window of 503 answers to within one sampling interval', async () => {
    // GIVEN a site that answers 503 from 1 s for 1.5 s
    const site = await startSite();
    // WHEN it is probed 20 times a second for 3.5 s
    const result = await probeWhile({ urls: [site.url()], duration: 3.5, timeout: SLOW }, [
      [1.013, () => site.switchTo('503')],
      [2.537, () => site.switchTo('up')],
    ]);
    // THEN the outage matches the window the site really served 503 in
    expectOneOutage(result, site.at('503', result), site.at('up', result));
    expect(Object.keys(result.overall.statuses).sort()).toEqual(['200', '503']);
    // AND every sample was taken: 20 a second, none skipped or delayed into the next
    expect(result.overall.requests).toBe(70);
    expect(result.duration).toBe(3.5);
  });

  it('measures a 1.5 s window of refused connections to within one sampling interval', async () => {
    // GIVEN a site that stops listening at 1 s and listens again 1.5 s later
    const site = await startSite();
    const result = await probeWhile({ urls: [site.url()], duration: 3.5, timeout: SLOW }, [
      [1.013, () => site.switchTo('refused')],
      [2.537, () => site.switchTo('up')],
    ]);
    // THEN the outage matches the window nothing listened in, failed as connection errors
    expectOneOutage(result, site.at('refused', result), site.at('up', result));
    expect(result.overall.statuses['error:ECONNREFUSED']).toBeGreaterThan(20);
    expect(result.overall.requests).toBe(70);
  });

  it('measures a 2 s outage as 2 s: the bound rejects 1 s', async () => {
    // GIVEN a site down from 0.5 s for 2 s
    const site = await startSite();
    const result = await probeWhile({ urls: [site.url()], duration: 3.5, timeout: SLOW }, [
      [0.521, () => site.switchTo('503')],
      [2.542, () => site.switchTo('up')],
    ]);
    const from = site.at('503', result);
    const to = site.at('up', result);
    // THEN the measurement is within the bound of the real 2 s
    expectOneOutage(result, from, to);
    // AND the same check fails for an outage half as long: a 1 s report could not pass
    const outage = result.overall.outages[0] as { start: number; end: number; duration: number };
    expect(withinBound(outage, from, from + 1, result)).toBe(false);
    expect(withinBound({ start: from, end: from + 1, duration: 1 }, from, to, result)).toBe(false);
  });

  it('counts a request the server never answers as a timeout, without delaying the next samples', async () => {
    // GIVEN a site that hangs from 0.5 s for 1 s, and a timeout of 0.25 s: five sampling intervals
    const site = await startSite();
    const result = await probeWhile({ urls: [site.url()], duration: 2.5, timeout: 0.25 }, [
      [0.521, () => site.switchTo('hang')],
      [1.532, () => site.switchTo('up')],
    ]);
    // THEN the hanging window is one outage of timeouts
    expectOneOutage(result, site.at('hang', result), site.at('up', result));
    expect(result.overall.statuses.timeout).toBeGreaterThan(15);
    // AND the requests overlapped: each hung 0.25 s, yet all 50 samples were sent on time
    expect(result.overall.requests).toBe(50);
    expect(result.overall.statuses.overload).toBeUndefined();
  });

  it('shows when the release switched with the first and last time each version was seen', async () => {
    // GIVEN a site that switches from release r1 to r2 at 1 s, without downtime
    const site = await startSite();
    const result = await probeWhile({ urls: [site.url()], duration: 2, timeout: SLOW }, [
      [1.027, () => site.switchRelease('r2')],
    ]);
    const switched = site.at('r2', result);
    // THEN r1 was seen from the first sample until the switch, r2 from the switch to the last sample
    const [r1, r2] = result.overall.versions;
    expect(r1).toMatchObject({ value: 'r1', first: 0 });
    expect(r2).toMatchObject({ value: 'r2', last: 1.95 });
    expect((r1?.count ?? 0) + (r2?.count ?? 0)).toBe(40);
    expect(r1?.last).toBeLessThan(switched + INTERVAL);
    expect(r2?.first).toBeGreaterThanOrEqual(switched - lagTolerance(result));
    expect(r2?.first).toBeLessThan(switched + INTERVAL);
    expect(result.overall.outages).toEqual([]);
  });

  it('takes a redirect and a missing file as answers: counted by status, not as downtime', async () => {
    const site = await startSite();
    // The redirect points at a closed port: following it would fail every sample.
    const result = await probeWhile(
      { urls: [site.url('/old'), site.url('/static/missing.css')], duration: 0.5, timeout: SLOW },
      [],
    );
    expect(result.urls.map((url) => url.statuses)).toEqual([{ 302: 10 }, { 404: 10 }]);
    expect(result.overall.outages).toEqual([]);
    expect(result.overall.latency?.max).toBeGreaterThan(0);
  });
});
