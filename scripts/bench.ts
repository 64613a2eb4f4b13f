// `npm run bench`: median wall-clock times of what users wait for, against the
// targets of the issues (2-core machine): a full synth with every gate under 10 s,
// `storestack --help` and the start of `storestack release ... --dry-run` under
// 0.3 s, `storestack diagram` (every diagram, DOT, SVG and PNG, from a current cdk.out)
// under 3 s. Measures; never gates a test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'bin/storestack.js');
const lintCache = join(root, 'node_modules/.cache/storestack-cfn-lint');

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'help-runs': { type: 'string', default: '15' } },
});
const runs = Number(values.runs);
const helpRuns = Number(values['help-runs']);

function time(args: string[], before?: () => void): number {
  before?.();
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  const elapsed = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`storestack ${args.join(' ')} failed (${result.status}):\n${result.stderr || result.stdout}`);
  }
  return elapsed;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function measure(label: string, count: number, args: string[], target: number, before?: () => void) {
  const samples = Array.from({ length: count }, () => time(args, before));
  return { label, runs: count, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), target };
}

const scratch = mkdtempSync(join(tmpdir(), 'storestack-bench-'));
const outdir = join(scratch, 'cdk.out');
// A release artifact for the dry run, which reads it (its sha256) and plans from config alone.
const artifact = join(scratch, 'magento-prod-1764151200.zip');
writeFileSync(artifact, 'PK bench');
const synth = ['synth', '--out', outdir];
time(synth); // warm-up: builds the CLI bundle and fills the cfn-lint cache

const results = [
  measure('storestack --help', helpRuns, ['--help'], 0.3),
  measure(
    'storestack release magento --env prod --dry-run',
    helpRuns,
    ['release', 'magento', '--env', 'prod', '--artifact', artifact, '--dry-run'],
    0.3,
  ),
  measure('storestack synth (npm start), every gate, cfn-lint cache warm', runs, synth, 10),
  measure('storestack synth (npm start), every gate, cfn-lint cache cold', runs, synth, 10, () =>
    rmSync(lintCache, { recursive: true, force: true }),
  ),
  // After the synths: the assembly is current, so this is reading, laying out and rasterizing.
  measure(
    'storestack diagram (platform and each environment: DOT, SVG, PNG)',
    runs,
    ['diagram', '--cdk-out', outdir, '--out', join(scratch, 'diagrams')],
    3,
  ),
];
rmSync(scratch, { recursive: true, force: true });

const format = (seconds: number) => `${seconds.toFixed(2)} s`;
process.stdout.write('| measure | runs | median | min | max | target |\n|---|---|---|---|---|---|\n');
for (const r of results) {
  const verdict = r.median <= r.target ? 'met' : 'MISSED';
  process.stdout.write(
    `| ${r.label} | ${r.runs} | ${format(r.median)} | ${format(r.min)} | ${format(r.max)} | < ${r.target} s (${verdict}) |\n`,
  );
}
