import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { certificateAlarm, cloudFrontAlarm } from '../monitoring/alarms.ts';
import { AlertTopic } from '../monitoring/alert-topic.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { EdgeStack } from './edge-stack.ts';
import { alertTopicName } from './monitoring-stack.ts';

/** CloudFront's metrics and certificates exist in us-east-1 only. */
export const EDGE_MONITORING_REGION = 'us-east-1';

export interface EdgeMonitoringStackProps {
  readonly platform: Platform;
  readonly edge: EdgeStack;
}

/**
 * The alarms whose metrics exist in us-east-1 only: each distribution's 5xx rate and the
 * CloudFront certificate's days to expiry. Its own topic there (an alarm notifies a topic of its
 * region) with the same mailing list. The distributions' ids come from the Edge stack through
 * CDK's cross-region references.
 */
export class EdgeMonitoringStack extends PlatformStack {
  constructor(scope: Construct, props: EdgeMonitoringStackProps) {
    const { platform, edge } = props;
    super(scope, {
      platform,
      kind: 'EdgeMonitoring',
      stateful: false,
      region: EDGE_MONITORING_REGION,
      crossRegionReferences: true,
      description: "storestack: CloudFront's alarms and its certificate's expiry, in us-east-1 (document 7.F)",
    });
    const { topic } = new AlertTopic(this, 'Alerts', {
      topicName: alertTopicName(platform),
      emails: platform.alerting.emails,
    });
    const { thresholds } = platform.alerting;
    for (const [name, distribution] of edge.distributions) {
      cloudFrontAlarm(this, topic, name, distribution.distributionId, thresholds.cloudFront5xxPercent);
    }
    certificateAlarm(
      this,
      topic,
      'CloudFront',
      platform.edge.cloudFrontCertificateArn,
      thresholds.certificateDaysToExpiry,
    );
  }
}
