// The secure defaults of every bucket of the platform, in one place (after
// aws-solutions-constructs' s3-bucket-defaults): what varies between buckets is a prop,
// everything else is not negotiable.
import { Duration, FeatureFlags, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import { type Acknowledgement, acknowledge } from '../../gates/index.ts';

/** How long a replaced or deleted object of a versioned bucket can still be restored. */
export const DEFAULT_NONCURRENT_VERSION_DAYS = 90;

/** The feature flag under which CDK grants S3 log delivery by bucket policy rather than by ACL. */
export const LOGS_BY_POLICY = cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY;

/** Multipart uploads a client abandoned stop costing storage after this many days. */
const INCOMPLETE_UPLOAD_DAYS = 7;

export interface ServerAccessLogs {
  /** The bucket that receives the logs; the platform's access-log bucket. */
  readonly bucket: s3.IBucket;
  /** Key prefix of this bucket's logs, e.g. `client-billing/`. */
  readonly prefix: string;
}

export interface SecureBucketProps {
  /** The bucket's global name, e.g. `client-billing`. */
  readonly bucketName: string;
  /** What the bucket holds, in a few words, for error messages and acknowledgement reasons. */
  readonly purpose: string;
  /**
   * The customer managed key of the bucket's default encryption (SSE-KMS, with an S3 Bucket Key
   * to keep KMS requests down).
   * @default - S3-managed encryption (SSE-S3): only for writers that cannot use SSE-KMS, such as
   * load balancer access log delivery
   */
  readonly encryptionKey?: kms.IKey;
  /** Whether objects are versioned: true wherever losing an object loses data. */
  readonly versioned: boolean;
  /**
   * Where S3 writes the bucket's server access logs.
   * @default - no server access logs: only for the bucket that receives them
   */
  readonly serverAccessLogs?: ServerAccessLogs;
  /**
   * Objects expire this many days after their creation.
   * @default - objects never expire
   */
  readonly expirationDays?: number;
  /**
   * Days a versioned bucket keeps an object's previous versions once replaced or deleted.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Gate findings this bucket accepts, each with the reason a reviewer can check (recorded in
   * one call, on the bucket).
   * @default - none: the bucket must pass every rule
   */
  readonly acknowledgements?: readonly Acknowledgement[];
}

function requireWholeDays(value: number | undefined, prop: string, context: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${context}: ${prop} must be a whole number of days, at least 1; got ${value}`);
  }
}

/**
 * An S3 bucket with the platform's non-negotiable defaults: all public access blocked, TLS 1.2
 * or later required by its policy, ACLs disabled (bucket owner enforced), encrypted at rest,
 * retained when its stack is deleted, abandoned multipart uploads cleaned up, and previous
 * versions of a versioned bucket expired after a set time.
 */
export class SecureBucket extends s3.Bucket {
  readonly purpose: string;
  /**
   * The bucket's name as written in config (`bucketName` is a reference): for policies that must
   * name objects under it without a cross-stack reference, e.g. `arn:aws:s3:::<name>/prod/*`.
   */
  readonly name: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    const context = `${scope.node.path}/${id} (${props.purpose})`;
    if (props.purpose.trim().length === 0)
      throw new Error(`${scope.node.path}/${id}: purpose must say what the bucket holds`);
    requireWholeDays(props.expirationDays, 'expirationDays', context);
    requireWholeDays(props.noncurrentVersionExpirationDays, 'noncurrentVersionExpirationDays', context);
    // Without the flag, CDK grants log delivery by an ACL, which bucket owner enforced ownership forbids.
    if (props.serverAccessLogs && !FeatureFlags.of(props.serverAccessLogs.bucket).isEnabled(LOGS_BY_POLICY)) {
      throw new Error(
        `${context}: server access logs into ${props.serverAccessLogs.bucket.node.path} need the feature flag ${LOGS_BY_POLICY} (cdk.json sets it; PlatformBuckets sets it for its own buckets)`,
      );
    }
    if (props.serverAccessLogs && !props.serverAccessLogs.prefix.endsWith('/')) {
      throw new Error(
        `${context}: serverAccessLogs.prefix must end with "/" so that each bucket's logs sit in their own folder; got "${props.serverAccessLogs.prefix}"`,
      );
    }

    const noncurrentDays = props.noncurrentVersionExpirationDays ?? DEFAULT_NONCURRENT_VERSION_DAYS;
    const lifecycleRules: s3.LifecycleRule[] = [
      {
        id: 'AbortIncompleteMultipartUploads',
        abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS),
      },
    ];
    if (props.expirationDays !== undefined) {
      lifecycleRules.push({ id: 'ExpireObjects', expiration: Duration.days(props.expirationDays) });
    }
    if (props.versioned) {
      lifecycleRules.push(
        { id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(noncurrentDays) },
        // S3 refuses ExpiredObjectDeleteMarker in a rule that also expires by age: a rule of its own.
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      );
    }

    super(scope, id, {
      bucketName: props.bucketName,
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Log delivery is granted by the bucket policy (@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy
      // in cdk.json), so even the access-log bucket needs no ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned,
      lifecycleRules,
      ...(props.serverAccessLogs
        ? {
            serverAccessLogsBucket: props.serverAccessLogs.bucket,
            serverAccessLogsPrefix: props.serverAccessLogs.prefix,
          }
        : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.purpose = props.purpose;
    this.name = props.bucketName;

    if (props.acknowledgements?.length) acknowledge(this, ...props.acknowledgements);
  }
}
