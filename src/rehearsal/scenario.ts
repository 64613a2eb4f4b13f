// One release on the running rehearsal under probe load, measured: what `npm run bench:release`
// runs four times (code-only and schema releases, safe and classic) and the failure drills run
// with a fault injected. The release is built from a new commit of the fixture repository with
// `storestack build`'s builder and released by the release engine through the rehearsal's
// platform adapter, exactly as `storestack release magento --env rehearsal` does.
import { join } from 'node:path';
import type { Platform } from '../config/schema.ts';
import { Probe, type ProbeResult } from '../probe/probe.ts';
import { MagentoRelease, ReleaseFailure, type ReleaseSummary, type Strategy } from '../release/magento-release.ts';
import { REHEARSAL_STATIC_URL } from './env-php.ts';
import { commitFixtureRelease } from './fixture-repository.ts';
import { REHEARSAL_ENVIRONMENT } from './layout.ts';
import { buildFixtureRelease, REHEARSAL_NAT_ADDRESS, runningRehearsal } from './rehearsal.ts';
import { mysql } from './services.ts';
import { getFrom, rehearsalTarget } from './target.ts';

export interface ScenarioOptions {
  readonly name: string;
  readonly strategy: Strategy;
  /** Whether the release moves the database schema (its code is one schema version ahead). */
  readonly schemaChange: boolean;
  /** How long the fixture's setup:upgrade takes. */
  readonly migrationSeconds: number;
  /** The migration fails (a drill). */
  readonly failMigration?: boolean;
  /** Probe requests per second to each URL. */
  readonly rate: number;
  /** Seconds the probe keeps going after the release ends. */
  readonly settleSeconds?: number;
  /** Called once the probe runs, before the release starts (drills inject faults here). */
  readonly beforeRelease?: () => Promise<void>;
  readonly progress?: (line: string) => void;
}

export interface ScenarioResult {
  readonly name: string;
  readonly strategy: Strategy;
  readonly schemaChange: boolean;
  readonly releaseId: string;
  readonly summary?: ReleaseSummary;
  readonly failure?: ReleaseFailure;
  readonly probe: ProbeResult;
  /** Requests that failed (errors, timeouts, 5xx), every URL. */
  readonly failedRequests: number;
  /** The longest outage of any URL, seconds. */
  readonly longestOutage: number;
  /** Pages whose stylesheet (another release's static file) answered 404. */
  readonly brokenStatics: number;
  readonly pagesChecked: number;
  /** Pages that answered 500: code that does not match the database's schema. */
  readonly mismatchedCode: number;
  readonly releaseSeconds: number;
}

/** The database's schema version (the fixture's schema_version table). */
export async function databaseSchema(dir: string): Promise<number> {
  const { layout } = rehearsalContext(dir);
  const out = await mysql(layout, `SELECT version FROM ${layout.mariadb.database}.schema_version`);
  const version = Number(out.trim().split('\n').pop());
  if (!Number.isInteger(version)) throw new Error(`schema_version holds ${JSON.stringify(out)}`);
  return version;
}

function rehearsalContext(dir: string) {
  const running = runningRehearsal(dir);
  if (!running) throw new Error(`no rehearsal is running in ${dir}`);
  return running;
}

let scenarioCount = 0;

export async function runScenario(
  dir: string,
  configured: Platform,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  const progress = options.progress ?? (() => {});
  const target = rehearsalTarget(dir, configured);
  const { layout } = target;
  const schema = (await databaseSchema(dir)) + (options.schemaChange ? 1 : 0);
  const tag = `bench-${Date.now()}-${++scenarioCount}`;
  commitFixtureRelease(join(layout.repositories, 'magento'), {
    tag,
    schema,
    migrationSeconds: options.migrationSeconds,
    failMigration: options.failMigration ?? false,
  });
  const artifact = await buildFixtureRelease(target.platform, layout, tag);
  progress(`${options.name}: release ${artifact.releaseId} (schema ${schema}) built`);

  // Pages, one static file of the live release, the admin path: what users and staff request.
  const page = `${layout.alb.url}/`;
  const admin = `${layout.alb.url}/backend/admin`;
  // Read from the exempt address: maintenance (another release's) must not hide the page.
  const firstPage = (await getFrom(REHEARSAL_NAT_ADDRESS, page)).body;
  const staticFile = staticUrlOf(firstPage, layout.alb.url);
  if (!staticFile) throw new Error(`the store's page links no stylesheet: ${firstPage.slice(0, 200)}`);
  const checks = { pages: 0, broken: 0, mismatched: 0 };
  const checking = async (url: string, init: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    if (url === page) {
      const body = await response.clone().text();
      checks.pages++;
      if (response.status === 500) checks.mismatched++;
      const stylesheet = response.status === 200 ? staticUrlOf(body, layout.alb.url) : undefined;
      if (stylesheet && (await fetch(stylesheet)).status === 404) checks.broken++;
    }
    return response;
  };
  const controller = new AbortController();
  const probe = new Probe({
    urls: [page, staticFile, admin],
    rate: options.rate,
    duration: 24 * 3600,
    signal: controller.signal,
    fetch: checking,
  });
  const probing = probe.run();
  await options.beforeRelease?.();

  const started = performance.now();
  let summary: ReleaseSummary | undefined;
  let failure: ReleaseFailure | undefined;
  try {
    summary = await new MagentoRelease(
      {
        platform: target.platform,
        environment: REHEARSAL_ENVIRONMENT,
        strategy: options.strategy,
        artifact,
        owner: 'bench@rehearsal',
        progress: (line) => progress(`${options.name}: ${line}`),
        smokeTest: target.smokeTest,
      },
      target.aws,
    ).execute();
  } catch (error) {
    if (!(error instanceof ReleaseFailure)) {
      controller.abort();
      await probing;
      throw error;
    }
    failure = error;
  }
  const releaseSeconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, (options.settleSeconds ?? 1) * 1000));
  controller.abort();
  const result = await probing;
  return {
    name: options.name,
    strategy: options.strategy,
    schemaChange: options.schemaChange,
    releaseId: artifact.releaseId,
    summary,
    failure,
    probe: result,
    failedRequests: result.overall.failed,
    longestOutage: Math.max(0, ...result.urls.map((url) => url.longestOutage)),
    brokenStatics: checks.broken,
    pagesChecked: checks.pages,
    mismatchedCode: checks.mismatched,
    releaseSeconds,
  };
}

/**
 * The page's stylesheet as the load balancer serves it: CloudFront's static distribution maps
 * `https://static.<domain>/<path>` to `/pub/static/<path>` of the origin.
 */
export function staticUrlOf(html: string, albUrl: string): string | undefined {
  const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1];
  if (!href?.startsWith(REHEARSAL_STATIC_URL)) return undefined;
  return `${albUrl}/pub/static/${href.slice(REHEARSAL_STATIC_URL.length)}`;
}
