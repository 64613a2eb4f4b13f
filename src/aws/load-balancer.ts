// The HTTPS listener's rules: Beanstalk's (it owns them and their target groups) and storestack's
// maintenance rules, which carry a tag so they are found again and never confused with Beanstalk's.
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
  type Rule,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';

/** The tag on storestack's maintenance rules; its value is the environment's name. */
export const MAINTENANCE_TAG = 'storestack:maintenance';

export interface RuleCondition {
  /** `path-pattern`, `host-header`, `source-ip`. */
  readonly field: string;
  readonly values: readonly string[];
}

export type RuleAction =
  | { readonly type: 'forward'; readonly targetGroupArn: string }
  | {
      readonly type: 'fixed-response';
      readonly statusCode: string;
      readonly contentType: string;
      readonly body: string;
    }
  | { readonly type: 'other'; readonly description: string };

export interface ListenerRule {
  readonly arn: string;
  /** The evaluation order; the default rule comes last. */
  readonly priority: number | 'default';
  readonly conditions: readonly RuleCondition[];
  readonly action: RuleAction;
  /** True for storestack's maintenance rules (the tag). */
  readonly maintenance: boolean;
}

export interface NewRule {
  readonly priority: number;
  readonly conditions: readonly RuleCondition[];
  readonly action: Exclude<RuleAction, { type: 'other' }>;
}

export interface ListenerRules {
  /** Every rule of the listener, in evaluation order. */
  rules(listenerArn: string): Promise<ListenerRule[]>;
  /** Creates a maintenance rule (tagged with the environment). */
  createMaintenanceRule(listenerArn: string, environment: string, rule: NewRule): Promise<string>;
  deleteRule(ruleArn: string): Promise<void>;
  /** Moves rules to new priorities in one call (ALB applies it atomically). */
  setPriorities(priorities: readonly { readonly arn: string; readonly priority: number }[]): Promise<void>;
}

function conditionsOf(rule: Rule): RuleCondition[] {
  return (rule.Conditions ?? []).map((condition) => {
    const field = condition.Field ?? '';
    const values =
      condition.PathPatternConfig?.Values ??
      condition.HostHeaderConfig?.Values ??
      condition.SourceIpConfig?.Values ??
      condition.Values ??
      [];
    return { field, values };
  });
}

function actionOf(rule: Rule): RuleAction {
  const action =
    rule.Actions?.find((candidate) => candidate.Order === undefined || candidate.Order >= 1) ?? rule.Actions?.[0];
  if (action?.Type === 'forward') {
    const targetGroupArn = action.TargetGroupArn ?? action.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
    if (targetGroupArn) return { type: 'forward', targetGroupArn };
  }
  if (action?.Type === 'fixed-response') {
    return {
      type: 'fixed-response',
      statusCode: action.FixedResponseConfig?.StatusCode ?? '',
      contentType: action.FixedResponseConfig?.ContentType ?? '',
      body: action.FixedResponseConfig?.MessageBody ?? '',
    };
  }
  return { type: 'other', description: action?.Type ?? 'none' };
}

export class SdkListenerRules implements ListenerRules {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  async rules(listenerArn: string): Promise<ListenerRule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const output = await this.client.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
      rules.push(...(output.Rules ?? []));
      marker = output.NextMarker;
    } while (marker);
    const tagged = new Set<string>();
    const arns = rules.filter((rule) => !rule.IsDefault && rule.RuleArn).map((rule) => rule.RuleArn as string);
    // DescribeTags takes at most 20 resources a call.
    for (let i = 0; i < arns.length; i += 20) {
      const output = await this.client.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
      for (const description of output.TagDescriptions ?? []) {
        if (description.ResourceArn && description.Tags?.some((tag) => tag.Key === MAINTENANCE_TAG)) {
          tagged.add(description.ResourceArn);
        }
      }
    }
    return rules
      .map((rule) => ({
        arn: rule.RuleArn ?? '',
        priority: rule.IsDefault ? ('default' as const) : Number(rule.Priority),
        conditions: conditionsOf(rule),
        action: actionOf(rule),
        maintenance: tagged.has(rule.RuleArn ?? ''),
      }))
      .sort((a, b) => (a.priority === 'default' ? 1 : b.priority === 'default' ? -1 : a.priority - b.priority));
  }

  async createMaintenanceRule(listenerArn: string, environment: string, rule: NewRule): Promise<string> {
    const action =
      rule.action.type === 'forward'
        ? { Type: 'forward' as const, TargetGroupArn: rule.action.targetGroupArn }
        : {
            Type: 'fixed-response' as const,
            FixedResponseConfig: {
              StatusCode: rule.action.statusCode,
              ContentType: rule.action.contentType,
              MessageBody: rule.action.body,
            },
          };
    const output = await this.client.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: rule.priority,
        Conditions: rule.conditions.map((condition) => {
          const values = [...condition.values];
          if (condition.field === 'path-pattern')
            return { Field: 'path-pattern', PathPatternConfig: { Values: values } };
          if (condition.field === 'host-header') return { Field: 'host-header', HostHeaderConfig: { Values: values } };
          if (condition.field === 'source-ip') return { Field: 'source-ip', SourceIpConfig: { Values: values } };
          throw new Error(`unsupported rule condition ${condition.field}`);
        }),
        Actions: [action],
        Tags: [{ Key: MAINTENANCE_TAG, Value: environment }],
      }),
    );
    const arn = output.Rules?.[0]?.RuleArn;
    if (!arn) throw new Error(`CreateRule on ${listenerArn} returned no rule`);
    return arn;
  }

  async deleteRule(ruleArn: string): Promise<void> {
    await this.client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
  }

  async setPriorities(priorities: readonly { readonly arn: string; readonly priority: number }[]): Promise<void> {
    if (priorities.length === 0) return;
    await this.client.send(
      new SetRulePrioritiesCommand({
        RulePriorities: priorities.map(({ arn, priority }) => ({ RuleArn: arn, Priority: priority })),
      }),
    );
  }
}
