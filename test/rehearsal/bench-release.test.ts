// `npm run bench:release -- --short`, as CI runs it: the four releases on a rehearsal with two
// front ends and a two-second migration, under probe load; the script exits 1 when a target of
// the issue is missed (a failed request in a safe code-only release, a broken static reference,
// a schema release's outage longer than its window, classic's rollout not all in maintenance).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support.ts';

describe('npm run bench:release -- --short', () => {
  it('meets every target and prints the table', () => {
    const result = spawnSync(
      process.execPath,
      [
        join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(PROJECT_ROOT, 'scripts/bench-release.ts'),
        '--short',
        '--base-port',
        String(56000 + (process.pid % 50) * 20),
      ],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    expect(result.stdout).toContain('| safe, code only | 0 |');
    expect(result.stdout).toMatch(/classic\/safe downtime: code-only .*, schema change \d+\.\d×/);
    expect(result.stdout).not.toContain('MISSED');
    expect(result.status, `${result.stdout}\n${result.stderr.slice(-2000)}`).toBe(0);
  }, 300_000);
});
