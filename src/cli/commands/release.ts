import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { OperationsAwsFactory } from '../../aws/operations.ts';
import { RELEASE_APPLICATIONS } from '../../config/names.ts';
import type { Platform } from '../../config/schema.ts';
import { BAD_INPUT, lazyRealOperationsAws } from '../../ops/aws.ts';
import { requireEnvironment } from '../../ops/environments.ts';
import type { ReleasePlan } from '../../release/magento-release.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { table } from '../output.ts';
import { requireRehearsal } from '../rehearsal-target.ts';

interface ReleaseFlags {
  env: string;
  artifact?: string;
  ref?: string;
  releaseId?: string;
  strategy: string;
  dryRun?: boolean;
  json?: boolean;
}

/** A failed release as the operator reads it: step, instance and IP, maintenance, log tail, next steps. */
function failureText(error: import('../../release/magento-release.ts').ReleaseFailure): string {
  const lines = [error.message];
  if (error.instance)
    lines.push(`instance: ${error.instance.id} (${error.instance.privateIp ?? 'private IP unknown'})`);
  lines.push(`maintenance: ${error.maintenanceLeftOn ? 'ON (left on)' : 'off'}`);
  if (error.logTail) {
    lines.push(
      '/var/log/eb-engine.log (tail):',
      ...error.logTail
        .trimEnd()
        .split('\n')
        .map((line) => `  ${line}`),
    );
  }
  lines.push('next:', ...error.nextSteps.map((step) => `  ${step}`));
  return lines.join('\n');
}

/** Who releases, for the lock: `<user>@<host>` (on Rundeck, `rundeck@ip-10-0-101-5`). */
async function releaseOwner(): Promise<string> {
  const { hostname, userInfo } = await import('node:os');
  return `${userInfo().username}@${hostname()}`;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `storestack release <app> --env <env> (--artifact <zip> | --ref <ref>) [--strategy safe|classic] [--dry-run]`:
 * the document's deployment process as one command (DESIGN.md, "Releasing Magento").
 */
export class ReleaseCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    program
      .command('release')
      .description('release an application to an environment: Magento without downtime unless the database changes')
      .argument('<app>', `the application: ${RELEASE_APPLICATIONS.join(', ')}`)
      .requiredOption('--env <env>', 'the environment, e.g. prod')
      .option('--artifact <zip>', 'a zip from storestack build (its release id is the number at the end of its name)')
      .option('--ref <ref>', 'build this git ref first (storestack build), then release it')
      .option('--release-id <n>', "the release id, when the artifact's name does not end with it")
      .option(
        '--strategy <strategy>',
        'safe (maintenance only for schema changes) or classic (the document runbook)',
        'safe',
      )
      .option('--dry-run', 'print the plan and its windows; needs no AWS access and changes nothing')
      .option('--json', 'machine-readable plan or summary')
      .action(async (app: string, flags: ReleaseFlags, command: Command) => {
        const platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
        await this.run(platform, app, flags);
      });
  }

  private async run(configured: Platform, app: string, flags: ReleaseFlags): Promise<void> {
    const { output } = this.context;
    if (!(RELEASE_APPLICATIONS as readonly string[]).includes(app))
      throw new CliError(`unknown application ${app}: one of ${RELEASE_APPLICATIONS.join(', ')}`, BAD_INPUT);
    // `--env rehearsal`: the running miniature (storestack rehearse up) instead of AWS.
    const rehearsal =
      flags.env === 'rehearsal' && !flags.dryRun
        ? await requireRehearsal(this.context.projectRoot, configured, app, BAD_INPUT)
        : undefined;
    const platform = rehearsal?.platform ?? configured;
    const operations = () => (rehearsal ? Promise.resolve(rehearsal.aws) : this.aws(platform.aws.region));
    if (flags.env === 'rehearsal' && flags.dryRun) {
      throw new CliError('--dry-run plans for a configured environment; the rehearsal runs for real', BAD_INPUT);
    }
    requireEnvironment(platform, flags.env);
    if (flags.strategy !== 'safe' && flags.strategy !== 'classic') {
      throw new CliError(`--strategy must be safe or classic (got ${flags.strategy})`, BAD_INPUT);
    }
    if (Boolean(flags.artifact) === Boolean(flags.ref))
      throw new CliError('give one of --artifact <zip> or --ref <git ref>', BAD_INPUT);
    if (flags.ref) {
      throw new CliError(
        `build the release first, then release its artifact: storestack build ${app} --env ${flags.env} --ref ${flags.ref}`,
        BAD_INPUT,
      );
    }
    const file = flags.artifact as string;
    if (!existsSync(file)) throw new CliError(`--artifact ${file} does not exist`, BAD_INPUT);
    const releaseId = flags.releaseId ?? /-(\d+)\.zip$/.exec(basename(file))?.[1];
    if (!releaseId || !/^\d{1,18}$/.test(releaseId)) {
      throw new CliError(
        `--artifact ${file}: no numeric release id at the end of its name; give --release-id <n>`,
        BAD_INPUT,
      );
    }
    const sha256 = await sha256Of(file);
    const recorded = existsSync(`${file}.sha256`) ? readFileSync(`${file}.sha256`, 'utf8').split(/\s/)[0] : undefined;
    if (recorded && recorded !== sha256) {
      throw new CliError(
        `--artifact ${file} does not match ${file}.sha256 (${recorded}): it changed after the build`,
        BAD_INPUT,
      );
    }
    const { MagentoRelease, ReleaseFailure, planWindows } = await import('../../release/magento-release.ts');
    if (app !== 'magento') {
      // The satellite applications run once for the whole platform (the shared Apps stack).
      const production = platform.edge.environment;
      if (flags.env !== production) {
        throw new CliError(
          `${app} runs once for the platform (the Apps stack is shared): release it with --env ${production}`,
          BAD_INPUT,
        );
      }
      if (flags.dryRun || flags.strategy === 'classic') {
        throw new CliError(
          `${app} releases with a rolling update of its one instance: --dry-run and --strategy classic are Magento's`,
          BAD_INPUT,
        );
      }
      const { SatelliteRelease } = await import('../../release/satellite-release.ts');
      const release = new SatelliteRelease(
        {
          platform,
          app: app as 'pim' | 'connector' | 'mirakl',
          artifact: { file, sha256, releaseId },
          owner: await releaseOwner(),
          progress: (line: string) => output.error(line),
        },
        await operations(),
      );
      try {
        const summary = await release.execute();
        if (flags.json) output.json(summary);
        else output.line(`released ${app} ${summary.releaseId} (${summary.totalSeconds.toFixed(0)} s)`);
      } catch (error) {
        if (error instanceof ReleaseFailure) throw new CliError(failureText(error));
        throw error;
      }
      return;
    }
    const options = {
      platform,
      environment: flags.env,
      strategy: flags.strategy as 'safe' | 'classic',
      artifact: { file, sha256, releaseId },
      owner: await releaseOwner(),
      progress: (line: string) => output.error(line),
      smokeTest: rehearsal?.smokeTest,
    };
    if (flags.dryRun) {
      const plan = new MagentoRelease(options).plan();
      const windows = planWindows(plan);
      if (flags.json) output.json({ plan, windows });
      else this.printPlan(plan, windows);
      return;
    }
    const release = new MagentoRelease(options, await operations());
    try {
      const summary = await release.execute();
      if (flags.json) {
        output.json(summary);
        return;
      }
      output.line(
        `released magento ${summary.releaseId} to ${flags.env} (${summary.strategy}${summary.upgrade === undefined ? '' : summary.upgrade ? ', with a database upgrade' : ', no database upgrade'})`,
      );
      for (const line of table(
        ['step', 'seconds'],
        summary.steps.map((step) => [step.name, step.seconds.toFixed(1)]),
      )) {
        output.line(line);
      }
      output.line(
        `maintenance: ${summary.maintenanceSeconds.toFixed(0)} s; total: ${summary.totalSeconds.toFixed(0)} s`,
      );
    } catch (error) {
      if (!(error instanceof ReleaseFailure)) throw error;
      throw new CliError(failureText(error));
    }
  }

  /** `--ref`: builds the release first (storestack build), into ./releases, and returns its zip. */
  private async build(platform: Platform, app: string, flags: ReleaseFlags): Promise<string> {
    const { BuildError, InvalidBuildRequestError, ReleaseBuilder } = await import('../../release/build.ts');
    const { withBuildCredentials } = await import('../../release/build-credentials.ts');
    const { secretsManager } = await import('./build.ts');
    const progress = (line: string) => this.context.output.error(line);
    try {
      const result = await withBuildCredentials(
        platform,
        await secretsManager(platform.aws.region),
        process.env,
        progress,
        (processEnv) =>
          new ReleaseBuilder(platform, { processEnv, progress }).build({
            application: app,
            environment: flags.env,
            ref: flags.ref as string,
            releaseId: flags.releaseId,
            outDir: 'releases',
          }),
      );
      return result.zip;
    } catch (error) {
      if (error instanceof InvalidBuildRequestError || error instanceof BuildError) {
        throw new CliError(`building ${app} at ${flags.ref}: ${error.message}`);
      }
      throw error;
    }
  }

  private printPlan(
    plan: ReleasePlan,
    windows: ReturnType<typeof import('../../release/magento-release.ts').planWindows>,
  ): void {
    const { output } = this.context;
    const rows = (steps: ReleasePlan['steps']) =>
      steps.map((step) => [step.name, step.touches, step.store, `${Math.round(step.estimateSeconds)} s`]);
    const header = ['step', 'touches', 'store', 'estimate'];
    output.line(`release ${plan.releaseId}, strategy ${plan.strategy} (dry run: nothing is changed)`);
    for (const line of table(header, rows(plan.steps))) output.line(line);
    for (const [label, steps] of [
      ['if the preflight finds no upgrade', plan.ifNoUpgrade],
      ['if the preflight finds an upgrade', plan.ifUpgrade],
    ] as const) {
      if (!steps) continue;
      output.line();
      output.line(`${label}:`);
      for (const line of table(header, rows(steps))) output.line(line);
    }
    output.line();
    for (const window of windows) {
      output.line(
        `${window.branch ? `${window.branch}: ` : ''}about ${Math.round(window.total / 60)} min in all, ${Math.round(window.maintenance / 60)} min in maintenance`,
      );
    }
  }
}
