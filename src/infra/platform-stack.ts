import { Stack, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, Platform } from '../config/schema.ts';

/** Tag keys every stack (and so every taggable resource) carries. */
export const TAG_PROJECT = 'project';
export const TAG_ENVIRONMENT = 'environment';
/** Resource types the stack tags skip (CloudFormation's schema for them has no Tags). */
const UNTAGGABLE_TYPES = ['AWS::ElasticLoadBalancingV2::Listener', 'AWS::CloudWatch::Dashboard'];
/** Value of the environment tag on stacks shared by every environment. */
export const SHARED_ENVIRONMENT = 'shared';

export interface PlatformStackProps {
  readonly platform: Platform;
  /** The stack's role in DESIGN.md's table, e.g. `Network`, `Data`. */
  readonly kind: string;
  /**
   * The environment the stack belongs to; its name is appended to the stack name.
   * @default - a stack shared by every environment
   */
  readonly environment?: EnvironmentConfig;
  /**
   * True for stacks that hold data or hand-installed software: they get termination
   * protection, and their stateful logical IDs are pinned by tests.
   */
  readonly stateful: boolean;
  readonly description: string;
  /**
   * The region, for the few resources that exist in one region only (CloudFront's metrics and
   * certificates: us-east-1).
   * @default - the configured region, aws.region
   */
  readonly region?: string;
  /**
   * Whether the stack takes or gives references across regions (CDK's SSM-based mechanism).
   * @default false
   */
  readonly crossRegionReferences?: boolean;
}

/** A stack of the platform: named `<project>-<kind>[-<env>]`, tagged, placed in the configured account. */
export class PlatformStack extends Stack {
  static nameOf(platform: Platform, kind: string, environment?: EnvironmentConfig): string {
    return [platform.project, kind, environment?.name].filter(Boolean).join('-');
  }

  readonly platform: Platform;
  readonly environmentName: string;
  readonly stateful: boolean;

  constructor(scope: Construct, props: PlatformStackProps) {
    const name = PlatformStack.nameOf(props.platform, props.kind, props.environment);
    const tags = {
      [TAG_PROJECT]: props.platform.project,
      [TAG_ENVIRONMENT]: props.environment?.name ?? SHARED_ENVIRONMENT,
    };
    super(scope, name, {
      stackName: name,
      description: props.description,
      env: { account: props.platform.aws.account, region: props.region ?? props.platform.aws.region },
      crossRegionReferences: props.crossRegionReferences ?? false,
      terminationProtection: props.stateful,
      // The stack's own tags (in the assembly's manifest, on the CloudFormation stack)...
      tags,
    });
    this.platform = props.platform;
    this.environmentName = tags[TAG_ENVIRONMENT];
    this.stateful = props.stateful;
    // ...and on every taggable resource in the template (explicitStackTags keeps them apart).
    // Not on listeners and dashboards: CloudFormation's published schema for them (what cfn-lint checks) has no Tags.
    for (const [key, value] of Object.entries(tags)) {
      Tags.of(this).add(key, value, { excludeResourceTypes: UNTAGGABLE_TYPES });
    }
  }
}
