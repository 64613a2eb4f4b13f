import { RemovalPolicy, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { markForBackup } from '../backup/platform-backup.ts';
import { StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';
import { PublishedParameters } from '../parameters.ts';
import { PlatformStack } from '../platform-stack.ts';
import { LOGS_BY_POLICY, SecureBucket } from '../storage/buckets/secure-bucket.ts';
import type { NetworkStack } from './network-stack.ts';

/** The OpenVPN PKI bucket's name; the Storage stack's access-log bucket accepts its logs by name. */
export function openVpnStateBucketName(platform: Platform): string {
  return `${platform.client.name}-openvpn-pki`;
}

/** The alias of the key that encrypts OpenVPN's PKI state. */
export function openVpnStateKeyAlias(platform: Platform): string {
  return `alias/${platform.client.name}-openvpn-pki`;
}

/** The secret of Rundeck's web login (admin); its user data reads it by this name. */
export function rundeckAdminSecretName(platform: Platform): string {
  return `${platform.project}/ops/rundeck-admin`;
}

/** The access-log bucket of the Storage stack (PlatformBuckets names it so). */
function accessLogBucketName(platform: Platform): string {
  return `${platform.client.name}-s3-access-logs`;
}

export interface OpsDataStackProps {
  readonly platform: Platform;
  readonly network: NetworkStack;
}

/**
 * The operations servers' state (document 6.A, 6.B), apart from the servers so that replacing one
 * loses nothing: Rundeck's data volume (bootstrapped once, formatted only when blank) and login, and
 * OpenVPN's PKI (CA, server and client certificates, easy-rsa's index, the revocation list),
 * saved to an encrypted, versioned bucket after every change.
 */
export class OpsDataStack extends PlatformStack {
  readonly rundeckVolume: ec2.Volume;
  readonly rundeckAdmin: secretsmanager.Secret;
  readonly openVpnState: SecureBucket;
  readonly openVpnStateKey: kms.Key;

  constructor(scope: Construct, props: OpsDataStackProps) {
    const { platform, network } = props;
    super(scope, {
      platform,
      kind: 'OpsData',
      stateful: true,
      description: "storestack: Rundeck's data volume, OpenVPN's PKI state",
    });
    // Log delivery by bucket policy, whatever context the app was given (as PlatformBuckets does).
    this.node.setContext(LOGS_BY_POLICY, true);
    const subnet = network.network.nonHaPlacement('private').subnets?.[0] as ec2.ISubnet;
    this.rundeckVolume = new ec2.Volume(this, 'RundeckVolume', {
      availabilityZone: subnet.availabilityZone,
      size: Size.gibibytes(platform.ops.rundeck.volumeGiB),
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      removalPolicy: RemovalPolicy.RETAIN,
      volumeName: 'rundeck-data',
    });
    markForBackup(this.rundeckVolume);
    acknowledge(this.rundeckVolume, {
      id: 'CloudFormation-Validate::W3010',
      reason:
        "The volume sits in the AZ of Rundeck's subnet on purpose: an EBS volume attaches only in its own AZ, and the document runs one Rundeck server.",
    });
    // Rundeck's web login: a generated password in place of the RPM's admin/admin.
    this.rundeckAdmin = new secretsmanager.Secret(this, 'RundeckAdmin', {
      secretName: rundeckAdminSecretName(platform),
      description: "Rundeck's web login (rundeck.<internal domain>:4440): user admin and its password",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'admin' }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.rundeckAdmin, {
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotated by operators (rotate-credentials runbook): Rundeck reads the password when its server boots, so a rotation Lambda could not make Rundeck use the new one.',
    });

    this.openVpnStateKey = new kms.Key(this, 'OpenVpnStateKey', {
      description: `${this.stackName}: OpenVPN's PKI state`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // A literal name the OpenVPN scripts can carry (their user data is compressed at synth).
      alias: openVpnStateKeyAlias(platform),
    });
    const purpose = "OpenVPN's PKI state (CA, certificates, easy-rsa index, revocation list)";
    const bucketName = openVpnStateBucketName(platform);
    this.openVpnState = new SecureBucket(this, 'OpenVpnState', {
      bucketName,
      purpose,
      encryptionKey: this.openVpnStateKey,
      versioned: true,
      serverAccessLogs: {
        bucket: s3.Bucket.fromBucketName(this, 'AccessLogs', accessLogBucketName(platform)),
        prefix: `${bucketName}/`,
      },
      acknowledgements: [
        {
          id: 'PCI.DSS.321-S3BucketReplicationEnabled',
          reason: `The ${purpose} is one small object, versioned (every save kept), in one region like the VPN server it serves; a second copy elsewhere is not part of the document.`,
        },
      ],
    });

    acknowledge(this.openVpnState, {
      id: 'Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
      reason:
        "The access-log bucket belongs to the Storage stack, which grants this bucket's log delivery by name (PlatformBuckets loggedElsewhere), so this stateful stack does not depend on it.",
    });

    const parameters = new PublishedParameters(this, 'Parameters', `/${platform.project}/ops`);
    parameters.publish('openvpn/state-bucket', this.openVpnState.bucketName, "OpenVPN's PKI state bucket");
  }
}
