// Elastic Beanstalk, as far as storestack asks it anything: the platforms (solution
// stacks) a region offers, for the operator's deliberate refresh of the pinned one.
import { ElasticBeanstalkClient, ListAvailableSolutionStacksCommand } from '@aws-sdk/client-elastic-beanstalk';

/** The Elastic Beanstalk platforms of one region. */
export interface PlatformCatalog {
  /** Every solution stack name the region offers (`64bit Amazon Linux 2023 v4.7.5 running PHP 8.3`, ...). */
  solutionStackNames(): Promise<string[]>;
}

/** The catalog of a region, asked through ListAvailableSolutionStacks with the default credential chain. */
export class ElasticBeanstalkPlatformCatalog implements PlatformCatalog {
  private readonly client: ElasticBeanstalkClient;

  constructor(readonly region: string) {
    this.client = new ElasticBeanstalkClient({ region });
  }

  async solutionStackNames(): Promise<string[]> {
    try {
      const output = await this.client.send(new ListAvailableSolutionStacksCommand({}));
      return output.SolutionStacks ?? [];
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`Elastic Beanstalk ListAvailableSolutionStacks in ${this.region} failed: ${reason}`, {
        cause: error,
      });
    }
  }
}
