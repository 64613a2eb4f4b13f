// Every rendered hook and script, for both file systems, checked by the real
// tools: bash -n and shellcheck; the env.php renderer by php -l.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMagentoHooks } from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { PROJECT_ROOT } from '../../../../support.ts';
import { itLintsScripts, itShellchecksBodies, scratchScripts } from '../../../lint.ts';
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

describe('the rendered Magento hooks, checked by the real tools', () => {
  const written = scratchScripts('storestack-magento-hooks-lint-');

  it('renders six scripts for each file system', () => {
    expect(SCRIPTS.filter(([name]) => name.startsWith('NFS server'))).toHaveLength(6);
    expect(SCRIPTS.filter(([name]) => name.startsWith('EFS'))).toHaveLength(6);
  });

  itLintsScripts(SCRIPTS, written);

  itShellchecksBodies(BODIES, SCRIPT_BODIES);

  it('the env.php renderer passes php -l', () => {
    const result = spawnSync(requirePhp(), ['-l', RENDERER], { encoding: 'utf8' });

    expect(result.stdout).toContain('No syntax errors detected');
    expect(result.status).toBe(0);
  });
});
