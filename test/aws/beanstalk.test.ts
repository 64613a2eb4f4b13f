// Rolling a version out (SdkBeanstalkEnvironments.deploy) against a mocked Elastic Beanstalk: it
// waits for the environment to be Ready on the new version, every instance on it and health
// Green; a deployment that has not started yet is not a failure, one that reported an error is.
import {
  DescribeEnvironmentsCommand,
  type DescribeEnvironmentsCommandOutput,
  DescribeEventsCommand,
  DescribeInstancesHealthCommand,
  ElasticBeanstalkClient,
  UpdateEnvironmentCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BeanstalkDeploymentError, SdkBeanstalkEnvironments } from '../../src/aws/beanstalk.ts';
import { FakeClock } from '../release/fake-aws.ts';

const NAME = 'client-prod-frontend';

describe('SdkBeanstalkEnvironments.deploy', () => {
  const eb = mockClient(ElasticBeanstalkClient);
  afterEach(() => eb.reset());

  function environments(clock: FakeClock) {
    return new SdkBeanstalkEnvironments(new ElasticBeanstalkClient({ region: 'eu-west-3' }), clock, 15_000);
  }

  const environment = (Status: string, VersionLabel: string, Health = 'Green') =>
    ({
      Environments: [{ EnvironmentName: NAME, Status, VersionLabel, Health, HealthStatus: 'Ok' }],
    }) as unknown as DescribeEnvironmentsCommandOutput;

  it('waits through a slow start, then for every instance on the new version and Green', async () => {
    // GIVEN Beanstalk still Ready on the old version for two polls, then updating, then done
    eb.on(UpdateEnvironmentCommand).resolves({});
    eb.on(DescribeEventsCommand).resolves({ Events: [] });
    eb.on(DescribeEnvironmentsCommand)
      .resolvesOnce(environment('Ready', '1'))
      .resolvesOnce(environment('Ready', '1'))
      .resolvesOnce(environment('Updating', '2', 'Grey'))
      .resolves(environment('Ready', '2'));
    eb.on(DescribeInstancesHealthCommand)
      .resolvesOnce({ InstanceHealthList: [{ InstanceId: 'i-0a000001', Deployment: { VersionLabel: '1' } }] })
      .resolves({ InstanceHealthList: [{ InstanceId: 'i-0a000001', Deployment: { VersionLabel: '2' } }] });
    const clock = new FakeClock();
    const lines: string[] = [];
    // WHEN the version is deployed
    await environments(clock).deploy(NAME, '2', 1800, (line) => lines.push(line));
    // THEN it returned once the instance ran version 2 (five polls of 15 s)
    expect(eb.commandCalls(UpdateEnvironmentCommand)[0]?.args[0].input).toEqual({
      EnvironmentName: NAME,
      VersionLabel: '2',
    });
    expect(eb.commandCalls(DescribeEnvironmentsCommand)).toHaveLength(5);
  });

  it('fails naming the instance when Beanstalk reports an error, without waiting for the grace period', async () => {
    eb.on(UpdateEnvironmentCommand).resolves({ Status: 'Updating' });
    eb.on(DescribeEventsCommand).resolves({
      Events: [
        {
          EventDate: new Date(),
          Severity: 'ERROR',
          Message: 'Instance deployment failed on instance(s) [i-0b000002].',
        },
      ],
    });
    eb.on(DescribeEnvironmentsCommand).resolves(environment('Ready', '1'));
    const error = await environments(new FakeClock())
      .deploy(NAME, '2', 1800, () => {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BeanstalkDeploymentError);
    expect((error as BeanstalkDeploymentError).instanceId).toBe('i-0b000002');
    expect(eb.commandCalls(DescribeEnvironmentsCommand)).toHaveLength(1);
  });

  it('fails when the update never starts, after the grace period', async () => {
    eb.on(UpdateEnvironmentCommand).resolves({});
    eb.on(DescribeEventsCommand).resolves({ Events: [] });
    eb.on(DescribeEnvironmentsCommand).resolves(environment('Ready', '1'));
    const clock = new FakeClock();
    const start = clock.now();
    await expect(environments(clock).deploy(NAME, '2', 1800, () => {})).rejects.toThrow(
      'the deployment of 2 to client-prod-frontend failed: the environment runs 1',
    );
    expect(clock.now() - start).toBeGreaterThanOrEqual(120_000);
  });

  it('gives up at the timeout, saying where it stood', async () => {
    eb.on(UpdateEnvironmentCommand).resolves({ Status: 'Updating' });
    eb.on(DescribeEventsCommand).resolves({ Events: [] });
    eb.on(DescribeEnvironmentsCommand).resolves(environment('Updating', '2', 'Grey'));
    await expect(environments(new FakeClock()).deploy(NAME, '2', 60, () => {})).rejects.toThrow(
      'did not finish within 60 s (status Updating, health Grey)',
    );
  });
});
