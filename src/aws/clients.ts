// The AWS SDK v3 clients of one region, with the default credential chain, built when first asked
// for: a command that only reads SSM loads no Elastic Beanstalk client.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** The clients storestack's operational commands use. */
export interface AwsClients {
  readonly region: string;
  beanstalk(): Promise<ElasticBeanstalkClient>;
  loadBalancing(): Promise<ElasticLoadBalancingV2Client>;
  ssm(): Promise<SSMClient>;
  s3(): Promise<S3Client>;
  rds(): Promise<RDSClient>;
  cloudWatch(): Promise<CloudWatchClient>;
  secretsManager(): Promise<SecretsManagerClient>;
}

/** The real clients of `region`; each SDK package is imported on first use. */
export function awsClients(region: string): AwsClients {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(name: string, make: () => Promise<T>): Promise<T> => {
    if (!cache.has(name)) cache.set(name, make());
    return cache.get(name) as Promise<T>;
  };
  return {
    region,
    beanstalk: () =>
      once(
        'beanstalk',
        async () => new (await import('@aws-sdk/client-elastic-beanstalk')).ElasticBeanstalkClient({ region }),
      ),
    loadBalancing: () =>
      once(
        'elbv2',
        async () =>
          new (await import('@aws-sdk/client-elastic-load-balancing-v2')).ElasticLoadBalancingV2Client({ region }),
      ),
    ssm: () => once('ssm', async () => new (await import('@aws-sdk/client-ssm')).SSMClient({ region })),
    s3: () => once('s3', async () => new (await import('@aws-sdk/client-s3')).S3Client({ region })),
    rds: () => once('rds', async () => new (await import('@aws-sdk/client-rds')).RDSClient({ region })),
    cloudWatch: () =>
      once('cloudwatch', async () => new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient({ region })),
    secretsManager: () =>
      once(
        'secretsmanager',
        async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({ region }),
      ),
  };
}
