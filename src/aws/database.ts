// RDS snapshots: a schema release snapshots the database before setup:upgrade, named after the
// release, and waits until the snapshot is available.
import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { REAL_TIME, type Sleeper } from './commands.ts';

export interface DatabaseSnapshots {
  /** Creates `snapshotId` of `instanceIdentifier` and waits until it is available. */
  snapshot(instanceIdentifier: string, snapshotId: string, timeoutSeconds: number): Promise<void>;
}

export class RdsSnapshots implements DatabaseSnapshots {
  constructor(
    private readonly rds: RDSClient,
    private readonly clock: Sleeper = REAL_TIME,
    private readonly pollMilliseconds = 20_000,
  ) {}

  async snapshot(instanceIdentifier: string, snapshotId: string, timeoutSeconds: number): Promise<void> {
    await this.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceIdentifier, DBSnapshotIdentifier: snapshotId }),
    );
    const deadline = this.clock.now() + timeoutSeconds * 1000;
    for (;;) {
      await this.clock.sleep(this.pollMilliseconds);
      const output = await this.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }));
      const status = output.DBSnapshots?.[0]?.Status;
      if (status === 'available') return;
      if (status === 'failed' || status === 'error') throw new Error(`RDS snapshot ${snapshotId} ${status}`);
      if (this.clock.now() > deadline) {
        throw new Error(`RDS snapshot ${snapshotId} not available within ${timeoutSeconds} s (status ${status})`);
      }
    }
  }
}
