import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SynthCommand, type Synthesize } from '../../src/cli/commands/synth.ts';
import { defaultCommands, main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import type { SynthReport } from '../../src/infra/synth.ts';
import { PROJECT_ROOT } from '../support.ts';

async function cli(args: string[], configFile?: string) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT, ...(configFile ? { defaultConfigFile: configFile } : {}) };
  const code = await main(args, context);
  return { code, stdout: output.stdout, stderr: output.stderr };
}

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'storestack-cli-'));
}

/** Runs the real entry point, as a user would. */
function storestack(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/storestack.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('storestack --help', () => {
  it('lists the commands', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/synth \[options\]\s+synthesize every stack/);
    expect(stdout).toMatch(/config\s+show or check the platform configuration/);
  });

  it('exits 2 with the usage on an unknown command', async () => {
    const { code, stderr } = await cli(['deploy-everything']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command 'deploy-everything'/);
  });

  it('does not load aws-cdk-lib for operational commands', () => {
    // A preloaded module reports, at exit, whether any aws-cdk-lib file was loaded.
    const probe = `data:text/javascript,${encodeURIComponent(
      "import { createRequire } from 'node:module'; const r = createRequire(process.cwd() + '/');" +
        "process.on('exit', () => process.stderr.write(Object.keys(r.cache).some((f) => f.includes('aws-cdk-lib')) ? 'CDK-LOADED' : 'CDK-NOT-LOADED'));",
    )}`;
    for (const args of [
      ['--help'],
      ['config', 'check', 'config/platform.ts'],
      ['render', 'bundle', 'magento', '--env', 'prod', '--out', mkdtempSync(join(tmpdir(), 'storestack-probe-'))],
    ]) {
      const result = spawnSync(
        process.execPath,
        ['--import', probe, join(PROJECT_ROOT, 'bin/storestack.js'), ...args],
        {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
        },
      );
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain('CDK-NOT-LOADED');
    }
  });
});

describe('storestack config', () => {
  it('prints the effective configuration, defaults applied, as path = value lines', async () => {
    const { code, stdout } = await cli(['config', 'print']);
    expect(code).toBe(0);
    expect(stdout).toContain('network.privateSubnets[1].cidr = "10.0.102.0/24"');
    expect(stdout).toContain('network.flowLogs.retentionDays = 365');
    expect(stdout).toContain('project = "storestack"');
  });

  it('prints JSON that is itself a valid configuration file', async () => {
    const { stdout } = await cli(['config', 'print', '--json']);
    const file = join(temporaryDirectory(), 'my.json');
    writeFileSync(file, stdout);
    const check = await cli(['config', 'check', file]);
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(`${file}: valid (client client, eu-west-3, environments prod, preprod)`);
  });

  it('lists every problem of a bad file with its path and exits 1', async () => {
    const config = JSON.parse((await cli(['config', 'print', '--json'])).stdout);
    config.network.privateSubnets[1].cidr = '10.1.101.0/24';
    config.alerting.emails[0] = 'ops-at-client.url';
    const file = join(temporaryDirectory(), 'bad.json');
    writeFileSync(file, JSON.stringify(config));

    const { code, stderr } = await cli(['config', 'check', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('network.privateSubnets[1].cidr: 10.1.101.0/24 is outside the VPC 10.0.0.0/16');
    expect(stderr).toContain('alerting.emails[0]: ops-at-client.url is not a valid email address');
  });

  it('reads the configuration named by --config before the default', async () => {
    const file = join(temporaryDirectory(), 'missing.json');
    const { code, stderr } = await cli(['--config', file, 'config', 'print'], join(PROJECT_ROOT, 'config/platform.ts'));
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}: invalid configuration`);
    expect(stderr).toContain('no such file');
  });
});

describe('storestack synth', () => {
  const passed: SynthReport = {
    ok: true,
    outdir: join(PROJECT_ROOT, 'cdk.out'),
    stacks: [{ stack: 'storestack-Network', environment: 'shared', resources: 53, stateful: true, acknowledged: 4 }],
    gates: [{ gate: 'AwsSolutions', status: 'passed' }],
    findings: [],
  };

  function withSynth(synthesize: Synthesize) {
    const output = new MemoryOutput();
    const context = { output, projectRoot: PROJECT_ROOT };
    const commands = defaultCommands(context).map((command) =>
      command instanceof SynthCommand ? new SynthCommand(context, synthesize) : command,
    );
    return { output, run: (args: string[]) => main(args, context, commands) };
  }

  it('prints the gates and a table of the stacks', async () => {
    const { output, run } = withSynth(async () => passed);
    expect(await run(['synth'])).toBe(0);
    expect(output.lines).toContain('gate AwsSolutions: passed');
    expect(output.lines).toContain('storestack-Network  shared       53         yes       4');
    expect(output.lines).toContain('1 stacks written to cdk.out/');
  });

  it('lists each finding and exits 1 when a gate fails', async () => {
    const { output, run } = withSynth(async () => ({
      ...passed,
      ok: false,
      stacks: [],
      gates: [{ gate: 'PCI.DSS.321', status: 'failed', detail: '1 findings' }],
      findings: [
        { gate: 'PCI.DSS.321', rule: 'PCI.DSS.321-S3BucketSSLRequestsOnly', location: 'X/Bucket', message: 'no SSL' },
      ],
    }));
    expect(await run(['synth'])).toBe(1);
    expect(output.stderr).toContain('[PCI.DSS.321] PCI.DSS.321-S3BucketSSLRequestsOnly at X/Bucket\n    no SSL');
    expect(output.stderr).toContain('synth failed: 1 unacknowledged findings; cdk.out is unchanged');
  });

  it('does not synthesize at all when the configuration is invalid', async () => {
    let called = false;
    const { run, output } = withSynth(async () => {
      called = true;
      return passed;
    });
    const file = join(temporaryDirectory(), 'bad.json');
    writeFileSync(file, '{"client": {"name": "client"}}');
    expect(await run(['--config', file, 'synth'])).toBe(1);
    expect(called).toBe(false);
    expect(output.stderr).toContain('aws: is required');
  });
});

describe('STORESTACK_CONFIG=my.json npm start', () => {
  it('fails on an edited bad value, naming its path, and leaves cdk.out as it was', () => {
    const dir = temporaryDirectory();
    const printed = storestack(['config', 'print', '--json']);
    expect(printed.code).toBe(0);
    const config = JSON.parse(printed.stdout);
    config.network.privateSubnets[1].cidr = '10.1.101.0/24';
    const file = join(dir, 'my.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const outdir = join(dir, 'cdk.out');
    mkdirSync(outdir);
    writeFileSync(join(outdir, 'manifest.json'), '{"previous": true}');

    const result = storestack(['synth', '--out', outdir], { STORESTACK_CONFIG: file });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('network.privateSubnets[1].cidr: 10.1.101.0/24 is outside the VPC 10.0.0.0/16');
    expect(readdirSync(outdir)).toEqual(['manifest.json']);
    expect(readFileSync(join(outdir, 'manifest.json'), 'utf8')).toBe('{"previous": true}');
    expect(existsSync(join(dir, '.cdk.out.staging'))).toBe(false);
  });
});

describe('the validated configuration the CLI keeps between runs', () => {
  it('is used while the file is unchanged, and validated again as soon as it changes', () => {
    // GIVEN a valid configuration file, read once by the real CLI (which keeps it validated)
    const dir = temporaryDirectory();
    const file = join(dir, 'my.json');
    writeFileSync(file, storestack(['config', 'print', '--json']).stdout);
    expect(storestack(['--config', file, 'config', 'print']).code).toBe(0);
    // WHEN the file changes into an invalid one
    const input = JSON.parse(readFileSync(file, 'utf8'));
    input.client.bogus = 1;
    writeFileSync(file, JSON.stringify(input));
    const result = storestack(['--config', file, 'config', 'print']);
    // THEN the change is seen: the problem is reported, not the kept configuration
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('client.bogus: unknown key');
  });
});
