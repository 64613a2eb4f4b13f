// The validation gates, with everything on: aws-cdk-lib's CloudFormation
// validation, cdk-nag's AwsSolutions and PCI DSS 3.2.1 packs, cfn-lint.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import type { RunProcess } from '../../src/infra/gates/cfn-lint.ts';
import { acknowledge } from '../../src/infra/gates/index.ts';
import { SUMMARY_FILE, type SynthReport, synthesizePlatform, validationFindings } from '../../src/infra/synth.ts';
import { PROJECT_ROOT, samplePlatform } from '../support.ts';
import { ENV } from './template.ts';

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'storestack-gates-'));
}

/** Synthesizes the sample platform plus `addExtra`'s constructs with every gate, and returns the findings. */
function findingsWith(addExtra: (stack: Stack) => void) {
  const outdir = temporaryDirectory();
  const { app } = createPlatformApp({
    platform: samplePlatform(),
    outdir,
    context: { ...readProjectContext(PROJECT_ROOT), '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  addExtra(new Stack(app, 'Extra', { env: ENV }));
  app.synth();
  return validationFindings(outdir);
}

const cfnLintMissing: RunProcess = async () => undefined;

describe('the sample platform', () => {
  let report: SynthReport;
  let outdir: string;

  beforeAll(async () => {
    outdir = join(temporaryDirectory(), 'cdk.out');
    report = await synthesizePlatform({
      platform: samplePlatform(),
      projectRoot: PROJECT_ROOT,
      outdir,
      lintCacheDir: temporaryDirectory(),
    });
  });

  it('passes every gate with no unacknowledged finding', () => {
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    const statuses = Object.fromEntries(report.gates.map((gate) => [gate.gate, gate.status]));
    expect(statuses).toMatchObject({
      'CloudFormation Validate': 'passed',
      AwsSolutions: 'passed',
      'PCI.DSS.321': 'passed',
    });
    // cfn-lint is a gate wherever the machine has it; elsewhere the report says it was skipped.
    expect(['passed', 'skipped']).toContain(statuses['cfn-lint']);
  });

  it('writes the assembly and a summary of every stack into the output directory', () => {
    expect(existsSync(join(outdir, 'storestack-Network.template.json'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(outdir, SUMMARY_FILE), 'utf8'));
    expect(summary.stacks).toEqual(report.stacks);
    const network = report.stacks.find((stack) => stack.stack === 'storestack-Network');
    expect(network).toMatchObject({ environment: 'shared', stateful: true });
    expect(network?.resources).toBeGreaterThan(40);
    // The public subnets' route to the internet is acknowledged with its reason.
    expect(network?.acknowledged).toBeGreaterThan(0);
  });
});

describe('the gates', () => {
  it('fail on a bucket that accepts plain HTTP and a security group open to the world', () => {
    const findings = findingsWith((stack) => {
      new s3.Bucket(stack, 'LooseBucket');
      const group = new ec2.SecurityGroup(stack, 'OpenGroup', {
        vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-12345678', availabilityZones: ['eu-west-3a'] }),
      });
      group.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
    });
    const rules = findings.filter((finding) => finding.location.startsWith('Extra/')).map((f) => `${f.gate}:${f.rule}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions:AwsSolutions-S10',
        'PCI.DSS.321:PCI.DSS.321-S3BucketSSLRequestsOnly',
        'AwsSolutions:AwsSolutions-EC23',
      ]),
    );
    // The platform's own stacks stay clean: only the extra stack fails.
    expect(findings.filter((finding) => !finding.location.startsWith('Extra/'))).toEqual([]);
  });

  it('fail on a template CloudFormation would reject', () => {
    const findings = findingsWith((stack) => {
      new CfnResource(stack, 'Subnet', {
        type: 'AWS::EC2::Subnet',
        properties: { VpcId: 'vpc-12345678', CidrBlock: '10.0.1.0/24', Bogus: 1 },
      });
    });
    expect(findings).toContainEqual(
      expect.objectContaining({ gate: 'CloudFormation Validate', location: 'Extra/Subnet', rule: 'F3002' }),
    );
  });

  it('accept a finding acknowledged with a reason, on that construct only', () => {
    const findings = findingsWith((stack) => {
      const accepted = new s3.Bucket(stack, 'AcceptedBucket', { enforceSSL: true });
      new s3.Bucket(stack, 'OtherBucket', { enforceSSL: true });
      acknowledge(accepted, {
        id: 'AwsSolutions-S1',
        reason: 'Test bucket: its access is logged by the bucket that receives the access logs.',
      });
    });
    const s1 = findings.filter((finding) => finding.rule === 'AwsSolutions-S1').map((finding) => finding.location);
    expect(s1).toEqual(['Extra/OtherBucket/Resource']);
  });

  it('refuse an acknowledgement without a reason a reviewer can check', () => {
    const scope = new Construct(new Stack(), 'Scope');
    expect(() => acknowledge(scope, { id: 'AwsSolutions-S1', reason: 'not needed' })).toThrow(
      /acknowledgement of AwsSolutions-S1 needs a reason/,
    );
  });

  it('make the cdk CLI path fail too: the app itself fails synthesis on a finding', () => {
    const { app } = createPlatformApp({
      platform: samplePlatform(),
      outdir: temporaryDirectory(),
      context: { ...readProjectContext(PROJECT_ROOT), '@aws-cdk/core:appMode': 'inmemory' },
    });
    new s3.Bucket(new Stack(app, 'Extra', { env: ENV }), 'LooseBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

describe('storestack synth', () => {
  it('fails on a cfn-lint finding and leaves the existing cdk.out untouched', async () => {
    const outdir = join(temporaryDirectory(), 'cdk.out');
    const marker = join(outdir, 'previous-assembly');
    await synthesizePlatform({
      platform: samplePlatform(),
      projectRoot: PROJECT_ROOT,
      outdir,
      runProcess: cfnLintMissing,
    });
    writeFileSync(marker, 'the assembly of the previous synth');

    const lintError: RunProcess = async (_command, args) => ({
      exitCode: 2,
      stderr: '',
      stdout: JSON.stringify([
        {
          Filename: args[args.length - 1],
          Level: 'Error',
          Message: 'Property Foo is not allowed',
          Rule: { Id: 'E3002' },
          Location: { Path: ['Resources', 'Thing', 'Properties', 'Foo'] },
        },
      ]),
    });
    const report = await synthesizePlatform({
      platform: samplePlatform(),
      projectRoot: PROJECT_ROOT,
      outdir,
      runProcess: lintError,
      lintCacheDir: temporaryDirectory(),
    });

    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ gate: 'cfn-lint', rule: 'E3002', message: 'Error: Property Foo is not allowed' }),
    ]);
    expect(readFileSync(marker, 'utf8')).toBe('the assembly of the previous synth');
    expect(existsSync(`${outdir}.previous`)).toBe(false);
  });

  it('says that cfn-lint was skipped when the machine does not have it', async () => {
    const report = await synthesizePlatform({
      platform: samplePlatform(),
      projectRoot: PROJECT_ROOT,
      outdir: join(temporaryDirectory(), 'cdk.out'),
      runProcess: cfnLintMissing,
      lintCacheDir: temporaryDirectory(),
    });
    expect(report.ok).toBe(true);
    expect(report.gates).toContainEqual({
      gate: 'cfn-lint',
      status: 'skipped',
      detail: 'cfn-lint is not installed on this machine',
    });
  });
});
