import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { describe, expect, it } from 'vitest';
import {
  AWS_CUSTOM_RESOURCE_PROVIDER_ID,
  EbsEncryptionByDefault,
} from '../../src/infra/account/ebs-encryption-by-default.ts';
import { readProjectContext } from '../../src/infra/app.ts';
import { addComplianceGates } from '../../src/infra/gates/index.ts';
import { summarizeAssembly, validationFindings } from '../../src/infra/synth.ts';
import { PROJECT_ROOT } from '../support.ts';
import { ENV, newStack, ofType, only, type Resources, resourcesOf, target } from './template.ts';

const ENABLE_CALL = {
  service: 'EC2',
  action: 'EnableEbsEncryptionByDefault',
  physicalResourceId: { id: 'ebs-encryption-by-default' },
  outputPaths: ['EbsEncryptionByDefault'],
};

function synthEncryption(): Resources {
  const stack = newStack();
  new EbsEncryptionByDefault(stack, 'EbsEncryptionByDefault');
  return resourcesOf(Template.fromStack(stack));
}

describe('EbsEncryptionByDefault', () => {
  it('calls EC2 EnableEbsEncryptionByDefault on create and on update, under one fixed physical ID', () => {
    const [, resource] = only(synthEncryption(), 'Custom::EbsEncryptionByDefault');
    expect(JSON.parse(resource.Properties.Create)).toEqual(ENABLE_CALL);
    expect(JSON.parse(resource.Properties.Update)).toEqual(ENABLE_CALL);
    // The Lambda runtime's own SDK: nothing is downloaded at deploy.
    expect(resource.Properties.InstallLatestAwsSdk).toBe(false);
  });

  it('calls nothing on delete: removing the stack leaves the account encrypting new volumes', () => {
    const [, resource] = only(synthEncryption(), 'Custom::EbsEncryptionByDefault');
    expect(resource.Properties.Delete).toBeUndefined();
    expect(Object.keys(resource.Properties).sort()).toEqual([
      'Create',
      'InstallLatestAwsSdk',
      'ServiceToken',
      'Update',
    ]);
  });

  it('allows its function the EC2 action and writes to its own log group, nothing else, in a customer managed policy', () => {
    const resources = synthEncryption();
    const [functionId, fn] = only(resources, 'AWS::Lambda::Function');
    const [roleId, role] = only(resources, 'AWS::IAM::Role');
    const [policyId, policy] = only(resources, 'AWS::IAM::ManagedPolicy');
    const [logGroupId] = only(resources, 'AWS::Logs::LogGroup');

    expect(functionId).toMatch(new RegExp(`^${AWS_CUSTOM_RESOURCE_PROVIDER_ID}`));
    expect(target(fn.Properties.Role)).toBe(roleId);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    // No AWS managed policy (AWSLambdaBasicExecutionRole would open every log group) and no inline one.
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: policyId }]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(ofType(resources, 'AWS::IAM::Policy')).toEqual([]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Action: 'ec2:EnableEbsEncryptionByDefault', Effect: 'Allow', Resource: '*' },
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
  });

  it('logs to a log group kept a year, encrypted with the stack’s logs key and retained', () => {
    const resources = synthEncryption();
    const [, fn] = only(resources, 'AWS::Lambda::Function');
    const [logGroupId, logGroup] = only(resources, 'AWS::Logs::LogGroup');
    const [keyId] = only(resources, 'AWS::KMS::Key');
    expect(target(fn.Properties.LoggingConfig.LogGroup)).toBe(logGroupId);
    expect(logGroup).toMatchObject({
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets a Beanstalk environment wait for the default before it launches an instance', () => {
    // GIVEN
    const stack = newStack();
    const encryption = new EbsEncryptionByDefault(stack, 'EbsEncryptionByDefault');
    const environment = new elasticbeanstalk.CfnEnvironment(stack, 'Environment', { applicationName: 'magento' });
    // WHEN
    environment.node.addDependency(encryption.resource);
    // THEN
    const resources = resourcesOf(Template.fromStack(stack));
    const [resourceId] = only(resources, 'Custom::EbsEncryptionByDefault');
    expect((resources.Environment as { DependsOn?: string[] }).DependsOn).toContain(resourceId);
  });

  it('refuses a stack whose AwsCustomResource function already exists, with a role it would not control', () => {
    const stack = newStack();
    new AwsCustomResource(stack, 'Earlier', {
      onCreate: { service: 'EC2', action: 'DescribeRegions', physicalResourceId: PhysicalResourceId.of('regions') },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    expect(() => new EbsEncryptionByDefault(stack, 'EbsEncryptionByDefault')).toThrow(
      /Storage\/EbsEncryptionByDefault: must be the first AwsCustomResource of stack Storage/,
    );
  });

  it('passes the AwsSolutions and PCI DSS 3.2.1 packs with its two findings acknowledged and none left', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'storestack-ebs-encryption-'));
    const app = new App({
      outdir,
      context: { ...readProjectContext(PROJECT_ROOT), '@aws-cdk/core:failSynthOnValidationErrors': false },
    });
    addComplianceGates(app);
    new EbsEncryptionByDefault(new Stack(app, 'Account', { env: ENV }), 'EbsEncryptionByDefault');

    app.synth();

    expect(validationFindings(outdir)).toEqual([]);
    // The two acknowledged: IAM5 for the EC2 action on "*", LambdaInsideVPC for the function.
    expect(summarizeAssembly(outdir)).toEqual([expect.objectContaining({ stack: 'Account', acknowledged: 2 })]);
  });
});
