// CloudWatch alarms in ALARM, for `storestack status`.
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';

export interface FiringAlarm {
  readonly name: string;
  readonly reason: string;
  readonly since: Date | undefined;
}

export interface Alarms {
  firing(): Promise<FiringAlarm[]>;
}

export class CloudWatchAlarms implements Alarms {
  constructor(private readonly cloudWatch: CloudWatchClient) {}

  async firing(): Promise<FiringAlarm[]> {
    const alarms: FiringAlarm[] = [];
    let nextToken: string | undefined;
    do {
      const output = await this.cloudWatch.send(
        new DescribeAlarmsCommand({ StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], NextToken: nextToken }),
      );
      for (const alarm of output.MetricAlarms ?? []) {
        alarms.push({
          name: alarm.AlarmName ?? '',
          reason: alarm.StateReason ?? '',
          since: alarm.StateUpdatedTimestamp,
        });
      }
      nextToken = output.NextToken;
    } while (nextToken);
    return alarms;
  }
}
