import type { Command } from 'commander';
import type { OperationsAws, OperationsAwsFactory } from '../../aws/operations.ts';
import type { Platform } from '../../config/schema.ts';
import { lazyRealOperationsAws } from '../../ops/aws.ts';
import { requireEnvironment } from '../../ops/environments.ts';
import type { CliCommand, CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { table } from '../output.ts';

/**
 * `storestack maintenance on|off|status --env <env>`: maintenance at the load balancer (the rules
 * a schema release uses), by hand. `status` also asks each instance for Magento's own flag, which
 * the document's runbook (and `release --strategy classic`) sets.
 */
export class MaintenanceCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    const maintenance = program
      .command('maintenance')
      .description(
        "maintenance at the load balancer: a 503 page for everyone but the staff and the NAT gateways' addresses",
      );
    for (const action of ['on', 'off', 'status'] as const) {
      maintenance
        .command(action)
        .description(
          action === 'on'
            ? "put the maintenance rules ahead of Beanstalk's and confirm them"
            : action === 'off'
              ? 'remove the maintenance rules'
              : "the rules, and Magento's maintenance flag on each instance",
        )
        .requiredOption('--env <env>', 'the environment, e.g. prod')
        .option('--json', 'machine-readable output')
        .action(async (flags: { env: string; json?: boolean }, command: Command) => {
          const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
          const env = flags.env;
          requireEnvironment(platform, env);
          await this[action](platform, env, await this.aws(platform.aws.region), flags.json === true);
        });
    }
  }

  private async listener(platform: Platform, env: string, aws: OperationsAws): Promise<string> {
    const { httpsListenerParameter } = await import('../../config/names.ts');
    return aws.parameters.get(httpsListenerParameter(platform, env));
  }

  private async on(platform: Platform, env: string, aws: OperationsAws, json: boolean): Promise<void> {
    const { natAddressesParameter } = await import('../../config/names.ts');
    const { beanstalkTargetGroups, enableMaintenance } = await import('../../release/maintenance.ts');
    const listener = await this.listener(platform, env, aws);
    const nat = (await aws.parameters.get(natAddressesParameter(platform))).split(',').filter(Boolean);
    const groups = beanstalkTargetGroups(await aws.listenerRules.rules(listener));
    const state = await enableMaintenance(aws.listenerRules, listener, env, {
      exemptCidrs: [...platform.release.maintenance.staffCidrs, ...nat.map((address) => `${address}/32`)],
      page: platform.release.maintenance.page,
      frontendTargetGroupArn: groups.frontend,
      backOfficeTargetGroupArn: groups.backOffice,
    });
    if (json) this.context.output.json({ environment: env, maintenance: true, rules: state.rules.length });
    else
      this.context.output.line(`${env}: maintenance ON (${state.rules.length} rules, confirmed ahead of Beanstalk's)`);
  }

  private async off(platform: Platform, env: string, aws: OperationsAws, json: boolean): Promise<void> {
    const { disableMaintenance } = await import('../../release/maintenance.ts');
    const removed = await disableMaintenance(aws.listenerRules, await this.listener(platform, env, aws));
    if (json) this.context.output.json({ environment: env, maintenance: false, removed });
    else this.context.output.line(`${env}: maintenance off (${removed} rules removed)`);
  }

  private async status(platform: Platform, env: string, aws: OperationsAws, json: boolean): Promise<void> {
    const { magentoEnvironmentNames } = await import('../../config/names.ts');
    const { maintenanceState } = await import('../../release/maintenance.ts');
    const state = maintenanceState(await aws.listenerRules.rules(await this.listener(platform, env, aws)));
    const names = magentoEnvironmentNames(platform, env);
    const instances: { environment: string; instanceId: string; magentoMaintenance: string }[] = [];
    for (const name of [names.frontend, names.backOffice]) {
      for (const instance of await aws.beanstalk.instances(name)) {
        const result = await aws.commands.run(
          instance.id,
          'sudo -u webapp php /var/app/current/bin/magento maintenance:status',
          { comment: 'maintenance:status', timeoutSeconds: 120 },
        );
        const flag = /maintenance mode is (active|not active)/i.exec(result.stdout)?.[1]?.toLowerCase();
        instances.push({
          environment: name,
          instanceId: instance.id,
          magentoMaintenance: flag ?? `unknown (exit ${result.exitCode})`,
        });
      }
    }
    if (json) {
      this.context.output.json({
        environment: env,
        loadBalancer: { on: state.on, ahead: state.ahead, rules: state.rules.length },
        instances,
      });
      return;
    }
    this.context.output.line(
      `${env}: load balancer maintenance ${state.on ? `ON (${state.rules.length} rules${state.ahead ? '' : ", NOT ahead of Beanstalk's"})` : 'off'}`,
    );
    for (const line of table(
      ['environment', 'instance', 'Magento maintenance flag'],
      instances.map((row) => [row.environment, row.instanceId, row.magentoMaintenance]),
    )) {
      this.context.output.line(line);
    }
  }
}
