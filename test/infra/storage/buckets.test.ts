import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../src/config/schema.ts';
import { readProjectContext } from '../../../src/infra/app.ts';
import { PlatformBackup } from '../../../src/infra/backup/platform-backup.ts';
import { addComplianceGates } from '../../../src/infra/gates/index.ts';
import { ELB_LOG_DELIVERY_SERVICE, PlatformBuckets } from '../../../src/infra/storage/buckets/platform-buckets.ts';
import { SecureBucket } from '../../../src/infra/storage/buckets/secure-bucket.ts';
import { validationFindings } from '../../../src/infra/synth.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { ENV, newStack, type Resource, type Resources, resourcesOf, retainedRotatingKey } from '../template.ts';

type BucketsConfig = Platform['storage']['buckets'];
type Statement = { Effect: string; Principal: unknown; Action: unknown; Resource: unknown; Condition?: unknown };

const DEFAULTS: BucketsConfig = { tempStorageExpirationDays: 30, accessLogExpirationDays: 365, terraformState: false };
const ACME_BUCKETS = [
  'acme-s3-access-logs',
  'acme-billing',
  'acme-magento-config',
  'acme-magento-elb-logs',
  'acme-temp-storage',
  'acme-release-artifacts',
];

function synthBuckets(options: { config?: Partial<BucketsConfig>; clientName?: string; region?: string } = {}) {
  const env = { ...ENV, region: options.region ?? ENV.region };
  const stack = newStack(env);
  const buckets = new PlatformBuckets(stack, 'Buckets', {
    clientName: options.clientName ?? 'acme',
    region: env.region,
    account: env.account,
    config: { ...DEFAULTS, ...options.config },
  });
  const template = Template.fromStack(stack);
  return { stack, buckets, template, resources: resourcesOf(template) };
}

/** Every bucket of the template by name, with its logical ID. */
function bucketsByName(resources: Resources): Map<string, { id: string; bucket: Resource }> {
  return new Map(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::S3::Bucket')
      .map(([id, bucket]) => [bucket.Properties.BucketName as string, { id, bucket }]),
  );
}

function policyStatements(resources: Resources, bucketId: string): Statement[] {
  const policy = Object.values(resources).find(
    (resource) =>
      resource.Type === 'AWS::S3::BucketPolicy' && (resource.Properties.Bucket as { Ref: string }).Ref === bucketId,
  );
  return ((policy?.Properties.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ??
    []) as Statement[];
}

function lifecycleRules(bucket: Resource): Record<string, unknown>[] {
  return (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
}

describe('PlatformBuckets', () => {
  let resources: Resources;
  let template: Template;
  let byName: Map<string, { id: string; bucket: Resource }>;

  beforeAll(() => {
    ({ resources, template } = synthBuckets());
    byName = bucketsByName(resources);
  });

  it('names the buckets of document 7.D from the client name', () => {
    expect([...byName.keys()].sort()).toEqual([...ACME_BUCKETS].sort());
  });

  it('creates the Terraform remote-state bucket only when the configuration asks for it', () => {
    expect(byName.has('acme-terraform-remote-state-storage')).toBe(false);
    const { buckets, resources: withState } = synthBuckets({ config: { terraformState: true } });
    expect(buckets.terraformState).toBeDefined();
    const state = bucketsByName(withState).get('acme-terraform-remote-state-storage');
    expect(state?.bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('blocks all public access and disables ACLs on every bucket', () => {
    for (const [name, { bucket }] of byName) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, name).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls, name).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
    }
  });

  it('encrypts every bucket with the platform key, except the load balancer logs with S3-managed keys', () => {
    const keyId = retainedRotatingKey(template);
    for (const [name, { bucket }] of byName) {
      const expected =
        name === 'acme-magento-elb-logs'
          ? { SSEAlgorithm: 'AES256' }
          : { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } };
      expect(bucket.Properties.BucketEncryption, name).toEqual({
        ServerSideEncryptionConfiguration: [expect.objectContaining({ ServerSideEncryptionByDefault: expected })],
      });
    }
  });

  it('denies every request over plain HTTP or TLS older than 1.2, on every bucket', () => {
    for (const [name, { id }] of byName) {
      const denials = policyStatements(resources, id).filter((statement) => statement.Effect === 'Deny');
      expect(denials, name).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
  });

  it("sends every bucket's server access logs to the access-log bucket, under the bucket's name", () => {
    const accessLogs = byName.get('acme-s3-access-logs');
    expect(accessLogs?.bucket.Properties.LoggingConfiguration).toBeUndefined();
    for (const [name, { bucket }] of byName) {
      if (name === 'acme-s3-access-logs') continue;
      expect(bucket.Properties.LoggingConfiguration, name).toEqual({
        DestinationBucketName: { Ref: accessLogs?.id },
        LogFilePrefix: `${name}/`,
      });
    }
    // Delivery is allowed by the bucket policy, which bucket owner enforced ownership requires.
    expect(policyStatements(resources, accessLogs?.id as string)).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
      }),
    );
  });

  it('grants log delivery by bucket policy even in an app without the project context (no ACLs)', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Bare', { env: ENV });
    new PlatformBuckets(stack, 'Buckets', {
      clientName: 'acme',
      region: ENV.region,
      account: ENV.account,
      config: DEFAULTS,
    });
    const bare = Template.fromStack(stack);
    bare.allResourcesProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      AccessControl: Match.absent(),
    });
    bare.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' } })]),
      },
    });
  });

  it('retains every bucket when its stack is deleted or the bucket replaced', () => {
    for (const [name, { bucket }] of byName) {
      expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy], name).toEqual(['Retain', 'Retain']);
    }
  });

  it('versions every bucket but temporary storage, and expires previous versions after 90 days', () => {
    for (const [name, { bucket }] of byName) {
      const versioned = name !== 'acme-temp-storage';
      expect(bucket.Properties.VersioningConfiguration, name).toEqual(versioned ? { Status: 'Enabled' } : undefined);
      const noncurrent = lifecycleRules(bucket).find((rule) => rule.NoncurrentVersionExpiration);
      expect(noncurrent?.NoncurrentVersionExpiration, name).toEqual(versioned ? { NoncurrentDays: 90 } : undefined);
    }
  });

  it('expires temporary storage and both kinds of access logs after the configured days, and nothing else', () => {
    const { resources: custom } = synthBuckets({
      config: { tempStorageExpirationDays: 7, accessLogExpirationDays: 400 },
    });
    const expiry = Object.fromEntries(
      [...bucketsByName(custom)].map(([name, { bucket }]) => [
        name,
        lifecycleRules(bucket).find((rule) => rule.ExpirationInDays)?.ExpirationInDays,
      ]),
    );
    expect(expiry).toEqual({
      'acme-s3-access-logs': 400,
      'acme-billing': undefined,
      'acme-magento-config': undefined,
      'acme-magento-elb-logs': 400,
      'acme-temp-storage': 7,
      'acme-release-artifacts': undefined,
    });
  });

  it("lets eu-west-3's Elastic Load Balancing account write load balancer logs under AWSLogs/<account>/", () => {
    expect(RegionInfo.get('eu-west-3').elbv2Account).toBe('009996457667');
    const elbLogs = byName.get('acme-magento-elb-logs');
    expect(policyStatements(resources, elbLogs?.id as string)).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::009996457667:root' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [elbLogs?.id, 'Arn'] }, '/AWSLogs/123456789012/*']] },
      }),
    );
  });

  it('lets the log delivery service principal write load balancer logs in a region without an ELB account', () => {
    expect(RegionInfo.get('ap-southeast-4').elbv2Account).toBeUndefined();
    const { template: melbourne } = synthBuckets({ region: 'ap-southeast-4' });
    melbourne.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: ELB_LOG_DELIVERY_SERVICE },
            Action: 's3:PutObject',
          }),
        ]),
      },
    });
  });

  it('refuses a region or account other than those of its stack', () => {
    const stack = newStack();
    const props = { clientName: 'acme', region: ENV.region, account: ENV.account, config: DEFAULTS };
    expect(() => new PlatformBuckets(stack, 'WrongRegion', { ...props, region: 'eu-west-1' })).toThrow(
      /region "eu-west-1" is not the region of stack Storage \("eu-west-3"\)/,
    );
    expect(() => new PlatformBuckets(stack, 'WrongAccount', { ...props, account: '210987654321' })).toThrow(
      /account "210987654321" is not the account of stack Storage/,
    );
  });
});

describe('SecureBucket', () => {
  /** The props of a valid bucket, which each test breaks in one way. */
  const SCRATCH = { bucketName: 'acme-scratch', purpose: 'scratch files', versioned: false };

  it('refuses an expiry that is not a whole number of days, naming the prop and the bucket', () => {
    const stack = newStack();
    expect(() => new SecureBucket(stack, 'Scratch', { ...SCRATCH, expirationDays: 0 })).toThrow(
      /Storage\/Scratch \(scratch files\): expirationDays must be a whole number of days, at least 1; got 0/,
    );
  });

  it('refuses to log into a bucket where CDK would grant log delivery by ACL', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Bare');
    const logs = new s3.Bucket(stack, 'Logs');
    expect(
      () =>
        new SecureBucket(stack, 'Scratch', { ...SCRATCH, serverAccessLogs: { bucket: logs, prefix: 'acme-scratch/' } }),
    ).toThrow(/need the feature flag @aws-cdk\/aws-s3:serverAccessLogsUseBucketPolicy/);
  });

  it('refuses a server access log prefix that does not end with a slash', () => {
    const stack = newStack();
    const logs = new s3.Bucket(stack, 'Logs');
    expect(
      () =>
        new SecureBucket(stack, 'Scratch', { ...SCRATCH, serverAccessLogs: { bucket: logs, prefix: 'acme-scratch' } }),
    ).toThrow(/serverAccessLogs.prefix must end with "\/"/);
  });
});

describe('the gates', () => {
  it('report no finding for the buckets and the backup plan, and do report a plain bucket beside them', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'storestack-buckets-'));
    const app = new App({
      outdir,
      context: { ...readProjectContext(PROJECT_ROOT), '@aws-cdk/core:failSynthOnValidationErrors': false },
    });
    addComplianceGates(app);
    const storage = new Stack(app, 'Storage', { env: ENV });
    new PlatformBuckets(storage, 'Buckets', {
      clientName: 'acme',
      region: ENV.region,
      account: ENV.account,
      // The Terraform bucket too, so that its acknowledgements are checked.
      config: { ...DEFAULTS, terraformState: true },
    });
    new PlatformBackup(storage, 'Backup', {
      retentionDays: 35,
      scheduleCron: 'cron(0 2 * * ? *)',
      vaultName: 'acme-storestack',
    });
    new s3.Bucket(new Stack(app, 'Loose', { env: ENV }), 'PlainBucket');

    app.synth();
    const findings = validationFindings(outdir);

    expect(findings.filter((finding) => finding.location.startsWith('Storage/'))).toEqual([]);
    expect(findings.filter((finding) => finding.location.startsWith('Loose/')).map((finding) => finding.rule)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1',
        'AwsSolutions-S10',
        'PCI.DSS.321-S3BucketSSLRequestsOnly',
        'PCI.DSS.321-S3DefaultEncryptionKMS',
      ]),
    );
  });
});
