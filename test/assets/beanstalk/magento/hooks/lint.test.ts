// Every rendered hook and script, for both file systems, checked by the real
// tools: bash -n and shellcheck; the env.php renderer by php -l.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMagentoHooks } from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { PROJECT_ROOT } from '../../../../support.ts';
import { findOnPath } from '../../../stubbed-commands.ts';
import { requirePhp } from '../env-php/php.ts';
import { sampleProps } from './fixtures.ts';

const BODIES = join(PROJECT_ROOT, 'src/assets/beanstalk/magento/hooks');
const RENDERER = join(PROJECT_ROOT, 'src/assets/beanstalk/magento/env-php/render-env-php.php');

const VARIANTS = [
  ['NFS server', sampleProps()],
  ['EFS', sampleProps({ fileSystem: 'efs' })],
] as const;

// Every rendered shell script, named by variant and bundle path.
const SCRIPTS = VARIANTS.flatMap(([variant, props]) =>
  renderMagentoHooks(props)
    .filter((file) => file.path.endsWith('.sh'))
    .map((file) => [`${variant}: ${file.path}`, file.content] as const),
);
const SCRIPT_BODIES = readdirSync(BODIES).filter((name) => name.endsWith('.sh'));

function requireShellcheck(): void {
  if (!findOnPath('shellcheck')) {
    throw new Error(
      'shellcheck is not installed, and this test needs it: install it (apt-get install shellcheck, ' +
        'or your system package manager) and run the tests again',
    );
  }
}

describe('the rendered Magento hooks, checked by the real tools', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-magento-hooks-lint-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function written(name: string, content: string): string {
    const file = join(dir, name.replaceAll(/[^A-Za-z0-9.-]/g, '_'));
    writeFileSync(file, content);
    return file;
  }

  it('renders six scripts for each file system', () => {
    expect(SCRIPTS.filter(([name]) => name.startsWith('NFS server'))).toHaveLength(6);
    expect(SCRIPTS.filter(([name]) => name.startsWith('EFS'))).toHaveLength(6);
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

  it('the env.php renderer passes php -l', () => {
    const result = spawnSync(requirePhp(), ['-l', RENDERER], { encoding: 'utf8' });

    expect(result.stdout).toContain('No syntax errors detected');
    expect(result.status).toBe(0);
  });
});
