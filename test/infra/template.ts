// Shared helpers of the infrastructure tests: typed views of a synthesized CloudFormation
// template, lookups by type and by reference, and the bare stack the construct tests build in.
import { gunzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { readProjectContext } from '../../src/infra/app.ts';
import { PROJECT_ROOT } from '../support.ts';

/** A resource's properties: untyped JSON, which the tests read freely. */
// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON
export type Properties = Record<string, any>;

/** One resource of a template. */
export interface Resource {
  Type: string;
  Properties: Properties;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** A template's Resources section, by logical ID. */
export type Resources = Record<string, Resource>;

/** A template's Outputs section, by logical ID. */
export type Outputs = Record<string, { Value: unknown; Export?: { Name: string } }>;

/** A tag as CloudFormation renders it. */
export type Tag = { Key: string; Value: string };

/** The account and region of the stacks the construct tests build. */
export const ENV = { account: '123456789012', region: 'eu-west-3' };

/** The egress of a group with `allowAllOutbound: false`: a rule matching no traffic, so EC2 adds no allow-all. */
export const NO_EGRESS = [
  {
    CidrIp: '255.255.255.255/32',
    Description: 'Disallow all traffic',
    FromPort: 252,
    IpProtocol: 'icmp',
    ToPort: 86,
  },
];

/** The Resources section of a synthesized template. */
export function resourcesOf(template: Template): Resources {
  return template.toJSON().Resources as Resources;
}

/** The Outputs section of a synthesized template, `{}` when it has none. */
export function outputsOf(template: Template): Outputs {
  return (template.toJSON().Outputs ?? {}) as Outputs;
}

/** The resources of `type`, as `[logical ID, resource]` pairs in template order. */
export function ofType(resources: Resources, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource of `type`, as `[logical ID, resource]`; fails the test unless there is exactly one. */
export function only(resources: Resources, type: string): [string, Resource] {
  const found = ofType(resources, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The logical ID a `{ Ref }` or `{ Fn::GetAtt }` points at. */
export function target(value: unknown): string {
  const token = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return token.Ref ?? token['Fn::GetAtt']?.[0] ?? `not a reference: ${JSON.stringify(value)}`;
}

/** What an `Fn::ImportValue` of the Network stack's export stands for in the Network stack's own outputs; any other value as it is. */
export function exported(outputs: Outputs, value: unknown): unknown {
  const name = (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  if (!name) return value;
  const output = Object.values(outputs).find((candidate) => candidate.Export?.Name === name);
  return output?.Value ?? `no Network export named ${name}`;
}

/** A resource's tags, from `property` (`Tags`, or e.g. `FileSystemTags` where the type names it otherwise); none: `[]`. */
export function tagsOf(resource: Resource, property = 'Tags'): Tag[] {
  return (resource.Properties[property] as Tag[] | undefined) ?? [];
}

/** The value of a resource's `Name` tag. */
export function nameOf(resource: Resource): string | undefined {
  return tagsOf(resource).find((tag) => tag.Key === 'Name')?.Value;
}

/** The SSM parameters of `resources`: each one's value by its name. */
export function parametersOf(resources: Resources): Map<string, unknown> {
  return new Map(
    ofType(resources, 'AWS::SSM::Parameter').map(([, parameter]) => [
      parameter.Properties.Name as string,
      parameter.Properties.Value,
    ]),
  );
}

/** The type of each of `logicalIds` in `resources` (`missing` where there is none), to compare with the pinned types. */
export function typesOf(resources: Resources, logicalIds: readonly string[]): Record<string, string> {
  return Object.fromEntries(logicalIds.map((logicalId) => [logicalId, resources[logicalId]?.Type ?? 'missing']));
}

/** A stack `Storage` in `env`, with the project's feature flags (cdk.json), no validation engine and no gates. */
export function newStack(env = ENV): Stack {
  const app = new App({ context: readProjectContext(PROJECT_ROOT), builtinCloudFormationValidation: false });
  return new Stack(app, 'Storage', { env });
}

/** The logical ID of the template's KMS key; fails the test unless it is the only one, rotating and retained. */
export function retainedRotatingKey(template: Template): string | undefined {
  const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
  template.resourceCountIs('AWS::KMS::Key', 1);
  template.hasResource('AWS::KMS::Key', {
    Properties: { EnableKeyRotation: true },
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
  });
  return keyId;
}

/**
 * An instance's user data as the script it runs, each `Ref` written `<Ref logicalId>` (an import
 * `<ImportValue name>`); a
 * compressed one (see fitUserData) unpacked, its placeholders put back as the wrapper does.
 */
export function userDataScript(instance: Resource): string {
  const userData = instance.Properties.UserData['Fn::Base64'] as string | { 'Fn::Join': [string, unknown[]] };
  const [separator, parts] = typeof userData === 'string' ? ['', [userData]] : userData['Fn::Join'];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref: ref, 'Fn::ImportValue': imported } = part as { Ref?: string; 'Fn::ImportValue'?: string };
      if (ref !== undefined) return `<Ref ${ref}>`;
      if (imported !== undefined) return `<ImportValue ${imported}>`;
      throw new Error(`unexpected intrinsic in the user data: ${JSON.stringify(part)}`);
    })
    .join(separator);
  const payload = /<<'STORESTACK_PAYLOAD'[^\n]*\n([\s\S]*?)\nSTORESTACK_PAYLOAD\n/.exec(text)?.[1];
  if (payload === undefined) return text;
  let script = gunzipSync(Buffer.from(payload, 'base64')).toString('utf8');
  for (const [, value, placeholder] of text.matchAll(
    /^value='([^']*)'\ncontent="\$\{content\/\/(@STORESTACK_TOKEN_\d+@)\//gm,
  )) {
    script = script.replaceAll(placeholder as string, value as string);
  }
  return script;
}
