import type { Command } from 'commander';
import type { ListenerRule } from '../../aws/load-balancer.ts';
import type { OperationsAwsFactory } from '../../aws/operations.ts';
import { lazyRealOperationsAws } from '../../ops/aws.ts';
import { requireEnvironment } from '../../ops/environments.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { table } from '../output.ts';

/** The problem with the listener's live rule order, if any (DESIGN.md, "The shared load balancer"). */
export function ruleOrderProblem(rules: readonly ListenerRule[], backOfficeGroup: string): string | undefined {
  const beanstalk = rules.filter((rule) => !rule.maintenance && rule.priority !== 'default');
  const backOffice = beanstalk.findIndex(
    (rule) => rule.action.type === 'forward' && rule.action.targetGroupArn === backOfficeGroup,
  );
  const frontend = beanstalk.findIndex(
    (rule) => rule.action.type === 'forward' && rule.action.targetGroupArn !== backOfficeGroup,
  );
  if (backOffice < 0) return 'no Beanstalk rule forwards to the back office (/backend/*)';
  if (frontend >= 0 && frontend < backOffice) {
    return "the front end's rule comes before /backend/*: the back office is unreachable (docs/adr/0006)";
  }
  return undefined;
}

/**
 * `storestack status --env <env>`: the environments' health and instances with the version each
 * runs, the alarms in ALARM, maintenance, and the live listener-rule order, failing loudly when the
 * front end's rule precedes `/backend/*`.
 */
export class StatusCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    program
      .command('status')
      .description("an environment's health, instances and versions, alarms, maintenance and listener rule order")
      .requiredOption('--env <env>', 'the environment, e.g. prod')
      .option('--json', 'machine-readable output')
      .action(async (flags: { env: string; json?: boolean }, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        const env = flags.env;
        requireEnvironment(platform, env);
        const { httpsListenerParameter, magentoEnvironmentNames } = await import('../../config/names.ts');
        const { beanstalkTargetGroups, maintenanceState } = await import('../../release/maintenance.ts');
        const aws = await this.aws(platform.aws.region);
        const names = magentoEnvironmentNames(platform, env);
        const environments = [];
        for (const name of [names.frontend, names.backOffice]) {
          const state = await aws.beanstalk.describe(name);
          environments.push({ ...state, instances: await aws.beanstalk.instances(name) });
        }
        const rules = await aws.listenerRules.rules(await aws.parameters.get(httpsListenerParameter(platform, env)));
        const maintenance = maintenanceState(rules);
        let problem: string | undefined;
        try {
          problem = ruleOrderProblem(rules, beanstalkTargetGroups(rules).backOffice);
        } catch (error) {
          problem = (error as Error).message;
        }
        const alarms = await aws.alarms.firing();
        const { output } = this.context;
        if (flags.json) {
          output.json({
            environment: env,
            environments,
            maintenance: { on: maintenance.on, ahead: maintenance.ahead },
            rules: rules.map((rule) => ({
              priority: rule.priority,
              conditions: rule.conditions,
              action: rule.action.type === 'fixed-response' ? { ...rule.action, body: undefined } : rule.action,
              maintenance: rule.maintenance,
            })),
            ruleOrderProblem: problem ?? null,
            alarms,
          });
        } else {
          for (const environment of environments) {
            output.line(
              `${environment.name}: ${environment.status}, health ${environment.health} (${environment.healthStatus}), version ${environment.versionLabel ?? 'none'}`,
            );
            for (const line of table(
              ['instance', 'health', 'version'],
              environment.instances.map((instance) => [
                instance.id,
                instance.healthStatus,
                instance.versionLabel ?? '?',
              ]),
            )) {
              output.line(`  ${line}`);
            }
          }
          output.line(`maintenance: ${maintenance.on ? 'ON' : 'off'}`);
          output.line('listener rules (evaluation order):');
          for (const rule of rules) {
            const conditions = rule.conditions
              .map((condition) => `${condition.field}=${condition.values.join(',')}`)
              .join(' ');
            const action =
              rule.action.type === 'forward'
                ? `forward ${rule.action.targetGroupArn.split('/').slice(-2).join('/')}`
                : rule.action.type;
            output.line(
              `  ${String(rule.priority).padStart(7)}  ${conditions || '(default)'} -> ${action}${rule.maintenance ? ' [maintenance]' : ''}`,
            );
          }
          output.line(
            alarms.length === 0
              ? 'alarms: none in ALARM'
              : `alarms in ALARM: ${alarms.map((alarm) => alarm.name).join(', ')}`,
          );
        }
        if (problem) throw new CliError(`${env}: ${problem}`);
      });
  }
}
