// Every rendered hook of the satellite apps, checked by the real tools: bash -n and shellcheck;
// the static bodies too, before rendering.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAppHooks, renderInternalNameHook } from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { renderMiraklFiles } from '../../../../src/assets/beanstalk/apps/mirakl/render.ts';
import { PROJECT_ROOT } from '../../../support.ts';
import { findOnPath } from '../../stubbed-commands.ts';
import { sampleHooksProps, sampleInternalNameProps, sampleMiraklProps } from './fixtures.ts';

const BODIES = join(PROJECT_ROOT, 'src/assets/beanstalk/apps/hooks');

const SCRIPTS = [
  ...(['pim', 'connector', 'mirakl'] as const).flatMap((app) =>
    renderAppHooks(sampleHooksProps({ app })).map((file) => [`${app}: ${file.path}`, file.content] as const),
  ),
  // A command with every quoting hazard: the header must still parse.
  ...renderAppHooks(sampleHooksProps({ schemaUpdateCommand: `php bin/console x --a='b "c"' $HOME \\ \`d\`` }))
    .filter((file) => file.path.endsWith('30-schema.sh'))
    .map((file) => [`awkward command: ${file.path}`, file.content] as const),
  ['connector: internal name', renderInternalNameHook(sampleInternalNameProps()).content] as const,
  ...renderMiraklFiles(
    sampleMiraklProps({
      cron: [
        { schedule: '*/10 * * * *', command: 'php bin/console hipay:cashout:process' },
        { schedule: '0 3 * * *', command: `php bin/console it's "quoted" $HOME` },
      ],
    }),
  )
    .filter((file) => file.path.endsWith('.sh'))
    .map((file) => [`mirakl: ${file.path}`, file.content] as const),
];
const SCRIPT_BODIES = readdirSync(BODIES).filter((name) => name.endsWith('.sh'));

function requireShellcheck(): void {
  if (!findOnPath('shellcheck')) {
    throw new Error(
      'shellcheck is not installed, and this test needs it: install it (apt-get install shellcheck, ' +
        'or your system package manager) and run the tests again',
    );
  }
}

describe("the satellite apps' hooks, checked by the real tools", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-apps-hooks-lint-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function written(name: string, content: string): string {
    const file = join(dir, name.replaceAll(/[^A-Za-z0-9.-]/g, '_'));
    writeFileSync(file, content);
    return file;
  }

  it('renders every script: three per app, the internal name hook, two for the Mirakl connector', () => {
    expect(SCRIPTS).toHaveLength(3 * 3 + 1 + 1 + 2);
    expect(SCRIPT_BODIES).toHaveLength(6);
  });

  it.each(SCRIPTS)('parses with bash -n: %s', (name, content) => {
    const result = spawnSync('bash', ['-n', written(name, content)], { encoding: 'utf8' });

    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(SCRIPTS)('passes shellcheck at every severity: %s', (name, content) => {
    requireShellcheck();

    const result = spawnSync('shellcheck', ['--severity=style', '--shell=bash', written(name, content)], {
      encoding: 'utf8',
    });

    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(SCRIPT_BODIES)('passes shellcheck on its own, before rendering: %s', (body) => {
    requireShellcheck();

    const result = spawnSync('shellcheck', ['--severity=style', '--shell=bash', join(BODIES, body)], {
      encoding: 'utf8',
    });

    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
