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
    const { code, stderr } = await cli(['render', 'bundle', 'erp', '--out', '/tmp/unused']);
    expect(code).toBe(1);
    expect(stderr).toBe('erp has no bundle (known: magento, pim, connector, mirakl)');
  });

  it('needs --env for magento, and refuses it for a satellite application', async () => {
    const magento = await cli(['render', 'bundle', 'magento', '--out', '/tmp/unused']);
    expect(magento.code).toBe(1);
    expect(magento.stderr).toBe('--env is required for the magento bundle (one per environment)');
    const pim = await cli(['render', 'bundle', 'pim', '--env', 'prod', '--out', '/tmp/unused']);
    expect(pim.code).toBe(1);
    expect(pim.stderr).toBe('--env does not apply to pim: the satellite applications have one environment');
  });
});

describe('storestack render bundle <satellite app>', () => {
  it.each(['pim', 'connector', 'mirakl'])(
    'writes the %s bundle, its scripts executable and passing shellcheck',
    async (app) => {
      const out = mkdtempSync(join(tmpdir(), `storestack-${app}-`));
      const { code, stdout } = await cli(['render', 'bundle', app, '--out', out]);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`\\d+ files of the ${app} bundle written to ${out}$`));
      const hooks = stdout
        .split('\n')
        .filter((line) => line.startsWith('0755 '))
        .map((line) => join(out, line.slice(5)));
      expect(hooks.length).toBeGreaterThan(2);
      for (const hook of hooks) expect(statSync(hook).mode & 0o777).toBe(0o755);
      const lint = spawnSync('shellcheck', ['--severity=style', ...hooks], { encoding: 'utf8' });
      expect(lint.stdout + lint.stderr).toBe('');
      expect(lint.status).toBe(0);
    },
  );
});

describe('storestack render gateway', () => {
  it('writes the haproxy.cfg (0644) and the user data (0755) of the gateway, one line per file', async () => {
    const out = mkdtempSync(join(tmpdir(), 'storestack-gateway-'));
    const { code, stdout } = await cli(['render', 'gateway', 'windows', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      ['0644 haproxy.cfg', '0755 user-data.sh', `2 files of the windows gateway written to ${out}`].join('\n'),
    );
    expect(statSync(join(out, 'haproxy.cfg')).mode & 0o777).toBe(0o644);
    expect(statSync(join(out, 'user-data.sh')).mode & 0o777).toBe(0o755);
    const config = readFileSync(join(out, 'haproxy.cfg'), 'utf8');
    expect(config).toContain('  server target windows.internal-client.url ');
    expect(config).toContain('  bind :3389\n');
    expect(readFileSync(join(out, 'user-data.sh'), 'utf8')).toContain(config);
  });

  it('fails naming the known gateways when the name is not one', async () => {
    const out = mkdtempSync(join(tmpdir(), 'storestack-gateway-'));
    const { code, stderr } = await cli(['render', 'gateway', 'nope', '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toBe('nope is not a gateway of the configuration (known: windows, ftp)');
  });

  it('runs from the CLI bundle without loading aws-cdk-lib, and finds the user data script', () => {
    // A preloaded module reports, at exit, whether any aws-cdk-lib file was loaded.
    const probe = `data:text/javascript,${encodeURIComponent(
      "import { createRequire } from 'node:module'; const r = createRequire(process.cwd() + '/');" +
        "process.on('exit', () => process.stderr.write(Object.keys(r.cache).some((f) => f.includes('aws-cdk-lib')) ? 'CDK-LOADED' : 'CDK-NOT-LOADED'));",
    )}`;
    const out = mkdtempSync(join(tmpdir(), 'storestack-gateway-'));
    const result = spawnSync(
      process.execPath,
      ['--import', probe, join(PROJECT_ROOT, 'bin/storestack.js'), 'render', 'gateway', 'ftp', '--out', out],
      { cwd: PROJECT_ROOT, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('CDK-NOT-LOADED');
    expect(readFileSync(join(out, 'user-data.sh'), 'utf8')).toContain('dnf install -y haproxy');
  });
});
