import { ElasticBeanstalkClient, ListAvailableSolutionStacksCommand } from '@aws-sdk/client-elastic-beanstalk';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ElasticBeanstalkPlatformCatalog } from '../../src/aws/elastic-beanstalk.ts';

const elasticBeanstalk = mockClient(ElasticBeanstalkClient);

afterEach(() => {
  elasticBeanstalk.reset();
});

describe('ElasticBeanstalkPlatformCatalog', () => {
  it('lists the solution stacks of its region through ListAvailableSolutionStacks', async () => {
    const names = [
      '64bit Amazon Linux 2023 v4.8.0 running PHP 8.4',
      '64bit Amazon Linux 2023 v4.8.0 running PHP 8.3',
      '64bit Amazon Linux 2023 v6.5.0 running Node.js 22',
    ];
    elasticBeanstalk.on(ListAvailableSolutionStacksCommand).resolves({ SolutionStacks: names });
    const catalog = new ElasticBeanstalkPlatformCatalog('eu-west-3');

    expect(await catalog.solutionStackNames()).toEqual(names);
    const calls = elasticBeanstalk.commandCalls(ListAvailableSolutionStacksCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({});
    expect(await calls[0]?.thisValue.config.region()).toBe('eu-west-3');
  });

  it('answers an empty list when the response holds none', async () => {
    elasticBeanstalk.on(ListAvailableSolutionStacksCommand).resolves({});
    expect(await new ElasticBeanstalkPlatformCatalog('eu-west-3').solutionStackNames()).toEqual([]);
  });

  it("fails with AWS's message, the call and the region", async () => {
    const denied = Object.assign(new Error('User: arn:aws:iam::123456789012:user/ops is not authorized'), {
      name: 'AccessDenied',
    });
    elasticBeanstalk.on(ListAvailableSolutionStacksCommand).rejects(denied);
    const failure = new ElasticBeanstalkPlatformCatalog('eu-west-3').solutionStackNames();

    await expect(failure).rejects.toThrow(
      'Elastic Beanstalk ListAvailableSolutionStacks in eu-west-3 failed: AccessDenied: User: arn:aws:iam::123456789012:user/ops is not authorized',
    );
    await expect(failure).rejects.toHaveProperty('cause', denied);
  });
});
