// The probe's result for people (a small table per URL and an overall line) and for machines
// (`--json`: stable keys, every time and duration in seconds rounded to the millisecond).
import { table } from '../cli/output.ts';
import type { Availability, Latency, Outage, ProbeResult, VersionSeen } from './probe.ts';

export interface OutageJson {
  readonly start: number;
  readonly end: number;
  readonly duration: number;
  readonly failures: number;
  readonly statuses: Record<string, number>;
}

export interface AvailabilityJson {
  readonly requests: number;
  readonly failed: number;
  readonly statuses: Record<string, number>;
  readonly outages: OutageJson[];
  readonly longestOutage: number;
  readonly failedTime: number;
  readonly latency: Latency | null;
  readonly versions: VersionSeen[];
}

export interface ProbeJson {
  /** ISO 8601: when sample 0 was scheduled; every other time is seconds after it. */
  readonly startedAt: string;
  readonly duration: number;
  readonly interrupted: boolean;
  readonly rate: number;
  /** The sampling interval: outage durations are within it of the real ones (plus maxLag). */
  readonly resolution: number;
  readonly timeout: number;
  readonly maxLag: number;
  readonly versionHeader: string;
  readonly overall: AvailabilityJson;
  readonly urls: ({ readonly url: string } & AvailabilityJson)[];
}

/** Seconds, rounded to the millisecond: the probe's resolution is coarser than that anyway. */
function seconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Statuses in a stable order: HTTP codes ascending, then the failures by name. */
function sortedStatuses(statuses: Readonly<Record<string, number>>): Record<string, number> {
  const entries = Object.entries(statuses).sort(([a], [b]) => {
    const [codeA, codeB] = [Number(a), Number(b)];
    if (Number.isInteger(codeA) && Number.isInteger(codeB)) return codeA - codeB;
    if (Number.isInteger(codeA) !== Number.isInteger(codeB)) return Number.isInteger(codeA) ? -1 : 1;
    return a.localeCompare(b);
  });
  return Object.fromEntries(entries);
}

function outageJson(outage: Outage): OutageJson {
  return {
    start: seconds(outage.start),
    end: seconds(outage.end),
    duration: seconds(outage.duration),
    failures: outage.failures,
    statuses: sortedStatuses(outage.statuses),
  };
}

function availabilityJson(availability: Availability): AvailabilityJson {
  const { latency } = availability;
  return {
    requests: availability.requests,
    failed: availability.failed,
    statuses: sortedStatuses(availability.statuses),
    outages: availability.outages.map(outageJson),
    longestOutage: seconds(availability.longestOutage),
    failedTime: seconds(availability.failedTime),
    latency: latency && {
      p50: seconds(latency.p50),
      p90: seconds(latency.p90),
      p99: seconds(latency.p99),
      max: seconds(latency.max),
    },
    versions: availability.versions.map((version) => ({
      value: version.value,
      first: seconds(version.first),
      last: seconds(version.last),
      count: version.count,
    })),
  };
}

/** The result as `--json` prints it. */
export function probeJson(result: ProbeResult): ProbeJson {
  return {
    startedAt: new Date(result.startedAt).toISOString(),
    duration: seconds(result.duration),
    interrupted: result.interrupted,
    rate: result.rate,
    resolution: seconds(result.interval),
    timeout: seconds(result.timeout),
    maxLag: seconds(result.maxLag),
    versionHeader: result.versionHeader,
    overall: availabilityJson(result.overall),
    urls: result.urls.map(({ url, ...availability }) => ({ url, ...availabilityJson(availability) })),
  };
}

const s = (value: number) => `${value.toFixed(3)} s`;
const ms = (value: number) => `${(value * 1000).toFixed(1)} ms`;
const counted = (statuses: Readonly<Record<string, number>>) =>
  Object.entries(sortedStatuses(statuses))
    .map(([status, count]) => `${status} ×${count}`)
    .join(', ');

/** The human report: what was probed and how precisely, a block per URL, then the overall line. */
export function formatProbeReport(result: ProbeResult): string[] {
  const plural = result.urls.length === 1 ? 'URL' : 'URLs';
  const lines = [
    `probed ${result.urls.length} ${plural} at ${result.rate} requests/s each for ${s(result.duration)} from ${new Date(result.startedAt).toISOString()}` +
      (result.interrupted ? ' (interrupted: requests in flight then are not counted)' : ''),
    `resolution ${s(result.interval)}: outage durations are within one sampling interval of the real ones ` +
      `(requests sent at most ${s(result.maxLag)} late); timeout ${s(result.timeout)}`,
  ];
  for (const url of result.urls) {
    lines.push('', url.url);
    const { latency } = url;
    const latencies = latency ? [latency.p50, latency.p90, latency.p99, latency.max].map(ms) : ['-', '-', '-', '-'];
    lines.push(
      ...table(
        ['requests', 'failed', 'failed time', 'longest outage', 'p50', 'p90', 'p99', 'max'],
        [[String(url.requests), String(url.failed), s(url.failedTime), s(url.longestOutage), ...latencies]],
      ).map((line) => `  ${line}`),
    );
    if (url.requests > 0) lines.push(`  statuses: ${counted(url.statuses)}`);
    if (Object.keys(url.statuses).some((status) => status.startsWith('4'))) {
      lines.push('  4xx answers count as up: the site answered (a missing file is not downtime)');
    }
    for (const outage of url.outages) {
      lines.push(
        `  outage ${s(outage.start)} to ${s(outage.end)}: ${s(outage.duration)} (${counted(outage.statuses)})`,
      );
    }
    for (const version of url.versions) {
      lines.push(
        `  ${result.versionHeader} ${version.value}: ${s(version.first)} to ${s(version.last)} (${version.count} answers)`,
      );
    }
  }
  const { overall } = result;
  const outages = overall.outages.length === 1 ? 'outage' : 'outages';
  lines.push(
    '',
    `overall: ${overall.requests} requests, ${overall.failed} failed, ${overall.outages.length} ${outages}, ` +
      `failed time ${s(overall.failedTime)}, longest outage ${s(overall.longestOutage)} (resolution ${s(result.interval)})`,
  );
  return lines;
}
