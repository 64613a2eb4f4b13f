// Maintenance at the load balancer (DESIGN.md, "Releasing Magento", step 5), not on the instances:
// a Magento instance in maintenance answers 503 to Beanstalk's health checks, which then fails the
// deployment (the document's "Issues and Shortcomings"). storestack puts listener rules ahead of
// Beanstalk's: the exempt addresses (staff, the NAT gateways: Rundeck and the smoke test) still
// reach the back office and the front end, static and media files are still served, and every
// other request gets a fixed 503 page. The rules are tagged, so they are found and lifted again.
import type { ListenerRule, ListenerRules, NewRule, RuleCondition } from '../aws/load-balancer.ts';
import { MAINTENANCE_PAGE_LIMIT_BYTES, MAX_CONDITION_VALUES } from '../config/alb-limits.ts';

export { MAX_CONDITION_VALUES };
/** The back office's path (document 1: "/backend/*" goes to the back-office environment). */
export const BACK_OFFICE_PATH = '/backend/*';
/** What maintenance still serves to everyone: the versioned statics and the media. */
export const ALWAYS_SERVED_PATHS = ['/static/*', '/pub/static/*', '/media/*', '/pub/media/*'] as const;

export interface MaintenancePlanInput {
  /** Addresses that bypass maintenance, as CIDRs (staff; the NAT gateways as /32). */
  readonly exemptCidrs: readonly string[];
  /** The 503 page, at most 1024 bytes. */
  readonly page: string;
  readonly frontendTargetGroupArn: string;
  readonly backOfficeTargetGroupArn: string;
}

/** The maintenance rules, in evaluation order, priorities not yet assigned. */
export type MaintenanceRule = Omit<NewRule, 'priority'>;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Checks the page and builds the rules; throws naming the limit that the input breaks. */
export function maintenanceRules(input: MaintenancePlanInput): MaintenanceRule[] {
  const bytes = Buffer.byteLength(input.page);
  if (bytes > MAINTENANCE_PAGE_LIMIT_BYTES) {
    throw new Error(
      `the maintenance page is ${bytes} bytes; an ALB fixed response holds at most ${MAINTENANCE_PAGE_LIMIT_BYTES} (release.maintenance.page)`,
    );
  }
  const exempt = [...new Set(input.exemptCidrs)];
  const backOffice: RuleCondition = { field: 'path-pattern', values: [BACK_OFFICE_PATH] };
  const rules: MaintenanceRule[] = [
    // Exempt addresses: the back office first (its path), then everything else to the front end,
    // as Beanstalk's own rules would route them.
    ...chunks(exempt, MAX_CONDITION_VALUES - 1).map((cidrs) => ({
      conditions: [backOffice, { field: 'source-ip', values: cidrs }],
      action: { type: 'forward' as const, targetGroupArn: input.backOfficeTargetGroupArn },
    })),
    ...chunks(exempt, MAX_CONDITION_VALUES).map((cidrs) => ({
      conditions: [{ field: 'source-ip', values: cidrs }],
      action: { type: 'forward' as const, targetGroupArn: input.frontendTargetGroupArn },
    })),
    {
      conditions: [{ field: 'path-pattern', values: [...ALWAYS_SERVED_PATHS] }],
      action: { type: 'forward', targetGroupArn: input.frontendTargetGroupArn },
    },
    {
      conditions: [{ field: 'path-pattern', values: ['/*'] }],
      action: { type: 'fixed-response', statusCode: '503', contentType: 'text/html', body: input.page },
    },
  ];
  for (const rule of rules) {
    const values = rule.conditions.reduce((sum, condition) => sum + condition.values.length, 0);
    if (values > MAX_CONDITION_VALUES) throw new Error(`a maintenance rule has ${values} condition values (ALB: 5)`);
  }
  return rules;
}

/** The target groups Beanstalk's rules forward to: the back office's (`/backend/*`) and the front end's. */
export function beanstalkTargetGroups(rules: readonly ListenerRule[]): { frontend: string; backOffice: string } {
  const beanstalk = rules.filter((rule) => !rule.maintenance && rule.priority !== 'default');
  const forwardOf = (rule: ListenerRule | undefined) =>
    rule?.action.type === 'forward' ? rule.action.targetGroupArn : undefined;
  const isBackOffice = (rule: ListenerRule) =>
    rule.conditions.some(
      (condition) => condition.field === 'path-pattern' && condition.values.includes(BACK_OFFICE_PATH),
    );
  const backOffice = forwardOf(beanstalk.find(isBackOffice));
  const frontend = forwardOf(beanstalk.find((rule) => !isBackOffice(rule) && forwardOf(rule) !== backOffice));
  if (!backOffice || !frontend) {
    throw new Error(
      `the listener has no Beanstalk rule for ${backOffice ? 'the front end' : `the back office (${BACK_OFFICE_PATH})`}: are both environments up?`,
    );
  }
  return { frontend, backOffice };
}

/** Where things stand on the listener. */
export interface MaintenanceState {
  readonly on: boolean;
  /** storestack's rules, in order. */
  readonly rules: readonly ListenerRule[];
  /** True when every maintenance rule is evaluated before every Beanstalk rule. */
  readonly ahead: boolean;
}

export function maintenanceState(rules: readonly ListenerRule[]): MaintenanceState {
  const ours = rules.filter((rule) => rule.maintenance);
  const numbered = (rule: ListenerRule) => (rule.priority === 'default' ? Number.POSITIVE_INFINITY : rule.priority);
  const lastOurs = Math.max(...ours.map(numbered));
  const firstTheirs = Math.min(...rules.filter((rule) => !rule.maintenance).map(numbered));
  return { on: ours.length > 0, rules: ours, ahead: ours.length === 0 || lastOurs < firstTheirs };
}

/**
 * Puts the maintenance rules on the listener, ahead of Beanstalk's (moving Beanstalk's down, in
 * order, when the first priorities are taken), then reads the listener back and confirms the
 * rules are there and first. Nothing else of a release moves before this resolves.
 */
export async function enableMaintenance(
  lb: ListenerRules,
  listenerArn: string,
  environment: string,
  input: MaintenancePlanInput,
): Promise<MaintenanceState> {
  const before = await lb.rules(listenerArn);
  if (maintenanceState(before).on) {
    const state = maintenanceState(before);
    if (!state.ahead)
      throw new Error("maintenance rules are on the listener but not ahead of Beanstalk's: lift them and retry");
    return state;
  }
  const rules = maintenanceRules(input);
  const beanstalk = before.filter((rule) => rule.priority !== 'default');
  const lowest = Math.min(...beanstalk.map((rule) => rule.priority as number), Number.POSITIVE_INFINITY);
  if (lowest <= rules.length) {
    // Keep Beanstalk's order, shifted past ours.
    const shift = rules.length + 1 - lowest;
    await lb.setPriorities(beanstalk.map((rule) => ({ arn: rule.arn, priority: (rule.priority as number) + shift })));
  }
  for (const [index, rule] of rules.entries()) {
    await lb.createMaintenanceRule(listenerArn, environment, { ...rule, priority: index + 1 });
  }
  const after = maintenanceState(await lb.rules(listenerArn));
  if (after.rules.length !== rules.length || !after.ahead) {
    throw new Error(
      `maintenance could not be confirmed on ${listenerArn}: ${after.rules.length} of ${rules.length} rules, ${after.ahead ? 'ahead of' : 'NOT ahead of'} Beanstalk's`,
    );
  }
  return after;
}

/** Removes storestack's maintenance rules (Beanstalk's keep their order). */
export async function disableMaintenance(lb: ListenerRules, listenerArn: string): Promise<number> {
  const ours = (await lb.rules(listenerArn)).filter((rule) => rule.maintenance);
  for (const rule of ours) await lb.deleteRule(rule.arn);
  return ours.length;
}
