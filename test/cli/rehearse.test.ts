// `storestack rehearse` and `--env rehearsal` without a running rehearsal: clear answers, nothing
// started. (test/rehearsal/rehearsal.test.ts runs the real miniature.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { PROJECT_ROOT } from '../support.ts';

describe('storestack rehearse, with no rehearsal running', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'storestack-rehearse-cli-')), 'none');
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env.STORESTACK_REHEARSAL_DIR;
    process.env.STORESTACK_REHEARSAL_DIR = dir;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.STORESTACK_REHEARSAL_DIR;
    else process.env.STORESTACK_REHEARSAL_DIR = previous;
  });

  async function cli(args: string[]) {
    const output = new MemoryOutput();
    const code = await main(args, { output, projectRoot: PROJECT_ROOT });
    return { code, stdout: output.stdout, stderr: output.stderr };
  }

  it('status and down say there is none', async () => {
    expect(await cli(['rehearse', 'status'])).toMatchObject({ code: 0, stdout: `no rehearsal running in ${dir}` });
    expect(await cli(['rehearse', 'down'])).toMatchObject({ code: 0, stdout: `no rehearsal in ${dir}` });
  });

  it('build and release --env rehearsal say how to start one', async () => {
    const build = await cli(['build', 'magento', '--env', 'rehearsal', '--ref', 'main']);
    expect(build.code).toBe(1);
    expect(build.stderr).toContain(`no rehearsal is running in ${dir}: start one with storestack rehearse up`);
    const release = await cli(['release', 'magento', '--env', 'rehearsal', '--artifact', 'x-1.zip']);
    expect(release.code).toBe(1);
    expect(release.stderr).toContain('start one with storestack rehearse up');
  });

  it('refuses what the rehearsal does not do: a dry run, a satellite application, a bad flag', async () => {
    expect(await cli(['release', 'magento', '--env', 'rehearsal', '--artifact', 'x-1.zip', '--dry-run'])).toMatchObject(
      {
        code: 2,
        stderr: expect.stringContaining('--dry-run plans for a configured environment; the rehearsal runs for real'),
      },
    );
    expect(await cli(['release', 'pim', '--env', 'rehearsal', '--artifact', 'x-1.zip'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('the rehearsal runs Magento only, not pim'),
    });
    expect(await cli(['rehearse', 'up', '--frontends', 'many'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--frontends many: a positive number'),
    });
  });
});
