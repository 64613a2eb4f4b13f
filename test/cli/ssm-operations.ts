// What the suites of the SSM-driven day-2 commands (cache, logs, vpn) share: the interfaces a
// command gets, built over the mocked SDK clients, limited to the ones it should use.
import { ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SdkBeanstalkEnvironments } from '../../src/aws/beanstalk.ts';
import { type Sleeper, SsmCommandRunner } from '../../src/aws/commands.ts';
import type { OperationsAws, OperationsAwsFactory } from '../../src/aws/operations.ts';
import { SsmParameters } from '../../src/aws/parameters.ts';

/** A clock that never waits: the mocked SSM answers at once. */
export const NO_WAIT: Sleeper = { sleep: async () => undefined, now: () => 0 };

/**
 * The interfaces the command uses, over the mocked clients. Touching another (listener rules,
 * snapshots, ...) fails the test: the command has no business there.
 */
export function onlyThese(used: Partial<OperationsAws>): OperationsAws {
  return new Proxy(used, {
    get: (target, property) => {
      if (typeof property === 'symbol' || property === 'then' || property in target) {
        return Reflect.get(target, property);
      }
      throw new Error(`the command used aws.${property}, which it should not need`);
    },
  }) as OperationsAws;
}

/**
 * A factory giving SSM's command runner and parameters (and Beanstalk's environments unless
 * `beanstalk` is false) over the mocked clients; each region asked for is pushed to `regions`.
 */
export function ssmOperations(regions: string[], options: { readonly beanstalk?: boolean } = {}): OperationsAwsFactory {
  return async (region) => {
    regions.push(region);
    const client = new SSMClient({ region });
    return onlyThese({
      ...(options.beanstalk === false
        ? {}
        : { beanstalk: new SdkBeanstalkEnvironments(new ElasticBeanstalkClient({ region }), NO_WAIT, 0) }),
      commands: new SsmCommandRunner(client, NO_WAIT, 0),
      parameters: new SsmParameters(client),
    });
  };
}
