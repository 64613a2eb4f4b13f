// `npm run bench:release`: the downtime of releases, measured on the rehearsal (a miniature of the
// Magento environment on this machine, `storestack rehearse`). Four releases in one go, each under
// probe load (the store's page, one static file, the admin path): a code-only release and a schema
// release, each with the `safe` and the `classic` strategy. Prints a table and the verdicts of the
// issue's targets. Needs root and the rehearsal's Debian packages (scripts/rehearsal-packages.sh).
//
//   npm run bench:release                         # 4 front ends, 10 s migration, 10 requests/s per URL
//   npm run bench:release -- --short              # CI: 2 front ends, 2 s migration, 1 s drains
//   npm run bench:release -- --frontends 3 --migration-seconds 5 --rate 20 --drain-seconds 2

import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPlatform } from '../src/config/load.ts';
import { rehearseDown, rehearseUp } from '../src/rehearsal/rehearsal.ts';
import { runScenario, type ScenarioResult } from '../src/rehearsal/scenario.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    frontends: { type: 'string' },
    'migration-seconds': { type: 'string' },
    rate: { type: 'string' },
    'drain-seconds': { type: 'string' },
    'base-port': { type: 'string', default: '18500' },
    json: { type: 'boolean', default: false },
  },
});
const short = values.short;
const frontends = Number(values.frontends ?? (short ? 2 : 4));
const migrationSeconds = Number(values['migration-seconds'] ?? (short ? 2 : 10));
const rate = Number(values.rate ?? 10);
const drainSeconds = Number(values['drain-seconds'] ?? (short ? 1 : 3));
const interval = 1 / rate;

const platform = await loadPlatform(join(root, 'config/platform.ts'));
const dir = mkdtempSync(join(tmpdir(), 'storestack-bench-release-'));
const log = (line: string) => process.stderr.write(`${line}\n`);

log(
  `rehearsal: ${frontends} front ends, migration ${migrationSeconds} s, drain ${drainSeconds} s, probe ${rate}/s per URL`,
);
await rehearseUp(platform, {
  dir,
  frontends,
  basePort: Number(values['base-port']),
  rollout: { drainSeconds, healthTimeoutSeconds: 30 },
  progress: log,
});
const results: ScenarioResult[] = [];
try {
  for (const [name, strategy, schemaChange] of [
    ['safe, code only', 'safe', false],
    ['safe, schema change', 'safe', true],
    ['classic, code only', 'classic', false],
    ['classic, schema change', 'classic', true],
  ] as const) {
    log(`== ${name}`);
    const result = await runScenario(dir, platform, {
      name,
      strategy,
      schemaChange,
      migrationSeconds,
      rate,
      progress: log,
    });
    if (result.failure) throw new Error(`${name}: the release failed: ${result.failure.message}`);
    results.push(result);
  }
} finally {
  await rehearseDown(dir);
}

const seconds = (value: number) => `${value.toFixed(1)} s`;
const row = (result: ScenarioResult) => [
  result.name,
  String(result.failedRequests),
  seconds(result.longestOutage),
  seconds(result.summary?.maintenanceSeconds ?? 0),
  `${result.brokenStatics} of ${result.pagesChecked}`,
  String(result.mismatchedCode),
  seconds(result.summary?.totalSeconds ?? result.releaseSeconds),
];
if (values.json) {
  process.stdout.write(
    `${JSON.stringify(
      results.map(({ probe, ...rest }) => ({ ...rest, overall: probe.overall })),
      null,
      2,
    )}\n`,
  );
} else {
  process.stdout.write(
    `Rehearsal on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB: ${frontends} front ends + 1 back office, migration ${migrationSeconds} s, drain ${drainSeconds} s, probe ${rate} requests/s to each of 3 URLs (interval ${interval.toFixed(2)} s)\n\n`,
  );
  process.stdout.write(
    '| release | failed requests | longest outage | maintenance window | broken static references | pages from mismatched code | release time |\n|---|---|---|---|---|---|---|\n',
  );
  for (const result of results) process.stdout.write(`| ${row(result).join(' | ')} |\n`);
}

const [safeCode, safeSchema, classicCode, classicSchema] = results as [
  ScenarioResult,
  ScenarioResult,
  ScenarioResult,
  ScenarioResult,
];
const verdicts: [string, boolean][] = [
  ['safe code-only release: 0 failed requests', safeCode.failedRequests === 0],
  ['safe code-only release: 0 broken static references', safeCode.brokenStatics === 0],
  [
    `safe schema release: outage (${seconds(safeSchema.longestOutage)}) within one probe interval of its maintenance window (${seconds(safeSchema.summary?.maintenanceSeconds ?? 0)}: the ${migrationSeconds} s migration plus the switch)`,
    safeSchema.longestOutage <= (safeSchema.summary?.maintenanceSeconds ?? 0) + interval + 0.5,
  ],
  [
    'classic releases: the whole rollout in maintenance (outage at least the deploy of every instance)',
    [classicCode, classicSchema].every(
      (result) =>
        result.longestOutage + interval >=
        (result.summary?.steps ?? [])
          .filter((step) => step.name.startsWith('deploy the'))
          .reduce((sum, step) => sum + step.seconds, 0),
    ),
  ],
  ['no page served by code that does not match the schema', results.every((result) => result.mismatchedCode === 0)],
];
const ratio = (classic: ScenarioResult, safe: ScenarioResult) =>
  safe.longestOutage > 0 ? `${(classic.longestOutage / safe.longestOutage).toFixed(1)}×` : `∞ (safe: no outage)`;
process.stdout.write(
  `\nclassic/safe downtime: code-only ${ratio(classicCode, safeCode)}, schema change ${ratio(classicSchema, safeSchema)}\n\n`,
);
for (const [what, met] of verdicts) process.stdout.write(`${met ? 'met   ' : 'MISSED'} ${what}\n`);
if (verdicts.some(([, met]) => !met)) process.exitCode = 1;
