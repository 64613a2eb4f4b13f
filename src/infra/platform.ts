import type { App } from 'aws-cdk-lib';
import type { Platform } from '../config/schema.ts';
import { NetworkStack } from './stacks/network-stack.ts';

/** Every stack of the platform, shared ones and one set per environment. */
export interface PlatformStacks {
  readonly network: NetworkStack;
}

/**
 * Adds the whole platform to an app: the shared stacks, then one set per
 * environment (DESIGN.md, "Stacks"). Decisions are made here in TypeScript,
 * never with CloudFormation conditions.
 */
export function buildPlatform(app: App, platform: Platform): PlatformStacks {
  const network = new NetworkStack(app, { platform });
  return { network };
}
