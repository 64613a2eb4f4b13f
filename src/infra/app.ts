import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type IPolicyValidationPlugin, Validations } from 'aws-cdk-lib';
import type { Platform } from '../config/schema.ts';
import { addComplianceGates } from './gates/index.ts';
import { buildPlatform, type PlatformStacks } from './platform.ts';

export interface PlatformAppOptions {
  readonly platform: Platform;
  /**
   * Where the cloud assembly is written.
   * @default - the CDK's default (`cdk.out`, or the directory the cdk CLI asks for)
   */
  readonly outdir?: string;
  /**
   * Context for the app. Under the cdk CLI the CLI passes cdk.json's and
   * cdk.context.json's context itself; in-process synthesis reads them with
   * `readProjectContext`.
   * @default - only the context the cdk CLI passes
   */
  readonly context?: Record<string, unknown>;
  /**
   * Whether the validation gates run at synthesis: aws-cdk-lib's CloudFormation
   * validation and the cdk-nag packs. Unit tests of a single construct turn them
   * off for speed; every synthesis that writes `cdk.out` keeps them.
   * @default true
   */
  readonly gates?: boolean;
  /**
   * Validation plugins that run before the gates' (the in-process synth starts cfn-lint
   * this way, as soon as the templates are written).
   * @default - none
   */
  readonly firstValidationPlugins?: readonly IPolicyValidationPlugin[];
}

/** The CDK app of the platform, its stacks built and its gates registered. */
export function createPlatformApp(options: PlatformAppOptions): { app: App; stacks: PlatformStacks } {
  const gates = options.gates ?? true;
  const app = new App({
    outdir: options.outdir,
    context: options.context,
    analyticsReporting: false,
    builtinCloudFormationValidation: gates,
  });
  const stacks = buildPlatform(app, options.platform);
  if (options.firstValidationPlugins?.length) Validations.of(app).addPlugins(...options.firstValidationPlugins);
  if (gates) addComplianceGates(app);
  return { app, stacks };
}

/** The context the cdk CLI would pass: cdk.json's `context`, then cdk.context.json (cached lookups). */
export function readProjectContext(projectRoot: string): Record<string, unknown> {
  const read = (file: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(join(projectRoot, file), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`${join(projectRoot, file)}: ${(error as Error).message}`);
    }
  };
  const cdkJson = read('cdk.json');
  return { ...(cdkJson.context as Record<string, unknown> | undefined), ...read('cdk.context.json') };
}
