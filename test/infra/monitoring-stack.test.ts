// Monitoring (issue 7, document 7.F): the document's alarms exactly, its dashboard, the alarms it
// lacks, the alert topics, and the us-east-1 stack for CloudFront.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/config/schema.ts';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';
import { ofType, only, type Properties, type Resource, type Resources, resourcesOf } from './template.ts';

function synthesize(platform: Platform): PlatformStacks {
  return createPlatformApp({ platform, gates: false, context: readProjectContext(PROJECT_ROOT) }).stacks;
}

/** The alarms of a template, by name. */
function alarmsOf(resources: Resources): Map<string, Properties> {
  return new Map(
    ofType(resources, 'AWS::CloudWatch::Alarm').map(([, alarm]) => [
      alarm.Properties.AlarmName as string,
      alarm.Properties,
    ]),
  );
}

function alarm(alarms: Map<string, Properties>, name: string): Properties {
  const found = alarms.get(name);
  if (!found) throw new Error(`no alarm named ${name}; there are: ${[...alarms.keys()].join(', ')}`);
  return found;
}

/** The topic (logical id) of the template with this name. */
function topicNamed(resources: Resources, name: string): string {
  const found = ofType(resources, 'AWS::SNS::Topic').find(([, topic]) => topic.Properties.TopicName === name);
  if (!found) throw new Error(`no topic named ${name}`);
  return found[0];
}

/** A template value as text: strings kept, intrinsics written `<Ref X>` / `<Import X>` / `<Param X>`. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return `<Ref ${intrinsic.Ref}>`;
  if ('Fn::ImportValue' in intrinsic) return `<Import ${intrinsic['Fn::ImportValue']}>`;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if ('Fn::GetAtt' in intrinsic) return `<GetAtt ${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(value);
}

describe('Monitoring stack (sample configuration)', () => {
  let stacks: PlatformStacks;
  let resources: Resources;
  let alarms: Map<string, Properties>;
  let topic: string;
  let network: Template;
  beforeAll(() => {
    stacks = synthesize(samplePlatform());
    resources = resourcesOf(Template.fromStack(stacks.monitoring));
    alarms = alarmsOf(resources);
    topic = topicNamed(resources, 'client-alerts');
    network = Template.fromStack(stacks.network);
  });

  /** What an alarm of the document pins, beside its notifications. */
  const shape = (properties: Properties) => ({
    Namespace: properties.Namespace,
    MetricName: properties.MetricName,
    Dimensions: properties.Dimensions,
    Statistic: properties.Statistic,
    Period: properties.Period,
    EvaluationPeriods: properties.EvaluationPeriods,
    DatapointsToAlarm: properties.DatapointsToAlarm,
    ComparisonOperator: properties.ComparisonOperator,
    Threshold: properties.Threshold,
    TreatMissingData: properties.TreatMissingData,
  });

  it('sends every alarm to the alert topic on ALARM and on OK', () => {
    for (const [name, properties] of alarms) {
      const expected = name === 'Preprod eb health' ? properties.AlarmActions : [{ Ref: topic }];
      expect(properties.AlarmActions, name).toEqual(expected);
      expect(properties.OKActions, name).toEqual(properties.AlarmActions);
    }
  });

  it.each([
    ['DB CPU Prod', 'CPUUtilization', 70],
    ['awsrds-client-magento-prod-High-DB-Connections', 'DatabaseConnections', 100],
  ])("pins %s: the prod database's %s above %i for 3 datapoints within 3 minutes", (name, metricName, threshold) => {
    expect(shape(alarm(alarms, name))).toEqual({
      Namespace: 'AWS/RDS',
      MetricName: metricName,
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'client-magento-prod' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: threshold,
      TreatMissingData: 'missing',
    });
  });

  it("pins Prod eb health: the prod front end's EnvironmentHealth above 0 for 3 datapoints within 15 minutes", () => {
    expect(shape(alarm(alarms, 'Prod eb health'))).toEqual({
      Namespace: 'AWS/ElasticBeanstalk',
      MetricName: 'EnvironmentHealth',
      Dimensions: [{ Name: 'EnvironmentName', Value: 'client-prod-frontend' }],
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'breaching',
    });
  });

  it.each(['Lan', 'Ml', 'Cetsi'])('pins DLM-%s VPN status: no tunnel of that VPN up for 15 minutes', (peer) => {
    const properties = alarm(alarms, `DLM-${peer} VPN status`);
    expect({ ...shape(properties), Dimensions: undefined }).toEqual({
      Namespace: 'AWS/VPN',
      MetricName: 'TunnelState',
      Dimensions: undefined,
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0,
      TreatMissingData: 'breaching',
    });
    // The dimension is that peer's VPN connection, exported by the Network stack.
    const [dimension] = properties.Dimensions as [{ Name: string; Value: { 'Fn::ImportValue': string } }];
    expect(dimension.Name).toBe('VpnId');
    const outputs = network.toJSON().Outputs as Record<string, { Value: { Ref: string }; Export: { Name: string } }>;
    const exported = Object.values(outputs).find((output) => output.Export.Name === dimension.Value['Fn::ImportValue']);
    const [connectionId] = Object.entries(network.findResources('AWS::EC2::VPNConnection')).find(([, connection]) =>
      (connection.Properties.Tags as { Key: string; Value: string }[]).some(
        (tag) => tag.Key === 'Name' && tag.Value.endsWith(`-${peer}`),
      ),
    ) as [string, unknown];
    expect(exported?.Value).toEqual({ Ref: connectionId });
  });

  it('gives preprod its environment health alarm and nothing else (its shares sit on the shared NFS server)', () => {
    const preprod = [...alarms.entries()].filter(
      ([name, properties]) => JSON.stringify(properties).includes('preprod') && !name.startsWith('nfs disk '),
    );
    expect(preprod.map(([name]) => name)).toEqual(['Preprod eb health']);
    expect(alarm(alarms, 'Preprod eb health').Dimensions).toEqual([
      { Name: 'EnvironmentName', Value: 'client-preprod-frontend' },
    ]);
    expect(alarm(alarms, 'Preprod eb health').AlarmActions).toEqual([{ Ref: topic }]);
  });

  it('encrypts the alert topic with its own key, which CloudWatch may use, refuses plain HTTP, and emails the list', () => {
    const topicResource = resources[topic] as Resource;
    const keyId = topicResource.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    const keyPolicy = JSON.stringify(resources[keyId]?.Properties.KeyPolicy);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    const [, policy] = only(resources, 'AWS::SNS::TopicPolicy');
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription').map(
      ([, subscription]) => subscription.Properties,
    );
    expect(subscriptions).toEqual([{ Protocol: 'email', Endpoint: 'aws-alerts@client.url', TopicArn: { Ref: topic } }]);
  });

  it('adds the alarms the document lacks, each with its threshold from config', () => {
    const rate = alarm(alarms, 'Prod ALB target 5xx rate');
    expect(rate.Threshold).toBe(5);
    const expression = (rate.Metrics as Properties[]).find((query) => query.Expression)?.Expression;
    expect(expression).toBe('IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)');
    expect(JSON.stringify(rate.Metrics)).toContain('HTTPCode_Target_5XX_Count');

    for (const purpose of ['cache', 'sessions']) {
      const memory = alarm(alarms, `Prod Redis ${purpose} memory`);
      expect(memory.Threshold).toBe(80);
      expect(JSON.stringify(memory.Metrics)).toContain(`client-prod-${purpose}-001`);
      expect(JSON.stringify(memory.Metrics)).toContain(`client-prod-${purpose}-002`);
      expect(alarm(alarms, `Prod Redis ${purpose} evictions`).Threshold).toBe(0);
      expect(alarm(alarms, `Prod Redis ${purpose} replication lag`).Threshold).toBe(30);
    }
    for (const database of ['client-magento-prod', 'client-apps']) {
      const storage = alarm(alarms, `${database} free storage`);
      expect(storage.Threshold).toBe(10 * 1024 ** 3);
      expect(storage.ComparisonOperator).toBe('LessThanThreshold');
      expect(storage.Dimensions).toEqual([{ Name: 'DBInstanceIdentifier', Value: database }]);
    }
    const disk = alarm(alarms, 'nfs disk /exports/prod/client-media');
    expect(shape(disk)).toMatchObject({
      Namespace: 'storestack/NfsServer',
      MetricName: 'disk_used_percent',
      Dimensions: [{ Name: 'path', Value: '/exports/prod/client-media' }],
      Threshold: 85,
    });
    const certificate = alarm(alarms, 'Load balancer certificate expiry');
    expect(shape(certificate)).toMatchObject({
      Namespace: 'AWS/CertificateManager',
      MetricName: 'DaysToExpiry',
      Dimensions: [{ Name: 'CertificateArn', Value: samplePlatform().certificate.arn }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 30,
    });
    expect(shape(alarm(alarms, 'client-storestack failed backup jobs'))).toMatchObject({
      Namespace: 'AWS/Backup',
      MetricName: 'NumberOfBackupJobsFailed',
      Dimensions: [{ Name: 'BackupVaultName', Value: 'client-storestack' }],
      Threshold: 1,
    });
  });

  it('watches the status checks of the NFS, OpenVPN, Rundeck and gateway instances, their ids read from SSM at deploy', () => {
    const parameters = Template.fromStack(stacks.monitoring).toJSON().Parameters as Record<string, Properties>;
    for (const name of ['nfs', 'vpn', 'rundeck', 'gateway-windows', 'gateway-ftp']) {
      const check = alarm(alarms, `${name} status check`);
      expect(shape(check)).toMatchObject({
        Namespace: 'AWS/EC2',
        MetricName: 'StatusCheckFailed',
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
      const [dimension] = check.Dimensions as [{ Name: string; Value: { Ref: string } }];
      expect(dimension.Name).toBe('InstanceId');
      expect(parameters[dimension.Value.Ref]).toEqual({
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: `/storestack/instances/${name}/id`,
      });
    }
    // The owners publish them.
    const published = [stacks.storage, stacks.ops].flatMap((stack) =>
      ofType(resourcesOf(Template.fromStack(stack)), 'AWS::SSM::Parameter').map(
        ([, parameter]) => parameter.Properties.Name,
      ),
    );
    for (const name of ['nfs', 'vpn', 'rundeck', 'gateway-windows', 'gateway-ftp']) {
      expect(published).toContain(`/storestack/instances/${name}/id`);
    }
  });

  describe('the dashboard', () => {
    let widgets: Properties[];
    beforeAll(() => {
      const [, dashboard] = only(resources, 'AWS::CloudWatch::Dashboard');
      expect(dashboard.Properties.DashboardName).toBe('client-prod');
      widgets = JSON.parse(flatten(dashboard.Properties.DashboardBody)).widgets;
    });
    const widget = (title: string) => {
      const found = widgets.find((candidate) => candidate.properties.title === title);
      if (!found) throw new Error(`no widget ${title}`);
      return found.properties as Properties;
    };
    /** Each metric line's [namespace, name] (the first two entries), or its expression. */
    const metricsOf = (title: string) =>
      (widget(title).metrics as unknown[][]).map((line) =>
        typeof line[0] === 'object' ? (line[0] as { expression: string }).expression : `${line[0]} ${line[1]}`,
      );

    it("holds the document's seven widgets, in its order", () => {
      expect(widgets.map((candidate) => candidate.properties.title)).toEqual([
        'Environment Health',
        'Application requests stats',
        'LoadAverage5min EC2 instances',
        'RDS instance CPU utilization',
        'Backend latency',
        'CPU usage Redis',
        'Backend request status',
      ]);
    });

    it('shows the prod environments’ current health', () => {
      expect(widget('Environment Health').view).toBe('singleValue');
      expect(JSON.stringify(widget('Environment Health').metrics)).toContain('client-prod-frontend');
      expect(metricsOf('Environment Health')).toEqual([
        'AWS/ElasticBeanstalk EnvironmentHealth',
        'AWS/ElasticBeanstalk EnvironmentHealth',
      ]);
    });

    it("shows the application request stats over one hour, from the production ALB's metrics", () => {
      const stats = metricsOf('Application requests stats');
      expect(stats).toEqual([
        'AWS/ApplicationELB RequestCount',
        'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
        expect.stringContaining('MetricName="HealthyHostCount"'),
        expect.stringContaining('MetricName="UnHealthyHostCount"'),
        'AWS/ApplicationELB TargetResponseTime',
        'AWS/ApplicationELB ActiveConnectionCount',
        'AWS/ApplicationELB ProcessedBytes',
      ]);
      expect(stats[2]).toMatch(/^SEARCH\('\{AWS\/ApplicationELB,LoadBalancer,TargetGroup\} .*', 'Average', 3600\)$/);
      const lines = widget('Application requests stats').metrics as unknown[][];
      for (const line of lines.filter((entry) => typeof entry[0] === 'string')) {
        expect(line.at(-1)).toMatchObject({ period: 3600 });
        // The production ALB's full name (app/<name>/<id>), exported by its stack.
        expect(line[3]).toMatch(/^<Import storestack-Magento-prod:.*LoadBalancerFullName/);
      }
    });

    it('graphs the prod front end instances’ LoadAverage5min through a SEARCH', () => {
      expect(metricsOf('LoadAverage5min EC2 instances')).toEqual([
        'SEARCH(\'{AWS/ElasticBeanstalk,EnvironmentName,InstanceId} MetricName="LoadAverage5min" EnvironmentName="client-prod-frontend"\', \'Average\', 300)',
      ]);
    });

    it("graphs the prod database's CPU, the backend latency and the Redis nodes' CPU", () => {
      expect(metricsOf('RDS instance CPU utilization')).toEqual(['AWS/RDS CPUUtilization']);
      expect(JSON.stringify(widget('RDS instance CPU utilization').metrics)).toContain('client-magento-prod');
      expect(metricsOf('Backend latency')).toEqual(['AWS/ApplicationELB TargetResponseTime']);
      expect(metricsOf('CPU usage Redis')).toEqual(Array(4).fill('AWS/ElastiCache CPUUtilization'));
      for (const node of ['client-prod-cache-001', 'client-prod-cache-002', 'client-prod-sessions-001']) {
        expect(JSON.stringify(widget('CPU usage Redis').metrics)).toContain(node);
      }
    });

    it('stacks the 3xx, 4xx and 5xx answers over the last hour', () => {
      const status = widget('Backend request status');
      expect(status.stacked).toBe(true);
      expect(status.view).toBe('timeSeries');
      expect(status.start).toBe('-PT1H');
      expect(metricsOf('Backend request status')).toEqual([
        'AWS/ApplicationELB HTTPCode_Target_3XX_Count',
        'AWS/ApplicationELB HTTPCode_Target_4XX_Count',
        'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
      ]);
    });
  });
});

describe('Monitoring stack, configured otherwise', () => {
  it('alarms from Warning up when environmentHealthFrom is warning', () => {
    const platform = platformWith((input) => {
      input.alerting.environmentHealthFrom = 'warning';
    });
    const alarms = alarmsOf(resourcesOf(Template.fromStack(synthesize(platform).monitoring)));
    expect(alarm(alarms, 'Prod eb health')).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 15,
    });
  });

  it("reads the document's words when a VPN is down as soon as one tunnel is", () => {
    const platform = platformWith((input) => {
      input.alerting.vpnAlarms.downWhen = 'any-tunnel-down';
      input.alerting.vpnAlarms.peers = ['Lan'];
    });
    const alarms = alarmsOf(resourcesOf(Template.fromStack(synthesize(platform).monitoring)));
    expect(alarm(alarms, 'DLM-Lan VPN status')).toMatchObject({
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
    });
    expect(alarms.has('DLM-Ml VPN status')).toBe(false);
  });

  it("sends preprod's health alarm to its own topic and list when config gives one", () => {
    const platform = platformWith((input) => {
      input.alerting.preprodEmails = ['preprod-team@client.url', 'qa@client.url'];
    });
    const resources = resourcesOf(Template.fromStack(synthesize(platform).monitoring));
    const preprodTopic = topicNamed(resources, 'client-preprod-alerts');
    const alarms = alarmsOf(resources);
    expect(alarm(alarms, 'Preprod eb health').AlarmActions).toEqual([{ Ref: preprodTopic }]);
    expect(alarm(alarms, 'Prod eb health').AlarmActions).toEqual([{ Ref: topicNamed(resources, 'client-alerts') }]);
    const endpoints = ofType(resources, 'AWS::SNS::Subscription')
      .filter(([, subscription]) => subscription.Properties.TopicArn.Ref === preprodTopic)
      .map(([, subscription]) => subscription.Properties.Endpoint);
    expect(endpoints).toEqual(['preprod-team@client.url', 'qa@client.url']);
  });

  it('takes the thresholds from config, drops NFS alarms with EFS and lag alarms without replicas', () => {
    const platform = platformWith((input) => {
      input.alerting.thresholds = { albTarget5xxPercent: 2, nfsDiskUsedPercent: 90, rdsFreeStorageGiB: 50 };
      input.storage.fileServer = { type: 'efs' } as typeof input.storage.fileServer;
      for (const environment of input.environments) environment.redis.replicasPerGroup = 0;
    });
    const alarms = alarmsOf(resourcesOf(Template.fromStack(synthesize(platform).monitoring)));
    expect(alarm(alarms, 'Prod ALB target 5xx rate').Threshold).toBe(2);
    expect(alarm(alarms, 'client-apps free storage').Threshold).toBe(50 * 1024 ** 3);
    expect([...alarms.keys()].filter((name) => name.startsWith('nfs '))).toEqual([]);
    expect([...alarms.keys()].filter((name) => name.endsWith('replication lag'))).toEqual([]);
  });
});

describe('EdgeMonitoring stack (us-east-1)', () => {
  let stacks: PlatformStacks;
  let resources: Resources;
  beforeAll(() => {
    stacks = synthesize(samplePlatform());
    resources = resourcesOf(Template.fromStack(stacks.edgeMonitoring));
  });

  it("lives in us-east-1, where CloudFront's metrics are, with a topic emailing the same list", () => {
    expect(stacks.edgeMonitoring.region).toBe('us-east-1');
    const topic = topicNamed(resources, 'client-alerts');
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription').map(
      ([, subscription]) => subscription.Properties,
    );
    expect(subscriptions).toEqual([{ Protocol: 'email', Endpoint: 'aws-alerts@client.url', TopicArn: { Ref: topic } }]);
  });

  it("alarms on each distribution's 5xx rate and on the CloudFront certificate's expiry", () => {
    const alarms = alarmsOf(resources);
    expect([...alarms.keys()].sort()).toEqual([
      'CloudFront certificate expiry',
      'cloudfront media 5xx rate',
      'cloudfront static 5xx rate',
    ]);
    const media = alarm(alarms, 'cloudfront media 5xx rate');
    expect(media).toMatchObject({
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect((media.Dimensions as Properties[]).map((dimension) => dimension.Name).sort()).toEqual([
      'DistributionId',
      'Region',
    ]);
    expect(alarm(alarms, 'CloudFront certificate expiry').Dimensions).toEqual([
      { Name: 'CertificateArn', Value: samplePlatform().edge.cloudFrontCertificateArn },
    ]);
  });
});
