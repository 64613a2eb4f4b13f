// The release, maintenance and status commands through the CLI, against the simulated AWS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OperationsAwsFactory } from '../../src/aws/operations.ts';
import { MaintenanceCommand } from '../../src/cli/commands/maintenance.ts';
import { ReleaseCommand } from '../../src/cli/commands/release.ts';
import { StaticsCommand } from '../../src/cli/commands/statics.ts';
import { StatusCommand } from '../../src/cli/commands/status.ts';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { FakeAws } from '../release/fake-aws.ts';
import { PROJECT_ROOT } from '../support.ts';

describe('release, maintenance and status commands', () => {
  let aws: FakeAws;
  let dir: string;
  let artifact: string;

  beforeEach(() => {
    aws = new FakeAws();
    dir = mkdtempSync(join(tmpdir(), 'storestack-cli-release-'));
    artifact = join(dir, 'magento-prod-1764151200.zip');
    writeFileSync(artifact, 'PK fake');
  });

  afterEach(() => {
    aws.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(args: string[], factory: OperationsAwsFactory = async () => aws.operations()) {
    const output = new MemoryOutput();
    const context = { output, projectRoot: PROJECT_ROOT };
    const commands = [
      new ReleaseCommand(context, factory),
      new MaintenanceCommand(context, factory),
      new StatusCommand(context, factory),
      new StaticsCommand(context, factory),
    ];
    const code = await main(args, context, commands);
    return { code, stdout: output.stdout, stderr: output.stderr };
  }

  const noAws: OperationsAwsFactory = async () => {
    throw new Error('the dry run asked for AWS');
  };

  it('--dry-run prints both branches of the safe plan and their windows, without any AWS access', async () => {
    const { code, stdout } = await cli(
      ['release', 'magento', '--env', 'prod', '--artifact', artifact, '--dry-run'],
      noAws,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('release 1764151200, strategy safe (dry run: nothing is changed)');
    expect(stdout).toContain('if the preflight finds no upgrade:');
    expect(stdout).toContain('if the preflight finds an upgrade:');
    expect(stdout).toMatch(/no upgrade: about \d+ min in all, 0 min in maintenance/);
    expect(stdout).toMatch(/upgrade: about \d+ min in all, \d+ min in maintenance/);
    expect(aws.log).toEqual([]);
  });

  it('--dry-run --json gives the plan as data, classic included', async () => {
    const { code, stdout } = await cli(
      ['release', 'magento', '--env', 'prod', '--artifact', artifact, '--dry-run', '--strategy', 'classic', '--json'],
      noAws,
    );
    expect(code).toBe(0);
    const { plan, windows } = JSON.parse(stdout);
    expect(plan.strategy).toBe('classic');
    expect(plan.steps.map((step: { name: string }) => step.name)).toContain(
      'maintenance:enable on every front-end instance',
    );
    expect(windows).toHaveLength(1);
  });

  it.each([
    [
      ['release', 'shop', '--env', 'prod', '--artifact', 'x.zip'],
      'unknown application shop: one of magento, pim, connector, mirakl',
    ],
    [
      ['release', 'magento', '--env', 'staging', '--artifact', 'x.zip'],
      '--env staging is not an environment of the configuration (prod, preprod)',
    ],
    [
      ['release', 'magento', '--env', 'prod', '--artifact', 'x.zip', '--strategy', 'yolo'],
      '--strategy must be safe or classic (got yolo)',
    ],
    [['release', 'magento', '--env', 'prod'], 'give one of --artifact <zip> or --ref <git ref>'],
    [
      ['release', 'magento', '--env', 'prod', '--artifact', '/nonexistent/magento-1.zip'],
      '--artifact /nonexistent/magento-1.zip does not exist',
    ],
  ])('refuses bad input clearly: %j', async (args, message) => {
    const { code, stderr } = await cli(args, noAws);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('refuses an artifact that changed after the build (its .sha256 no longer matches)', async () => {
    writeFileSync(`${artifact}.sha256`, `${'0'.repeat(64)}  magento-prod-1764151200.zip\n`);
    const { code, stderr } = await cli(['release', 'magento', '--env', 'prod', '--artifact', artifact], noAws);
    expect(code).toBe(2);
    expect(stderr).toContain('does not match');
  });

  it('releases and prints the summary; a failure prints the step, instance, IP, log tail and next steps', async () => {
    aws.answers.set('preflight', { exitCode: 0, stdout: 'storestack-preflight: current\n' });
    const ok = await cli(['release', 'magento', '--env', 'prod', '--artifact', artifact]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('released magento 1764151200 to prod (safe, no database upgrade)');

    const second = join(dir, 'magento-prod-1764151300.zip');
    writeFileSync(second, 'PK fake 2');
    aws.failingDeploys.add('client-prod-frontend');
    aws.answers.set('eb-engine.log tail', { exitCode: 0, stdout: '[ERROR] composer autoload missing\n' });
    const failed = await cli(['release', 'magento', '--env', 'prod', '--artifact', second]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('release failed at "deploy the front end"');
    expect(failed.stderr).toContain('instance: i-0f000002 (10.0.101.20)');
    expect(failed.stderr).toContain('[ERROR] composer autoload missing');
    expect(failed.stderr).toContain('--version-label 1764151200');
  });

  it('maintenance on puts the confirmed rules, status reports them and each instance flag, off lifts them', async () => {
    const on = await cli(['maintenance', 'on', '--env', 'prod']);
    expect(on.code).toBe(0);
    expect(on.stdout).toBe("prod: maintenance ON (4 rules, confirmed ahead of Beanstalk's)");
    expect(aws.maintenanceRules()).toHaveLength(4);

    aws.answers.set('maintenance:status', { exitCode: 0, stdout: 'Status: maintenance mode is not active.\n' });
    const status = await cli(['maintenance', 'status', '--env', 'prod', '--json']);
    const report = JSON.parse(status.stdout);
    expect(report.loadBalancer).toEqual({ on: true, ahead: true, rules: 4 });
    expect(report.instances).toHaveLength(5);
    expect(report.instances[0]).toEqual({
      environment: 'client-prod-frontend',
      instanceId: 'i-0f000001',
      magentoMaintenance: 'not active',
    });

    const off = await cli(['maintenance', 'off', '--env', 'prod']);
    expect(off.stdout).toBe('prod: maintenance off (4 rules removed)');
    expect(aws.maintenanceRules()).toEqual([]);
  });

  it('status shows health, instances and versions, the rules, and fails loudly when the front end precedes /backend/*', async () => {
    const healthy = await cli(['status', '--env', 'prod']);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain('client-prod-frontend: Ready, health Green (Ok), version 1700000000');
    expect(healthy.stdout).toContain('alarms: none in ALARM');
    // GIVEN Beanstalk's rules swapped: the front end's host rule first
    const [backOffice, frontend] = aws.rules;
    if (!backOffice || !frontend) throw new Error('test setup: two Beanstalk rules');
    backOffice.priority = 2;
    frontend.priority = 1;
    const broken = await cli(['status', '--env', 'prod']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(
      "prod: the front end's rule comes before /backend/*: the back office is unreachable",
    );
  });

  it("statics deploy publishes the running release's version<N>/ from the back office, never removing it first", async () => {
    aws.answers.set('publish statics', {
      exitCode: 0,
      stdout: 'storestack-statics: published /mnt/storestack/magento-statics/version1700000000\n',
    });
    const { code, stdout } = await cli(['statics', 'deploy', '--env', 'prod', '--force']);
    expect(code).toBe(0);
    expect(stdout).toContain('published /mnt/storestack/magento-statics/version1700000000');
    const [sent] = aws.scripts;
    expect(sent?.instanceId).toBe('i-0b000001');
    expect(sent?.script).toContain("'s3://client-release-artifacts/magento/1700000000.zip'");
    expect(sent?.script).toContain('if [[ -d "$target" ]]; then mv -T "$target" "$work/previous"; fi');
    expect(sent?.script).not.toContain('already published');
  });

  it('releases a satellite application with a rolling update of its one instance, once for the platform', async () => {
    const pim = join(dir, 'pim-prod-1764151200.zip');
    writeFileSync(pim, 'PK pim');
    const refused = await cli(['release', 'pim', '--env', 'preprod', '--artifact', pim]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'pim runs once for the platform (the Apps stack is shared): release it with --env prod',
    );

    const { code, stdout } = await cli(['release', 'pim', '--env', 'prod', '--artifact', pim]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^released pim 1764151200/);
    expect(aws.mutations()).toEqual([
      'PutParameter /storestack/shared/release-lock/pim',
      'PutObject s3://client-release-artifacts/pim/1764151200.zip',
      'CreateApplicationVersion 1764151200 s3://client-release-artifacts/pim/1764151200.zip',
      'UpdateEnvironment client-pim 1764151200',
      'DeleteParameter /storestack/shared/release-lock/pim',
    ]);
  });
});

describe('storestack release --dry-run, as a user runs it', () => {
  it('loads neither aws-cdk-lib nor an AWS SDK client', () => {
    // A preloaded module registers a resolve hook that logs every AWS SDK client resolved, and
    // reports at exit whether any aws-cdk-lib file was loaded.
    const hooks = `data:text/javascript,${encodeURIComponent(
      "import { appendFileSync } from 'node:fs';" +
        "export async function resolve(specifier, context, next) { if (specifier.startsWith('@aws-sdk/client-')) appendFileSync(process.env.SDK_LOG, specifier + '\\n'); return next(specifier, context); }",
    )}`;
    const probe = `data:text/javascript,${encodeURIComponent(
      `import { createRequire, register } from 'node:module'; register(${JSON.stringify(hooks)});` +
        "const r = createRequire(process.cwd() + '/');" +
        "process.on('exit', () => process.stderr.write(Object.keys(r.cache).some((f) => f.includes('aws-cdk-lib')) ? 'CDK-LOADED' : 'CDK-NOT-LOADED'));",
    )}`;
    const dir = mkdtempSync(join(tmpdir(), 'storestack-dry-run-'));
    const artifact = join(dir, 'magento-prod-1764151200.zip');
    const sdkLog = join(dir, 'sdk.log');
    writeFileSync(artifact, 'PK');
    writeFileSync(sdkLog, '');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        probe,
        join(PROJECT_ROOT, 'bin/storestack.js'),
        ...['release', 'magento', '--env', 'prod', '--artifact', artifact, '--dry-run'],
      ],
      { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, SDK_LOG: sdkLog } },
    );
    const sdk = readFileSync(sdkLog, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('dry run: nothing is changed');
    expect(result.stderr).toContain('CDK-NOT-LOADED');
    expect(sdk).toBe('');
  });

  it('the hook does see an SDK client when a command loads one (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'storestack-sdk-seen-'));
    const sdkLog = join(dir, 'sdk.log');
    writeFileSync(sdkLog, '');
    const hooks = `data:text/javascript,${encodeURIComponent(
      "import { appendFileSync } from 'node:fs';" +
        "export async function resolve(specifier, context, next) { if (specifier.startsWith('@aws-sdk/client-')) appendFileSync(process.env.SDK_LOG, specifier + '\\n'); return next(specifier, context); }",
    )}`;
    const probe = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hooks)});`)}`;
    spawnSync(
      process.execPath,
      ['--import', probe, '--input-type=module', '-e', "await import('@aws-sdk/client-ssm')"],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, SDK_LOG: sdkLog },
      },
    );
    const sdk = readFileSync(sdkLog, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(sdk).toContain('@aws-sdk/client-ssm');
  });
});
