import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { PROJECT_ROOT } from '../support.ts';

async function cli(args: string[]) {
  const output = new MemoryOutput();
  const code = await main(args, { output, projectRoot: PROJECT_ROOT });
  return { code, stdout: output.stdout, stderr: output.stderr };
}

describe('storestack render bundle magento', () => {
  it('writes the bundle of the environment: hooks executable, nginx rules, PHP limits', async () => {
    const out = mkdtempSync(join(tmpdir(), 'storestack-bundle-'));
    const { code, stdout } = await cli(['render', 'bundle', 'magento', '--env', 'prod', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toContain(`10 files of the magento bundle for prod written to ${out}`);
    expect(statSync(join(out, '.platform/hooks/prebuild/10-mount-shares.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, '.platform/nginx/conf.d/elasticbeanstalk/php.conf'), 'utf8')).toContain(
      '/mnt/storestack/magento-statics',
    );
    expect(readFileSync(join(out, 'pub/.user.ini'), 'utf8')).toContain('memory_limit');
    expect(readFileSync(join(out, '.ebextensions/10-storestack-php.config'), 'utf8')).toContain(
      '/etc/php.d/99-storestack-magento.ini',
    );
    // The environment's own parameters, and the CDN names of document 7.C.
    const mountHook = readFileSync(join(out, '.platform/hooks/prebuild/10-mount-shares.sh'), 'utf8');
    expect(mountHook).toContain('/storestack/prod');
    const envHook = readFileSync(join(out, '.platform/hooks/prebuild/20-render-env-php.sh'), 'utf8');
    expect(envHook).toContain('https://static.client.url/');
  });

  it('writes scripts that pass shellcheck', async () => {
    const out = mkdtempSync(join(tmpdir(), 'storestack-bundle-'));
    await cli(['render', 'bundle', 'magento', '--env', 'preprod', '--out', out]);
    const scripts = [
      '.platform/hooks/prebuild/10-mount-shares.sh',
      '.platform/hooks/prebuild/20-render-env-php.sh',
      '.platform/hooks/predeploy/10-permissions.sh',
      '.platform/hooks/postdeploy/10-warm-up.sh',
      '.platform/hooks/postdeploy/20-install-cron.sh',
      '.platform/storestack/magento-cron.sh',
    ].map((path) => join(out, path));
    const result = spawnSync('shellcheck', scripts, { encoding: 'utf8' });
    expect(result.error, 'shellcheck is not installed: apt-get install shellcheck').toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails naming the known environments when --env is not one', async () => {
    const out = mkdtempSync(join(tmpdir(), 'storestack-bundle-'));
    const { code, stderr } = await cli(['render', 'bundle', 'magento', '--env', 'nope', '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toBe('--env nope is not an environment of the configuration (known: prod, preprod)');
  });

  it('fails naming the applications that have a bundle', async () => {
    const { code, stderr } = await cli(['render', 'bundle', 'pim', '--env', 'prod', '--out', '/tmp/unused']);
    expect(code).toBe(1);
    expect(stderr).toBe('pim has no bundle yet (known: magento)');
  });
});
