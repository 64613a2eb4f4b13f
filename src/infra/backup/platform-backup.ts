import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from '../gates/index.ts';

/**
 * The tag the backup plan selects by. Resources of any stack join the plan by carrying it
 * (DESIGN.md: what one issue selects from another is found by tags, not by references).
 */
export const BACKUP_TAG_KEY = 'storestack:backup';
export const BACKUP_TAG_VALUE = 'daily';

/** Puts a construct's taggable resources (volumes, file systems, databases) into the daily backup. */
export function markForBackup(scope: IConstruct): void {
  Tags.of(scope).add(BACKUP_TAG_KEY, BACKUP_TAG_VALUE);
}

export interface PlatformBackupProps {
  /** Days each daily recovery point is kept. */
  readonly retentionDays: number;
  /** When the daily backup starts, in AWS cron syntax (UTC), e.g. `cron(0 2 * * ? *)`. */
  readonly scheduleCron: string;
  /** Name of the backup vault (2 to 50 letters, digits, dashes and underscores). */
  readonly vaultName: string;
}

/** Six space-separated fields: minutes, hours, day of month, month, day of week, year. */
const AWS_CRON = /^cron\(\S+( \S+){5}\)$/;

/**
 * The platform's AWS Backup plan: one daily rule into a vault encrypted with its own key,
 * selecting every resource tagged by `markForBackup`, whichever stack created it. Recovery
 * points cannot be deleted or have their retention shortened by anyone; they expire by the
 * plan's lifecycle.
 */
export class PlatformBackup extends Construct {
  readonly key: kms.Key;
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly selection: backup.BackupSelection;
  /** The vault's name, as configured (a name, not a reference: the Monitoring stack's alarm dimension). */
  readonly vaultName: string;

  constructor(scope: Construct, id: string, props: PlatformBackupProps) {
    super(scope, id);
    this.vaultName = props.vaultName;
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(
        `${this.node.path}: retentionDays must be a whole number of days, at least 1; got ${props.retentionDays}`,
      );
    }
    if (!AWS_CRON.test(props.scheduleCron)) {
      throw new Error(
        `${this.node.path}: scheduleCron must be an AWS cron expression with six fields such as cron(0 2 * * ? *); got "${props.scheduleCron}"`,
      );
    }

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the recovery points of backup vault ${props.vaultName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: this.key,
      // A mistaken or malicious delete must not take the backups with it.
      blockRecoveryPointDeletion: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: props.vaultName,
      backupVault: this.vault,
    });
    this.plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: events.Schedule.expression(props.scheduleCron),
        deleteAfter: Duration.days(props.retentionDays),
      }),
    );
    this.selection = this.plan.addSelection('Tagged', {
      resources: [backup.BackupResource.fromTag(BACKUP_TAG_KEY, BACKUP_TAG_VALUE)],
      // The same role restores, so a restore needs no role of its own (docs/runbooks/restore-from-backup.md).
      allowRestores: true,
    });

    acknowledge(
      this.selection,
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
        reason:
          "AWS Backup's own service-role policy for taking backups: the tag selects resources of every kind the platform backs up (EBS, EFS, RDS), and AWS keeps the policy in step with each service's snapshot API.",
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]',
        reason:
          "AWS Backup's own service-role policy for restores of the same resource kinds (EBS, EFS, RDS); only an operator starts a restore, with this role.",
      },
    );
  }
}
