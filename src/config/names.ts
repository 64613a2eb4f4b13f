// The names the stacks give the resources a release touches, derived from the configuration in
// one place: the stacks create them with these names and the CLI finds them by the same ones,
// without asking CloudFormation (and without loading aws-cdk-lib).
import type { Platform } from './schema.ts';

/** The applications storestack builds and releases. */
export const RELEASE_APPLICATIONS = ['magento', 'pim', 'connector', 'mirakl'] as const;
export type ReleaseApplication = (typeof RELEASE_APPLICATIONS)[number];

/** Where the Magento instances mount the shares, one directory per share (the bundle's hooks do). */
export const MOUNTS_ROOT = '/mnt/storestack';

/** The Beanstalk application holding every Magento environment's versions. */
export function magentoApplicationName(platform: Platform): string {
  return `${platform.client.name}-magento`;
}

/** An environment's two Magento Beanstalk environments. */
export function magentoEnvironmentNames(platform: Platform, environment: string) {
  return {
    frontend: `${platform.client.name}-${environment}-frontend`,
    backOffice: `${platform.client.name}-${environment}-backoffice`,
  } as const;
}

/** A satellite application's Beanstalk application, which is also its one environment's name. */
export function satelliteApplicationName(platform: Platform, app: 'pim' | 'connector' | 'mirakl'): string {
  return `${platform.client.name}-${app}`;
}

/** An environment's Magento database instance (document: awsrds-client-magento-prod-...). */
export function magentoDatabaseIdentifier(platform: Platform, environment: string): string {
  return `${platform.client.name}-magento-${environment}`;
}

/** Where an environment's HTTPS listener ARN is published (the maintenance rules go on it). */
export function httpsListenerParameter(platform: Platform, environment: string): string {
  return `/${platform.project}/${environment}/load-balancer/https-listener-arn`;
}

/** Where the NAT gateways' public addresses are published (exempt from maintenance). */
export function natAddressesParameter(platform: Platform): string {
  return `/${platform.project}/shared/nat-addresses`;
}

/** Where the release artifacts bucket's name is published (the Storage stack). */
export function releaseArtifactsParameter(platform: Platform): string {
  return `/${platform.project}/shared/buckets/release-artifacts`;
}

/** The lock of an environment's releases (an SSM parameter created only when absent). */
export function releaseLockParameter(platform: Platform, environment: string, app: string): string {
  return `/${platform.project}/${environment}/release-lock/${app}`;
}

/** Where the id of the instance named `name` (its internal name, e.g. `nfs`, `vpn`) is published. */
export function instanceIdParameter(platform: Platform, name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`${name} is not an instance name ([a-z0-9-]+)`);
  return `/${platform.project}/instances/${name}/id`;
}
