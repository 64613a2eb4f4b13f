// A simulated AWS for the release tests: the SDK clients are mocked with aws-sdk-client-mock and
// answer from a small world (parameters, environments and their instances, the listener's rules,
// snapshots), which the mutating calls change. Every call is logged in order across clients, so a
// test asserts what was called and in which order, and a failure can be injected at any call.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateApplicationVersionCommand,
  DescribeApplicationVersionsCommand,
  DescribeEnvironmentsCommand,
  DescribeEventsCommand,
  DescribeInstancesHealthCommand,
  ElasticBeanstalkClient,
  UpdateEnvironmentCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  type Rule,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteParameterCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchAlarms } from '../../src/aws/alarms.ts';
import { S3ArtifactStore } from '../../src/aws/artifacts.ts';
import { SdkBeanstalkEnvironments } from '../../src/aws/beanstalk.ts';
import { type Sleeper, SsmCommandRunner } from '../../src/aws/commands.ts';
import { RdsSnapshots } from '../../src/aws/database.ts';
import { MAINTENANCE_TAG, SdkListenerRules } from '../../src/aws/load-balancer.ts';
import type { OperationsAws } from '../../src/aws/operations.ts';
import { SsmParameters } from '../../src/aws/parameters.ts';

export const REGION = 'eu-west-3';
export const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:listener/app/client-prod/abc/def';
export const FRONTEND_TG = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/awseb-front/111';
export const BACKOFFICE_TG = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/awseb-back/222';

/** A clock that advances by the time slept, without sleeping. */
export class FakeClock implements Sleeper {
  time = Date.parse('2026-11-26T10:00:00Z');
  async sleep(milliseconds: number): Promise<void> {
    this.time += milliseconds;
  }
  now(): number {
    return this.time;
  }
}

interface EnvironmentModel {
  version: string;
  instances: string[];
}

interface RuleModel {
  arn: string;
  priority: number;
  conditions: Rule['Conditions'];
  actions: Rule['Actions'];
  tags: Record<string, string>;
}

/** What a script sent through SSM answers, by the command's comment. */
export type ScriptAnswer = { exitCode: number; stdout?: string; stderr?: string };

export class FakeAws {
  readonly clock = new FakeClock();
  /** Every call, in order: `<Command> <key detail>`. */
  readonly log: string[] = [];
  readonly parameters = new Map<string, string>();
  readonly environments = new Map<string, EnvironmentModel>();
  readonly versions = new Set<string>();
  readonly scripts: { instanceId: string; comment: string; script: string }[] = [];
  rules: RuleModel[] = [];
  /** Answers of SSM scripts by comment prefix; default success. */
  readonly answers = new Map<string, ScriptAnswer>();
  /** A call that fails: the first logged call starting with this text throws. */
  failAt: string | undefined;
  /** Deployments that fail, by environment name, naming an instance in an ERROR event. */
  readonly failingDeploys = new Set<string>();
  private nextRule = 1;
  private readonly mocks: { restore(): void }[] = [];
  private commands = new Map<string, { instanceId: string; comment: string }>();

  constructor() {
    this.parameters.set('/storestack/shared/buckets/release-artifacts', 'client-release-artifacts');
    this.parameters.set('/storestack/prod/load-balancer/https-listener-arn', LISTENER);
    this.parameters.set('/storestack/shared/nat-addresses', '198.51.100.1,198.51.100.2,198.51.100.3');
    this.environments.set('client-prod-frontend', {
      version: '1700000000',
      instances: ['i-0f000001', 'i-0f000002', 'i-0f000003', 'i-0f000004'],
    });
    this.environments.set('client-prod-backoffice', { version: '1700000000', instances: ['i-0b000001'] });
    this.environments.set('client-pim', { version: '1700000000', instances: ['i-0c000001'] });
    // Beanstalk's rules: /backend/* first (ADR 0006), then the store's names.
    this.addBeanstalkRule(1, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/backend/*'] } }], BACKOFFICE_TG);
    this.addBeanstalkRule(
      2,
      [{ Field: 'host-header', HostHeaderConfig: { Values: ['client.url', 'www.client.url'] } }],
      FRONTEND_TG,
    );
  }

  private addBeanstalkRule(priority: number, conditions: Rule['Conditions'], targetGroup: string): void {
    this.rules.push({
      arn: `${LISTENER}/rule-${this.nextRule++}`,
      priority,
      conditions,
      actions: [{ Type: 'forward', TargetGroupArn: targetGroup, Order: 1 }],
      tags: {},
    });
  }

  /** Logs a call and throws when it is the one to fail. */
  private record(entry: string): void {
    this.log.push(entry);
    if (this.failAt && entry.startsWith(this.failAt)) {
      this.failAt = undefined;
      throw new Error(`injected failure at ${entry}`);
    }
  }

  /** The calls that change something, in order. */
  mutations(): string[] {
    return this.log.filter((entry) =>
      /^(PutParameter|DeleteParameter|PutObject|CreateApplicationVersion|SendCommand|UpdateEnvironment|CreateRule|DeleteRule|SetRulePriorities|CreateDBSnapshot)/.test(
        entry,
      ),
    );
  }

  maintenanceRules(): RuleModel[] {
    return this.rules.filter((rule) => MAINTENANCE_TAG in rule.tags);
  }

  /** The interfaces over the mocked clients. */
  operations(): OperationsAws {
    this.mock();
    const ssm = new SSMClient({ region: REGION });
    return {
      beanstalk: new SdkBeanstalkEnvironments(new ElasticBeanstalkClient({ region: REGION }), this.clock, 1000),
      commands: new SsmCommandRunner(ssm, this.clock, 1000),
      parameters: new SsmParameters(ssm),
      listenerRules: new SdkListenerRules(new ElasticLoadBalancingV2Client({ region: REGION })),
      artifacts: new S3ArtifactStore(new S3Client({ region: REGION })),
      snapshots: new RdsSnapshots(new RDSClient({ region: REGION }), this.clock, 1000),
      alarms: new CloudWatchAlarms(new CloudWatchClient({ region: REGION })),
    };
  }

  private mock(): void {
    const ssm = mockClient(SSMClient);
    this.mocks.push(ssm);
    ssm.on(GetParameterCommand).callsFake(({ Name }) => {
      this.record(`GetParameter ${Name}`);
      const value = this.parameters.get(Name);
      if (value === undefined) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return { Parameter: { Name, Value: value } };
    });
    ssm.on(PutParameterCommand).callsFake(({ Name, Value, Overwrite }) => {
      this.record(`PutParameter ${Name}`);
      if (this.parameters.has(Name) && !Overwrite) {
        throw new ParameterAlreadyExists({ message: 'exists', $metadata: {} });
      }
      this.parameters.set(Name, Value);
      return {};
    });
    ssm.on(DeleteParameterCommand).callsFake(({ Name }) => {
      this.record(`DeleteParameter ${Name}`);
      this.parameters.delete(Name);
      return {};
    });
    ssm.on(SendCommandCommand).callsFake(({ InstanceIds, Comment, Parameters }) => {
      const instanceId = InstanceIds[0];
      this.record(`SendCommand ${instanceId} ${Comment}`);
      const id = `cmd-${this.commands.size + 1}`;
      this.commands.set(id, { instanceId, comment: Comment });
      this.scripts.push({ instanceId, comment: Comment, script: Parameters.commands.join('\n') });
      return { Command: { CommandId: id } };
    });
    ssm.on(GetCommandInvocationCommand).callsFake(({ CommandId }) => {
      const command = this.commands.get(CommandId);
      if (!command) throw new Error(`unknown command ${CommandId}`);
      const answer = [...this.answers.entries()].find(([prefix]) => command.comment.startsWith(prefix))?.[1] ?? {
        exitCode: 0,
      };
      return {
        Status: answer.exitCode === 0 ? 'Success' : 'Failed',
        ResponseCode: answer.exitCode,
        StandardOutputContent: answer.stdout ?? '',
        StandardErrorContent: answer.stderr ?? '',
      };
    });
    ssm.on(DescribeInstanceInformationCommand).callsFake(({ Filters }) => {
      const id = Filters[0].Values[0];
      return { InstanceInformationList: [{ InstanceId: id, IPAddress: `10.0.101.${id.length + 10}` }] };
    });

    const eb = mockClient(ElasticBeanstalkClient);
    this.mocks.push(eb);
    eb.on(DescribeEnvironmentsCommand).callsFake(({ EnvironmentNames }) => {
      const name = EnvironmentNames[0];
      const environment = this.environments.get(name);
      return {
        Environments: environment
          ? [
              {
                EnvironmentName: name,
                ApplicationName: 'client-magento',
                Status: 'Ready',
                Health: 'Green',
                HealthStatus: 'Ok',
                VersionLabel: environment.version,
              },
            ]
          : [],
      };
    });
    eb.on(DescribeInstancesHealthCommand).callsFake(({ EnvironmentName }) => {
      const environment = this.environments.get(EnvironmentName);
      return {
        InstanceHealthList: (environment?.instances ?? []).map((id) => ({
          InstanceId: id,
          HealthStatus: 'Ok',
          Deployment: { VersionLabel: environment?.version },
        })),
      };
    });
    eb.on(DescribeApplicationVersionsCommand).callsFake(({ VersionLabels }) => ({
      ApplicationVersions: this.versions.has(VersionLabels[0]) ? [{ VersionLabel: VersionLabels[0] }] : [],
    }));
    eb.on(CreateApplicationVersionCommand).callsFake(({ VersionLabel, SourceBundle }) => {
      this.record(`CreateApplicationVersion ${VersionLabel} s3://${SourceBundle.S3Bucket}/${SourceBundle.S3Key}`);
      this.versions.add(VersionLabel);
      return {};
    });
    eb.on(UpdateEnvironmentCommand).callsFake(({ EnvironmentName, VersionLabel }) => {
      this.record(`UpdateEnvironment ${EnvironmentName} ${VersionLabel}`);
      const environment = this.environments.get(EnvironmentName);
      if (environment && !this.failingDeploys.has(EnvironmentName)) environment.version = VersionLabel;
      return {};
    });
    eb.on(DescribeEventsCommand).callsFake(({ EnvironmentName }) => ({
      Events: this.failingDeploys.has(EnvironmentName)
        ? [
            {
              EventDate: new Date(this.clock.now()),
              Severity: 'ERROR',
              Message: `Instance deployment failed on instance(s) [i-0f000002]. For details, see 'eb-engine.log'.`,
            },
          ]
        : [],
    }));

    const elb = mockClient(ElasticLoadBalancingV2Client);
    this.mocks.push(elb);
    elb.on(DescribeRulesCommand).callsFake(() => {
      this.record('DescribeRules');
      return {
        Rules: [
          ...this.rules.map((rule) => ({
            RuleArn: rule.arn,
            Priority: String(rule.priority),
            Conditions: rule.conditions,
            Actions: rule.actions,
            IsDefault: false,
          })),
          {
            RuleArn: `${LISTENER}/default`,
            Priority: 'default',
            IsDefault: true,
            Conditions: [],
            Actions: [{ Type: 'fixed-response' }],
          },
        ],
      };
    });
    elb.on(DescribeTagsCommand).callsFake(({ ResourceArns }) => ({
      TagDescriptions: ResourceArns.map((arn: string) => ({
        ResourceArn: arn,
        Tags: Object.entries(this.rules.find((rule) => rule.arn === arn)?.tags ?? {}).map(([Key, Value]) => ({
          Key,
          Value,
        })),
      })),
    }));
    elb.on(CreateRuleCommand).callsFake(({ Priority, Conditions, Actions, Tags }) => {
      this.record(`CreateRule ${Priority} ${Actions[0].Type}`);
      if (this.rules.some((rule) => rule.priority === Priority)) throw new Error(`PriorityInUse ${Priority}`);
      const values = Conditions.flatMap(
        (condition: {
          PathPatternConfig?: { Values: string[] };
          SourceIpConfig?: { Values: string[] };
          HostHeaderConfig?: { Values: string[] };
        }) =>
          condition.PathPatternConfig?.Values ??
          condition.SourceIpConfig?.Values ??
          condition.HostHeaderConfig?.Values ??
          [],
      );
      if (values.length > 5) throw new Error(`TooManyConditionValues ${values.length}`);
      const body = Actions[0].FixedResponseConfig?.MessageBody;
      if (body !== undefined && Buffer.byteLength(body) > 1024)
        throw new Error('ValidationError: MessageBody too long');
      const arn = `${LISTENER}/rule-${this.nextRule++}`;
      this.rules.push({
        arn,
        priority: Priority,
        conditions: Conditions,
        actions: Actions,
        tags: Object.fromEntries(Tags.map((tag: { Key: string; Value: string }) => [tag.Key, tag.Value])),
      });
      return { Rules: [{ RuleArn: arn }] };
    });
    elb.on(DeleteRuleCommand).callsFake(({ RuleArn }) => {
      this.record('DeleteRule');
      this.rules = this.rules.filter((rule) => rule.arn !== RuleArn);
      return {};
    });
    elb.on(SetRulePrioritiesCommand).callsFake(({ RulePriorities }) => {
      this.record(`SetRulePriorities ${RulePriorities.map((entry: { Priority: number }) => entry.Priority).join(',')}`);
      for (const { RuleArn, Priority } of RulePriorities) {
        const rule = this.rules.find((candidate) => candidate.arn === RuleArn);
        if (rule) rule.priority = Priority;
      }
      return {};
    });

    const s3 = mockClient(S3Client);
    this.mocks.push(s3);
    s3.on(HeadObjectCommand).callsFake(() => {
      throw new NotFound({ message: 'not found', $metadata: {} });
    });
    s3.on(PutObjectCommand).callsFake(async ({ Bucket, Key, Body }) => {
      // Read the file stream the store opened, as S3 would, before the test removes the file.
      for await (const _ of Body as AsyncIterable<unknown>);
      this.record(`PutObject s3://${Bucket}/${Key}`);
      return {};
    });

    const rds = mockClient(RDSClient);
    this.mocks.push(rds);
    rds.on(CreateDBSnapshotCommand).callsFake(({ DBInstanceIdentifier, DBSnapshotIdentifier }) => {
      this.record(`CreateDBSnapshot ${DBInstanceIdentifier} ${DBSnapshotIdentifier}`);
      return {};
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: 'available' }] });

    const cloudWatch = mockClient(CloudWatchClient);
    this.mocks.push(cloudWatch);
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  }

  /** Puts the SDK clients back (call after each test). */
  restore(): void {
    for (const mock of this.mocks) mock.restore();
  }
}
