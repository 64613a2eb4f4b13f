// Which Beanstalk environments and instances an operational command works on: the names come from
// src/config/names.ts (the stacks create the environments with them), the instances from Elastic
// Beanstalk at the time of the command (Auto Scaling replaces them).
import type { BeanstalkEnvironments } from '../aws/beanstalk.ts';
import { CliError } from '../cli/command.ts';
import {
  magentoEnvironmentNames,
  RELEASE_APPLICATIONS,
  type ReleaseApplication,
  satelliteApplicationName,
} from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import { awsStep, BAD_INPUT } from './aws.ts';

/** The applications a command works on (names.ts's list: the ones storestack releases). */
export const APPS = RELEASE_APPLICATIONS;
export type App = ReleaseApplication;

/** The two Magento Beanstalk environments of an environment. */
export const MAGENTO_ROLES = ['frontend', 'backoffice'] as const;
export type MagentoRole = (typeof MAGENTO_ROLES)[number];

/** An EC2 instance id, as `--instance` accepts it (it goes into no script, but a typo should say so early). */
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** An instance of a Beanstalk environment. */
export interface Target {
  readonly instanceId: string;
  readonly environment: string;
}

/** Fails with the known names unless `env` is an environment of the configuration. */
export function requireEnvironment(platform: Platform, env: string): void {
  const names = platform.environments.map((environment) => environment.name);
  if (!names.includes(env)) {
    throw new CliError(`--env ${env} is not an environment of the configuration (${names.join(', ')})`, BAD_INPUT);
  }
}

/** The Magento Beanstalk environments of `env` for `roles`, front end first. */
export function magentoEnvironments(platform: Platform, env: string, roles: readonly MagentoRole[]): string[] {
  requireEnvironment(platform, env);
  const names = magentoEnvironmentNames(platform, env);
  return MAGENTO_ROLES.filter((role) => roles.includes(role)).map((role) =>
    role === 'frontend' ? names.frontend : names.backOffice,
  );
}

/** A satellite application's one Beanstalk environment. */
export function satelliteEnvironment(platform: Platform, app: Exclude<App, 'magento'>): string {
  return satelliteApplicationName(platform, app);
}

/** The instances of each environment, in the order of `environments`, each environment's sorted by id. */
export async function instancesOf(
  beanstalk: BeanstalkEnvironments,
  environments: readonly string[],
): Promise<Target[]> {
  const targets: Target[] = [];
  for (const environment of environments) {
    const instances = await awsStep(`listing the instances of ${environment} (DescribeInstancesHealth)`, () =>
      beanstalk.instances(environment),
    );
    for (const instance of instances) targets.push({ instanceId: instance.id, environment });
  }
  return targets;
}
