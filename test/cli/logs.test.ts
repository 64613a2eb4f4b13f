import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesHealthCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogsCommand } from '../../src/cli/commands/logs.ts';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { PROJECT_ROOT } from '../support.ts';
import { ssmOperations } from './ssm-operations.ts';

const ssm = mockClient(SSMClient);
const beanstalk = mockClient(ElasticBeanstalkClient);

const FRONTEND = 'client-prod-frontend';
const BACK_OFFICE = 'client-prod-backoffice';
const INSTANCES: Record<string, string[]> = {
  [FRONTEND]: ['i-0b00000000000000f', 'i-0a00000000000000f'],
  [BACK_OFFICE]: ['i-0c00000000000000b'],
  'client-pim': ['i-0d0000000000000a1'],
};
const IPS: Record<string, string> = {
  'i-0a00000000000000f': '10.0.101.10',
  'i-0b00000000000000f': '10.0.102.11',
  'i-0c00000000000000b': '10.0.103.12',
  'i-0d0000000000000a1': '10.0.101.20',
};

/** The script the command sends for `tail -n <lines>`, as an operator would read it in SSM's history. */
function firstScript(lines: number): string {
  return `out="$(mktemp /tmp/storestack-output.XXXXXXXXXX)"
keep=0
trap 'if [ "$keep" = 0 ]; then rm -f -- "$out"; fi' EXIT
{
tail -n ${lines} -- /var/log/eb-engine.log | gzip -c
} >"$out"
size="$(stat -c %s -- "$out")"
printf '%s %s\\n' "$out" "$size"
dd if="$out" bs=16384 count=1 status=none | base64 -w 0
if [ "$size" -gt 16384 ]; then keep=1; fi`;
}

/** Each instance's eb-engine.log, in a directory of the test: the scripts run for real with bash. */
let logDir: string;
let logFiles: Record<string, string>;
/** Every call to AWS, in order: `<command> <instance or environment>`. */
let calls: string[];
const regions: string[] = [];
/** Scripts SSM answers without running them: SSM's own failures. */
let ssmFailures: Record<string, Error>;
/** What each command printed, in the order sent. */
let stdouts: string[];

function runLocally(instanceId: string, commands: string[]): GetCommandInvocationCommandOutput {
  const log = logFiles[instanceId] ?? join(logDir, 'missing.log');
  const script = commands.join('\n').replaceAll('/var/log/eb-engine.log', log);
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  return {
    $metadata: {},
    Status: result.status === 0 ? 'Success' : 'Failed',
    ResponseCode: result.status ?? -1,
    StandardOutputContent: result.stdout.slice(0, 24_000),
    StandardErrorContent: result.stderr,
  };
}

beforeEach(() => {
  logDir = mkdtempSync(join(tmpdir(), 'storestack-logs-'));
  logFiles = {};
  calls = [];
  regions.length = 0;
  ssmFailures = {};
  stdouts = [];
  const invocations = new Map<string, GetCommandInvocationCommandOutput>();
  beanstalk.on(DescribeInstancesHealthCommand).callsFake((input) => {
    calls.push(`DescribeInstancesHealth ${input.EnvironmentName}`);
    return {
      InstanceHealthList: (INSTANCES[input.EnvironmentName] ?? []).map((id) => ({
        InstanceId: id,
        HealthStatus: 'Ok',
      })),
    };
  });
  ssm.on(DescribeInstanceInformationCommand).callsFake((input) => {
    const id = input.Filters[0].Values[0] as string;
    calls.push(`DescribeInstanceInformation ${id}`);
    return { InstanceInformationList: [{ InstanceId: id, IPAddress: IPS[id] }] };
  });
  ssm.on(SendCommandCommand).callsFake((input) => {
    const id = input.InstanceIds[0] as string;
    calls.push(`SendCommand ${id}`);
    const failure = ssmFailures[id];
    if (failure) throw failure;
    const commandId = `command-${invocations.size + 1}`;
    const invocation = runLocally(id, input.Parameters.commands);
    stdouts.push(invocation.StandardOutputContent ?? '');
    invocations.set(commandId, invocation);
    return { Command: { CommandId: commandId } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake((input) => {
    calls.push(`GetCommandInvocation ${input.InstanceId}`);
    return invocations.get(input.CommandId);
  });
});

afterEach(() => {
  ssm.reset();
  beanstalk.reset();
  rmSync(logDir, { recursive: true, force: true });
});

const factory = ssmOperations(regions);

async function storestack(args: string[]) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT };
  const code = await main(args, context, [new LogsCommand(context, factory)]);
  return { code, stdout: output.stdout, stderr: output.stderr, lines: output.lines };
}

function writeLog(instanceId: string, lines: readonly string[]): void {
  const file = join(logDir, `${instanceId}.log`);
  writeFileSync(file, lines.map((line) => `${line}\n`).join(''));
  logFiles[instanceId] = file;
}

function numbered(instanceId: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `2025/06/15 13:33:${String(i % 60).padStart(2, '0')} [INFO] ${instanceId} line ${i + 1}`,
  );
}

/** The calls made for one instance, in order. */
function callsOf(instanceId: string): string[] {
  return calls.filter((call) => call.endsWith(` ${instanceId}`)).map((call) => call.split(' ')[0] as string);
}

describe('storestack logs', () => {
  it("prints the last 100 lines of every instance of the environment's front end and back office", async () => {
    for (const id of ['i-0a00000000000000f', 'i-0b00000000000000f', 'i-0c00000000000000b']) {
      writeLog(id, numbered(id, 150));
    }

    const { code, lines, stderr } = await storestack(['logs', '--env', 'prod']);

    expect(code, stderr).toBe(0);
    expect(regions).toEqual(['eu-west-3']);
    const expected = ['i-0a00000000000000f', 'i-0b00000000000000f', 'i-0c00000000000000b'].flatMap((id) => {
      const environment = id === 'i-0c00000000000000b' ? BACK_OFFICE : FRONTEND;
      return [`== ${id} (${IPS[id]}) ${environment} ==`, ...numbered(id, 150).slice(50)];
    });
    expect(lines).toEqual(expected);

    expect(calls.filter((call) => call.startsWith('DescribeInstancesHealth'))).toEqual([
      `DescribeInstancesHealth ${FRONTEND}`,
      `DescribeInstancesHealth ${BACK_OFFICE}`,
    ]);
    // The instances are listed before any command runs, and each is looked up, then sent its script.
    expect(calls.findIndex((call) => !call.startsWith('DescribeInstancesHealth'))).toBe(2);
    for (const id of ['i-0a00000000000000f', 'i-0b00000000000000f', 'i-0c00000000000000b']) {
      expect(callsOf(id)).toEqual(['DescribeInstanceInformation', 'SendCommand', 'GetCommandInvocation']);
    }
    const sent = ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => input.InstanceIds)).toEqual([
      ['i-0a00000000000000f'],
      ['i-0b00000000000000f'],
      ['i-0c00000000000000b'],
    ]);
    for (const input of sent) {
      expect(input.DocumentName).toBe('AWS-RunShellScript');
      expect(input.Parameters?.commands).toEqual(['set -euo pipefail', firstScript(100)]);
    }
  });

  it('reads one instance, the lines asked for, as JSON', async () => {
    writeLog('i-0c00000000000000b', numbered('i-0c00000000000000b', 10));

    const { code, stdout, stderr } = await storestack([
      'logs',
      '--env',
      'prod',
      '--role',
      'backoffice',
      '--instance',
      'i-0c00000000000000b',
      '--lines',
      '3',
      '--json',
    ]);

    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        instanceId: 'i-0c00000000000000b',
        privateIp: '10.0.103.12',
        environment: BACK_OFFICE,
        lines: numbered('i-0c00000000000000b', 10).slice(7),
      },
    ]);
    expect(calls).toEqual([
      `DescribeInstancesHealth ${BACK_OFFICE}`,
      'DescribeInstanceInformation i-0c00000000000000b',
      'SendCommand i-0c00000000000000b',
      'GetCommandInvocation i-0c00000000000000b',
    ]);
    expect(ssm.commandCalls(SendCommandCommand)[0]?.args[0].input.Parameters?.commands).toEqual([
      'set -euo pipefail',
      firstScript(3),
    ]);
  });

  it("reads a log past SSM's 24,000 characters of output in parts, and removes the file it read from", async () => {
    // Random text does not compress: 5,000 lines of it make a gzip of ~6 parts.
    const id = 'i-0d0000000000000a1';
    const log = Array.from({ length: 6000 }, (_, i) => `${i} ${randomBytes(15).toString('base64')}`);
    writeLog(id, log);

    const { code, lines, stderr } = await storestack(['logs', '--app', 'pim', '--lines', '5000']);

    expect(code, stderr).toBe(0);
    expect(lines).toEqual([`== ${id} (10.0.101.20) client-pim ==`, ...log.slice(1000)]);
    const scripts = ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input.Parameters?.commands?.[1]);
    expect(scripts.length).toBeGreaterThan(3);
    expect(scripts[0]).toBe(firstScript(5000));
    const file = /^(\/tmp\/storestack-output\.\w+) \d+\n/.exec(stdouts[0] ?? '')?.[1];
    expect(file).toBeDefined();
    expect(scripts.slice(1, -1)).toEqual(
      scripts
        .slice(1, -1)
        .map((_, i) => `out='${file}'\ndd if="$out" bs=16384 skip=${i + 1} count=1 status=none | base64 -w 0`),
    );
    expect(scripts.at(-1)).toBe(
      `out='${file}'\ntrap 'rm -f -- "$out"' EXIT\ndd if="$out" bs=16384 skip=${scripts.length - 1} count=1 status=none | base64 -w 0`,
    );
    expect(existsSync(file as string)).toBe(false);
  });

  it('prints the other instances, then fails naming the instances it could not read', async () => {
    writeLog('i-0a00000000000000f', numbered('i-0a00000000000000f', 2));
    // i-0b...: no eb-engine.log (tail fails on the instance); i-0c...: SSM cannot reach it.
    ssmFailures['i-0c00000000000000b'] = Object.assign(
      new Error('Instances [[i-0c00000000000000b]] not in a valid state'),
      {
        name: 'InvalidInstanceId',
      },
    );

    const { code, lines, stderr } = await storestack(['logs', '--env', 'prod']);

    expect(code).toBe(1);
    expect(lines).toEqual([
      `== i-0a00000000000000f (10.0.101.10) ${FRONTEND} ==`,
      ...numbered('i-0a00000000000000f', 2),
      `== i-0b00000000000000f (10.0.102.11) ${FRONTEND} ==`,
      `== i-0c00000000000000b (10.0.103.12) ${BACK_OFFICE} ==`,
    ]);
    expect(stderr).toContain('i-0b00000000000000f: "storestack logs: tail -n 100 /var/log/eb-engine.log" failed on');
    expect(stderr).toContain("tail: cannot open '");
    expect(stderr).toContain(
      'i-0c00000000000000b: InvalidInstanceId: Instances [[i-0c00000000000000b]] not in a valid state',
    );
    expect(stderr.split('\n').at(-1)).toMatch(
      new RegExp(
        `^could not read /var/log/eb-engine.log on i-0b00000000000000f \\(${FRONTEND}\\), i-0c00000000000000b \\(${BACK_OFFICE}\\): `,
      ),
    );
  });

  it('says which instances an environment has when --instance is not one of them', async () => {
    const { code, stderr } = await storestack([
      'logs',
      '--env',
      'prod',
      '--role',
      'frontend',
      '--instance',
      'i-0c00000000000000b',
    ]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `i-0c00000000000000b is not an instance of ${FRONTEND} (they have: i-0a00000000000000f, i-0b00000000000000f)`,
    );
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('fails when the environment has no instance', async () => {
    const { code, stderr } = await storestack(['logs', '--app', 'connector']);

    expect(code).toBe(1);
    expect(stderr).toBe('no instance runs in client-connector');
    expect(calls).toEqual(['DescribeInstancesHealth client-connector']);
  });

  it.each([
    [['--env', 'prod', '--lines', '0'], '--lines must be a whole number from 1 to 5000 (got 0)'],
    [['--env', 'prod', '--lines', '5001'], '--lines must be a whole number from 1 to 5000 (got 5001)'],
    [['--env', 'prod', '--lines', '10; reboot'], '--lines must be a whole number from 1 to 5000 (got 10; reboot)'],
    [['--env', 'prod', '--lines', '2.5'], '--lines must be a whole number from 1 to 5000 (got 2.5)'],
    [['--env', 'staging'], '--env staging is not an environment of the configuration (prod, preprod)'],
    [[], '--env is required for magento (each environment has its own front end and back office)'],
    [['--app', 'pim', '--env', 'prod'], '--env and --role do not apply to pim: it has one environment'],
    [['--app', 'shop'], '--app shop is not an application (magento, pim, connector, mirakl)'],
    [['--env', 'prod', '--role', 'admin'], '--role admin is not a role (frontend, backoffice)'],
    [['--env', 'prod', '--instance', 'web-1'], '--instance web-1 is not an EC2 instance id (i-0123456789abcdef0)'],
  ])('refuses %j before calling AWS', async (args, message) => {
    const { code, stderr } = await storestack(['logs', ...args]);

    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(regions).toEqual([]);
  });

  it('says in its help which log it reads, and why not the document one', async () => {
    const { code, stdout } = await storestack(['logs', '--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('/var/log/eb-engine.log');
    expect(stdout).toContain('/var/log/eb-activity.log');
  });
});
