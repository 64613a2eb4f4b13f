// The document's production dashboard (7.F), widget by widget, from metrics.ts. Where the document
// names the classic load balancer's metrics, the ALB's counterparts are shown (README, "Monitoring").
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { BeanstalkMetrics, LoadBalancerMetrics, RdsMetrics, RedisMetrics } from './metrics.ts';

export interface ProductionDashboardProps {
  readonly dashboardName: string;
  readonly frontend: BeanstalkMetrics;
  readonly backOffice: BeanstalkMetrics;
  readonly loadBalancer: LoadBalancerMetrics;
  readonly database: RdsMetrics;
  /** The Redis groups whose nodes' CPU is shown (cache and sessions). */
  readonly redis: readonly RedisMetrics[];
}

const ONE_HOUR = Duration.hours(1);
const WIDTH = 12;
const HEIGHT = 6;

/** The widget titles, as the document lists them. */
export const DASHBOARD_WIDGETS = {
  environmentHealth: 'Environment Health',
  requestStats: 'Application requests stats',
  loadAverage: 'LoadAverage5min EC2 instances',
  databaseCpu: 'RDS instance CPU utilization',
  backendLatency: 'Backend latency',
  redisCpu: 'CPU usage Redis',
  requestStatus: 'Backend request status',
} as const;

/** The production dashboard: the document's seven widgets, in its order. */
export class ProductionDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ProductionDashboardProps) {
    super(scope, id);
    const lb = props.loadBalancer;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: DASHBOARD_WIDGETS.environmentHealth,
        metrics: [
          props.frontend.environmentHealth(Duration.minutes(1)).with({ label: props.frontend.environmentName }),
          props.backOffice.environmentHealth(Duration.minutes(1)).with({ label: props.backOffice.environmentName }),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.SingleValueWidget({
        title: DASHBOARD_WIDGETS.requestStats,
        metrics: [
          lb.requestCount(ONE_HOUR),
          lb.targetResponses(5, ONE_HOUR).with({ label: 'Target 5xx' }),
          lb.hostCount('HealthyHostCount', ONE_HOUR),
          lb.hostCount('UnHealthyHostCount', ONE_HOUR),
          lb.latency(ONE_HOUR),
          lb.activeConnections(ONE_HOUR),
          lb.processedBytes(ONE_HOUR),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: DASHBOARD_WIDGETS.loadAverage,
        left: [props.frontend.loadAverage5min()],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: DASHBOARD_WIDGETS.databaseCpu,
        left: [props.database.cpu(Duration.minutes(5))],
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: DASHBOARD_WIDGETS.backendLatency,
        left: [lb.latency()],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: DASHBOARD_WIDGETS.redisCpu,
        left: props.redis.flatMap((group) => group.cpu()),
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: DASHBOARD_WIDGETS.requestStatus,
        left: ([3, 4, 5] as const).map((httpClass) => lb.targetResponses(httpClass, Duration.minutes(1))),
        stacked: true,
        view: cloudwatch.GraphWidgetView.TIME_SERIES,
        start: '-PT1H',
        width: 2 * WIDTH,
        height: HEIGHT,
      }),
    );
  }
}
