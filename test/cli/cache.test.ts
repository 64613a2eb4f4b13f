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
import { CacheCommand } from '../../src/cli/commands/cache.ts';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { PROJECT_ROOT } from '../support.ts';
import { ssmOperations } from './ssm-operations.ts';

const ssm = mockClient(SSMClient);
const beanstalk = mockClient(ElasticBeanstalkClient);

const FRONTEND = 'client-prod-frontend';
const BACK_OFFICE = 'client-prod-backoffice';
const FLUSH = 'sudo -u webapp php /var/app/current/bin/magento cache:flush';
const FLUSHED = [
  'Flushed cache types:',
  'config',
  'layout',
  'block_html',
  'collections',
  'reflection',
  'db_ddl',
  'compiled_config',
  'eav',
  'customer_notification',
  'config_integration',
  'config_integration_api',
  'full_page',
  'config_webservice',
  'translate',
];

let instances: Record<string, string[]>;
let answer: Partial<GetCommandInvocationCommandOutput>;
let sendFailure: Error | undefined;
let calls: string[];
const regions: string[] = [];

beforeEach(() => {
  instances = {
    [FRONTEND]: ['i-0f4000000000000a4', 'i-0f1000000000000a1', 'i-0f3000000000000a3', 'i-0f2000000000000a2'],
    [BACK_OFFICE]: ['i-0b9000000000000b9', 'i-0b2000000000000b2'],
  };
  answer = { Status: 'Success', ResponseCode: 0, StandardOutputContent: `${FLUSHED.join('\n')}\n` };
  sendFailure = undefined;
  calls = [];
  regions.length = 0;
  beanstalk.on(DescribeInstancesHealthCommand).callsFake((input) => {
    calls.push(`DescribeInstancesHealth ${input.EnvironmentName}`);
    return { InstanceHealthList: (instances[input.EnvironmentName] ?? []).map((id) => ({ InstanceId: id })) };
  });
  ssm.on(DescribeInstanceInformationCommand).callsFake((input) => {
    const id = input.Filters[0].Values[0] as string;
    calls.push(`DescribeInstanceInformation ${id}`);
    return {
      InstanceInformationList: [{ InstanceId: id, IPAddress: id.startsWith('i-0b') ? '10.0.103.7' : '10.0.101.7' }],
    };
  });
  ssm.on(SendCommandCommand).callsFake((input) => {
    calls.push(`SendCommand ${input.InstanceIds[0]}`);
    if (sendFailure) throw sendFailure;
    return { Command: { CommandId: 'command-1' } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake((input) => {
    calls.push(`GetCommandInvocation ${input.InstanceId}`);
    return { StandardErrorContent: '', ...answer };
  });
});

afterEach(() => {
  ssm.reset();
  beanstalk.reset();
});

const factory = ssmOperations(regions);

async function storestack(args: string[]) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT };
  const code = await main(args, context, [new CacheCommand(context, factory)]);
  return { code, stdout: output.stdout, stderr: output.stderr, lines: output.lines };
}

describe('storestack cache flush', () => {
  it("runs cache:flush once, on the back office's first instance, and prints Magento's output", async () => {
    const { code, lines, stderr } = await storestack(['cache', 'flush', '--env', 'prod']);

    expect(code, stderr).toBe(0);
    expect(lines).toEqual(FLUSHED);
    expect(stderr).toBe(`flushing the cache of prod from i-0b2000000000000b2 (10.0.103.7, ${BACK_OFFICE})`);
    expect(regions).toEqual(['eu-west-3']);
    // Redis is shared: the four front-end instances are not even listed.
    expect(calls).toEqual([
      `DescribeInstancesHealth ${BACK_OFFICE}`,
      'DescribeInstanceInformation i-0b2000000000000b2',
      'SendCommand i-0b2000000000000b2',
      'GetCommandInvocation i-0b2000000000000b2',
    ]);
    const sent = ssm.commandCalls(SendCommandCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.args[0].input).toEqual({
      InstanceIds: ['i-0b2000000000000b2'],
      DocumentName: 'AWS-RunShellScript',
      Comment: 'storestack cache flush --env prod',
      TimeoutSeconds: 300,
      Parameters: { commands: ['set -euo pipefail', FLUSH], executionTimeout: ['300'] },
    });
  });

  it('runs it on the front end when the back office has no instance', async () => {
    instances[BACK_OFFICE] = [];

    const { code, stderr } = await storestack(['cache', 'flush', '--env', 'prod']);

    expect(code, stderr).toBe(0);
    expect(calls).toEqual([
      `DescribeInstancesHealth ${BACK_OFFICE}`,
      `DescribeInstancesHealth ${FRONTEND}`,
      'DescribeInstanceInformation i-0f1000000000000a1',
      'SendCommand i-0f1000000000000a1',
      'GetCommandInvocation i-0f1000000000000a1',
    ]);
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await storestack(['cache', 'flush', '--env', 'prod', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      instanceId: 'i-0b2000000000000b2',
      privateIp: '10.0.103.7',
      environment: BACK_OFFICE,
      output: FLUSHED,
    });
  });

  it("fails with the instance, its address and the end of Magento's error when cache:flush fails", async () => {
    const trace = Array.from(
      { length: 30 },
      (_, i) => `#${i} /var/app/current/vendor/colinmollenhour/credis/Client.php`,
    );
    answer = {
      Status: 'Failed',
      ResponseCode: 1,
      StandardOutputContent: '',
      StandardErrorContent: `${trace.join('\n')}\nIn Client.php line 464:\n  read error on connection to cache.internal:6379\n`,
    };

    const { code, lines, stderr } = await storestack(['cache', 'flush', '--env', 'prod']);

    expect(code).toBe(1);
    expect(lines).toEqual([]);
    const message = stderr.split('\n').slice(1);
    expect(message[0]).toBe(
      `cache:flush failed on i-0b2000000000000b2 (10.0.103.7, ${BACK_OFFICE}): Failed, exit code 1`,
    );
    expect(message.slice(1)).toEqual([
      ...trace.slice(-18),
      'In Client.php line 464:',
      '  read error on connection to cache.internal:6379',
    ]);
  });

  it('fails naming the instance when SSM cannot run the command there', async () => {
    sendFailure = Object.assign(new Error('Instances [[i-0b2000000000000b2]] not in a valid state for account'), {
      name: 'InvalidInstanceId',
    });

    const { code, stderr } = await storestack(['cache', 'flush', '--env', 'prod']);

    expect(code).toBe(1);
    expect(stderr.split('\n').at(-1)).toBe(
      `cache:flush could not run on i-0b2000000000000b2 (10.0.103.7, ${BACK_OFFICE}): InvalidInstanceId: Instances [[i-0b2000000000000b2]] not in a valid state for account`,
    );
  });

  it('fails when neither environment has an instance', async () => {
    instances = {};

    const { code, stderr } = await storestack(['cache', 'flush', '--env', 'prod']);

    expect(code).toBe(1);
    expect(stderr).toBe(`${BACK_OFFICE} and ${FRONTEND} have no instance to run cache:flush on`);
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('refuses an unknown environment before calling AWS', async () => {
    const { code, stderr } = await storestack(['cache', 'flush', '--env', 'staging']);

    expect(code).toBe(2);
    expect(stderr).toBe('--env staging is not an environment of the configuration (prod, preprod)');
    expect(regions).toEqual([]);
  });

  it('says in its help why it runs once where the document runs it on every instance', async () => {
    const { stdout } = await storestack(['cache', 'flush', '--help']);

    expect(stdout).toContain(FLUSH);
    expect(stdout).toContain('one flush clears them all');
  });
});
