import type { App } from 'aws-cdk-lib';
import type { Platform } from '../config/schema.ts';
import { AppsDataStack } from './stacks/apps-data-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { NetworkStack } from './stacks/network-stack.ts';
import { StorageStack } from './stacks/storage-stack.ts';

/** Every stack of the platform, shared ones and one set per environment. */
export interface PlatformStacks {
  readonly network: NetworkStack;
  readonly storage: StorageStack;
  readonly appsData: AppsDataStack;
  /** Per environment name. */
  readonly data: ReadonlyMap<string, DataStack>;
}

/**
 * Adds the whole platform to an app: the shared stacks, then one set per
 * environment (DESIGN.md, "Stacks"). Decisions are made here in TypeScript,
 * never with CloudFormation conditions.
 */
export function buildPlatform(app: App, platform: Platform): PlatformStacks {
  const network = new NetworkStack(app, { platform });
  const storage = new StorageStack(app, { platform, network });
  const data = new Map(
    platform.environments.map((environment) => [
      environment.name,
      new DataStack(app, { platform, environment, network }),
    ]),
  );
  const appsData = new AppsDataStack(app, { platform, network });
  return { network, storage, appsData, data };
}
