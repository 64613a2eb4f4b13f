import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import type { Platform } from '../../../config/schema.ts';
import type { Acknowledgement } from '../../gates/index.ts';
import {
  DEFAULT_NONCURRENT_VERSION_DAYS,
  LOGS_BY_POLICY,
  SecureBucket,
  type SecureBucketProps,
} from './secure-bucket.ts';

/** Writes ALB access logs in the regions that have no Elastic Load Balancing account (opened since August 2022). */
export const ELB_LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com';

export interface PlatformBucketsProps {
  /** The client's short name: every bucket is named `<clientName>-...` (document 7.D). */
  readonly clientName: string;
  /** The platform's region: it decides who delivers the load balancer logs. */
  readonly region: string;
  /** The platform's account: load balancers write their logs under `AWSLogs/<account>/`. */
  readonly account: string;
  readonly config: Platform['storage']['buckets'];
  /** Buckets of other stacks (by name) whose server access logs this stack's log bucket receives. */
  readonly loggedElsewhere?: readonly string[];
}

// Why no bucket replicates to another region; each reason ends with this fact.
const ONE_REGION =
  'the document plans no recovery in another region (one VPC, in one region), and S3 already stores every object across at least three AZs of the region';
const VERSIONS = `versioning keeps a replaced or deleted object ${DEFAULT_NONCURRENT_VERSION_DAYS} days`;

/** Why the bucket holding `purpose` has no cross-region replication (PCI DSS 3.2.1 rule). */
function notReplicated(purpose: string, why: string): Acknowledgement {
  return {
    id: 'PCI.DSS.321-S3BucketReplicationEnabled',
    reason: `The ${purpose} are not replicated to another region: ${why}.`,
  };
}

/**
 * The S3 buckets of document 7.D, named from the client's short name, none of them public:
 * billing documents, non-secret Magento configuration, load balancer logs, temporary storage,
 * release bundles, the server access logs of all of them and, when configured, the Terraform
 * remote state. One customer managed key encrypts every bucket but the load balancer log
 * bucket (ALB log delivery writes SSE-S3 only).
 */
export class PlatformBuckets extends Construct {
  /** Encrypts every bucket but `elbLogs`. */
  readonly key: kms.Key;
  /** Receives the server access logs of every other bucket, each under `<bucket name>/`. */
  readonly accessLogs: SecureBucket;
  /** Billing documents, analysed by Trackit. */
  readonly billing: SecureBucket;
  /** Non-secret Magento configuration files (the secrets are in Secrets Manager). */
  readonly magentoConfig: SecureBucket;
  /**
   * Access logs of the load balancers. They log without a prefix: delivery is allowed
   * under `AWSLogs/<account>/` only.
   */
  readonly elbLogs: SecureBucket;
  /** Archives kept for the length of an operation; nothing business-critical (document 7.D). */
  readonly tempStorage: SecureBucket;
  /** The release bundles the build uploads and Beanstalk deploys. */
  readonly releaseArtifacts: SecureBucket;
  /** Terraform's remote state; only when `config.terraformState` is true. */
  readonly terraformState?: SecureBucket;

  constructor(scope: Construct, id: string, props: PlatformBucketsProps) {
    super(scope, id);
    // The buckets' log delivery is granted by bucket policy whatever context the app was given
    // (cdk.json sets the same): ACL delivery would contradict bucket owner enforced ownership.
    this.node.setContext(LOGS_BY_POLICY, true);
    const { clientName, config } = props;
    const stack = Stack.of(this);
    for (const [prop, value, stackValue] of [
      ['region', props.region, stack.region],
      ['account', props.account, stack.account],
    ] as const) {
      if (!Token.isUnresolved(stackValue) && stackValue !== value) {
        throw new Error(
          `${this.node.path}: ${prop} "${value}" is not the ${prop} of stack ${stack.stackName} ("${stackValue}")`,
        );
      }
    }

    this.key = new kms.Key(this, 'Key', {
      description: `${clientName}: default encryption of the platform's S3 buckets`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const accessLogs = 'server access logs of the platform buckets';
    this.accessLogs = new SecureBucket(this, 'AccessLogs', {
      bucketName: `${clientName}-s3-access-logs`,
      purpose: accessLogs,
      encryptionKey: this.key,
      // An audit trail (PCI DSS 10.5): an overwrite or a deletion keeps the logged version.
      versioned: true,
      expirationDays: config.accessLogExpirationDays,
      // No serverAccessLogs: it cannot log into itself. The gates accept a bucket that receives
      // other buckets' logs without logs of its own (cdk-nag S3BucketLoggingEnabled).
      acknowledgements: [
        notReplicated(
          accessLogs,
          `${VERSIONS} (PCI DSS 10.5 integrity); ${ONE_REGION}. A copy in a separate log-archive account is not part of the document`,
        ),
      ],
    });
    for (const bucketName of props.loggedElsewhere ?? []) this.acceptAccessLogsFrom(bucketName);

    const loggedAs = (bucketName: string): Pick<SecureBucketProps, 'bucketName' | 'serverAccessLogs'> => ({
      bucketName,
      serverAccessLogs: { bucket: this.accessLogs, prefix: `${bucketName}/` },
    });

    const billing = 'billing documents for analysis by Trackit';
    this.billing = new SecureBucket(this, 'Billing', {
      ...loggedAs(`${clientName}-billing`),
      purpose: billing,
      encryptionKey: this.key,
      versioned: true,
      acknowledgements: [notReplicated(billing, `${VERSIONS}; ${ONE_REGION}`)],
    });

    const magentoConfig = 'non-secret Magento configuration files';
    this.magentoConfig = new SecureBucket(this, 'MagentoConfig', {
      ...loggedAs(`${clientName}-magento-config`),
      purpose: magentoConfig,
      encryptionKey: this.key,
      versioned: true,
      acknowledgements: [
        notReplicated(
          magentoConfig,
          `they are read in this region only (secrets are in Secrets Manager); ${VERSIONS}; ${ONE_REGION}`,
        ),
      ],
    });

    const elbLogs = 'load balancer access logs';
    this.elbLogs = new SecureBucket(this, 'ElbLogs', {
      ...loggedAs(`${clientName}-magento-elb-logs`),
      purpose: elbLogs,
      // No encryptionKey: ALB access log delivery supports SSE-S3 only.
      versioned: true,
      expirationDays: config.accessLogExpirationDays,
      acknowledgements: [
        {
          id: 'PCI.DSS.321-S3DefaultEncryptionKMS',
          reason: `The ${elbLogs} are encrypted with SSE-S3 because ALB access log delivery supports no other default encryption (Elastic Load Balancing user guide, access logs, bucket requirements): with SSE-KMS every delivery would fail.`,
        },
        notReplicated(
          elbLogs,
          `${VERSIONS} (PCI DSS 10.5 integrity); ${ONE_REGION}. A copy in a separate log-archive account is not part of the document`,
        ),
      ],
    });
    const elbAccount = RegionInfo.get(props.region).elbv2Account;
    this.elbLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ElasticLoadBalancingLogDelivery',
        // Regions opened before August 2022 deliver from an AWS account of Elastic Load
        // Balancing; newer ones from its log delivery service principal.
        principals: [
          elbAccount ? new iam.AccountPrincipal(elbAccount) : new iam.ServicePrincipal(ELB_LOG_DELIVERY_SERVICE),
        ],
        actions: ['s3:PutObject'],
        resources: [this.elbLogs.arnForObjects(`AWSLogs/${props.account}/*`)],
      }),
    );

    const tempStorage = 'temporary archives kept during an operation';
    const tempDays = config.tempStorageExpirationDays;
    this.tempStorage = new SecureBucket(this, 'TempStorage', {
      ...loggedAs(`${clientName}-temp-storage`),
      purpose: tempStorage,
      encryptionKey: this.key,
      versioned: false,
      expirationDays: tempDays,
      acknowledgements: [
        {
          id: 'PCI.DSS.321-S3BucketVersioningEnabled',
          reason: `The ${tempStorage} are not versioned: the document says nothing business-critical may be stored there, and they expire after ${tempDays} days (buckets.tempStorageExpirationDays); versions would keep deleted archives beyond that.`,
        },
        notReplicated(tempStorage, `they are disposable by the document and expire after ${tempDays} days`),
      ],
    });

    const releaseArtifacts = 'release bundles';
    this.releaseArtifacts = new SecureBucket(this, 'ReleaseArtifacts', {
      ...loggedAs(`${clientName}-release-artifacts`),
      purpose: releaseArtifacts,
      encryptionKey: this.key,
      versioned: true,
      acknowledgements: [
        notReplicated(
          releaseArtifacts,
          `the release build makes each one again from its git ref; ${VERSIONS}; ${ONE_REGION}`,
        ),
      ],
    });

    if (config.terraformState) {
      const terraformState = 'Terraform remote state files';
      this.terraformState = new SecureBucket(this, 'TerraformState', {
        ...loggedAs(`${clientName}-terraform-remote-state-storage`),
        purpose: terraformState,
        encryptionKey: this.key,
        // Terraform's S3 backend documentation asks for versioning to recover a state.
        versioned: true,
        acknowledgements: [
          notReplicated(terraformState, `${VERSIONS}, the recovery path of Terraform's S3 backend; ${ONE_REGION}`),
        ],
      });
    }
  }

  /**
   * Lets S3 deliver the server access logs of `bucketName` (a bucket of another stack) under
   * `<bucketName>/`: the same statement CDK writes for the buckets of this stack, by name, so
   * this stateful stack does not depend on the other.
   */
  private acceptAccessLogsFrom(bucketName: string): void {
    const { partition, account } = Stack.of(this);
    this.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `AccessLogsOf${bucketName.replace(/[^A-Za-z0-9]/g, '')}`,
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogs.arnForObjects(`${bucketName}/*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${partition}:s3:::${bucketName}` },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );
  }
}
