import { Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { markForBackup, PlatformBackup, type PlatformBackupProps } from '../../../src/infra/backup/platform-backup.ts';
import { newStack, retainedRotatingKey } from '../template.ts';

const PROPS: PlatformBackupProps = {
  retentionDays: 14,
  scheduleCron: 'cron(30 3 * * ? *)',
  vaultName: 'acme-storestack',
};

function synthBackup(props: PlatformBackupProps = PROPS): Template {
  const stack = newStack();
  new PlatformBackup(stack, 'Backup', props);
  return Template.fromStack(stack);
}

describe('PlatformBackup', () => {
  it('keeps recovery points in a named vault encrypted with its own rotating key, both retained', () => {
    const template = synthBackup();
    const keyId = retainedRotatingKey(template);
    template.hasResource('AWS::Backup::BackupVault', {
      Properties: { BackupVaultName: 'acme-storestack', EncryptionKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets nobody delete a recovery point or shorten its retention: they only expire', () => {
    synthBackup().hasResourceProperties('AWS::Backup::BackupVault', {
      AccessPolicy: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
            Resource: '*',
          },
        ],
      },
    });
  });

  it('backs up once a day on the configured schedule and deletes recovery points after the configured days', () => {
    const template = synthBackup();
    const [vaultId] = Object.keys(template.findResources('AWS::Backup::BackupVault'));
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          {
            RuleName: 'Daily',
            ScheduleExpression: 'cron(30 3 * * ? *)',
            Lifecycle: { DeleteAfterDays: 14 },
            TargetBackupVault: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] },
          },
        ],
      },
    });
  });

  it('selects what it backs up by the backup tag, not by reference', () => {
    const selections = synthBackup().findResources('AWS::Backup::BackupSelection');
    const [selection] = Object.values(selections) as { Properties: { BackupSelection: Record<string, unknown> } }[];
    expect(Object.keys(selections)).toHaveLength(1);
    expect(selection?.Properties.BackupSelection.ListOfTags).toEqual([
      { ConditionKey: 'storestack:backup', ConditionType: 'STRINGEQUALS', ConditionValue: 'daily' },
    ]);
    expect(selection?.Properties.BackupSelection.Resources).toBeUndefined();
  });

  it('refuses a retention below one day and a schedule that is not an AWS cron expression', () => {
    expect(() => new PlatformBackup(newStack(), 'Backup', { ...PROPS, retentionDays: 0 })).toThrow(
      /Storage\/Backup: retentionDays must be a whole number of days, at least 1; got 0/,
    );
    expect(() => new PlatformBackup(newStack(), 'Backup', { ...PROPS, scheduleCron: '0 2 * * *' })).toThrow(
      /scheduleCron must be an AWS cron expression with six fields such as cron\(0 2 \* \* \? \*\); got "0 2 \* \* \*"/,
    );
  });
});

describe('markForBackup', () => {
  it("puts the backup tag on a construct's resources, such as an EBS volume another stack creates", () => {
    // GIVEN
    const stack = newStack();
    const volume = new ec2.Volume(stack, 'Volume', {
      availabilityZone: 'eu-west-3a',
      size: Size.gibibytes(10),
      encrypted: true,
    });
    // WHEN
    markForBackup(volume);
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::Volume', {
      Tags: [{ Key: 'storestack:backup', Value: 'daily' }],
    });
  });
});
