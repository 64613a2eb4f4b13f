// Synthesizes the whole platform in-process and runs every gate: aws-cdk-lib's
// CloudFormation validation and the cdk-nag packs (inside synthesis), then
// cfn-lint over the templates. The assembly is built in a staging directory and
// replaces the output directory only when every gate passed, so a failed synth
// never leaves a half-written or unvetted cdk.out behind.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { Platform } from '../config/schema.ts';
import { createPlatformApp, readProjectContext } from './app.ts';
import {
  type CfnLintOptions,
  cfnLint,
  DirectoryLintCache,
  type LintResult,
  type RunProcess,
} from './gates/cfn-lint.ts';
import { TAG_ENVIRONMENT } from './platform-stack.ts';

export const SUMMARY_FILE = 'storestack-summary.json';

export interface StackSummary {
  readonly stack: string;
  /** The environment the stack belongs to, or `shared`. */
  readonly environment: string;
  readonly resources: number;
  /** Stateful stacks are the termination-protected ones. */
  readonly stateful: boolean;
  /** Findings accepted with a recorded reason, one per rule and construct. */
  readonly acknowledged: number;
}

export interface GateFinding {
  /** The gate that reported it: a cdk-nag pack, `CloudFormation Validate` or `cfn-lint`. */
  readonly gate: string;
  readonly rule: string;
  /** Construct path, or template file and resource path for cfn-lint. */
  readonly location: string;
  readonly message: string;
}

export interface GateStatus {
  readonly gate: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly detail?: string;
}

export interface SynthReport {
  readonly ok: boolean;
  readonly outdir: string;
  readonly stacks: readonly StackSummary[];
  readonly gates: readonly GateStatus[];
  readonly findings: readonly GateFinding[];
}

export interface SynthOptions {
  readonly platform: Platform;
  /** Holds cdk.json and cdk.context.json. */
  readonly projectRoot: string;
  /**
   * Where the assembly goes.
   * @default - `cdk.out` under the project root
   */
  readonly outdir?: string;
  /**
   * Runs cfn-lint; injected by tests.
   * @default - spawns the machine's cfn-lint
   */
  readonly runProcess?: RunProcess;
  /**
   * Where cfn-lint's results are cached by template content.
   * @default - node_modules/.cache/storestack-cfn-lint under the project root
   */
  readonly lintCacheDir?: string;
}

const RULE_PACKS = ['CloudFormation Validate', 'AwsSolutions', 'PCI.DSS.321'];

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: {
      ruleName: string;
      description: string;
      violatingConstructs: { constructPath: string }[];
    }[];
  }[];
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every violation the validation plugins left unacknowledged. */
export function validationFindings(assemblyDir: string): GateFinding[] {
  const reportFile = join(assemblyDir, 'validation-report.json');
  if (!existsSync(reportFile)) {
    throw new Error(`synthesis wrote no ${basename(reportFile)}: the validation plugins did not run`);
  }
  return readJson<ValidationReport>(reportFile).pluginReports.flatMap((report) =>
    report.violations.flatMap((violation) =>
      violation.violatingConstructs.map((construct) => ({
        gate: report.pluginName,
        rule: violation.ruleName,
        location: construct.constructPath,
        message: violation.description,
      })),
    ),
  );
}

interface Manifest {
  artifacts: Record<
    string,
    {
      type: string;
      properties?: { templateFile: string; terminationProtection?: boolean; tags?: Record<string, string> };
      additionalMetadataFile?: string;
      metadata?: Record<string, { type: string; data: unknown }[]>;
    }
  >;
}

const ACKNOWLEDGED_RULES = 'aws:cdk:acknowledged-rules';

function countAcknowledgements(metadata: Record<string, { type: string; data: unknown }[]>): number {
  return Object.values(metadata)
    .flat()
    .filter((entry) => entry.type === ACKNOWLEDGED_RULES)
    .reduce((sum, entry) => sum + Object.keys(entry.data as object).length, 0);
}

/** One row per stack of the assembly, in the order the app created them. */
export function summarizeAssembly(assemblyDir: string): StackSummary[] {
  const manifest = readJson<Manifest>(join(assemblyDir, 'manifest.json'));
  return Object.entries(manifest.artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([name, artifact]) => {
      const properties = artifact.properties ?? { templateFile: `${name}.template.json` };
      const template = readJson<{ Resources?: object }>(join(assemblyDir, properties.templateFile));
      const metadata = artifact.additionalMetadataFile
        ? readJson<Record<string, { type: string; data: unknown }[]>>(
            join(assemblyDir, artifact.additionalMetadataFile),
          )
        : (artifact.metadata ?? {});
      return {
        stack: name,
        environment: properties.tags?.[TAG_ENVIRONMENT] ?? 'shared',
        resources: Object.keys(template.Resources ?? {}).length,
        stateful: properties.terminationProtection === true,
        acknowledged: countAcknowledgements(metadata),
      };
    });
}

function templatesOf(assemblyDir: string): string[] {
  const manifest = readJson<Manifest>(join(assemblyDir, 'manifest.json'));
  return Object.values(manifest.artifacts)
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack' && artifact.properties)
    .map((artifact) => (artifact.properties as { templateFile: string }).templateFile);
}

/**
 * Replaces `outdir` with `staging` in two renames: a reader sees the old assembly, the
 * new one, or (for the instant between the renames) none, never a mix of both.
 */
function publish(staging: string, outdir: string): void {
  const previous = `${outdir}.previous`;
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(outdir)) renameSync(outdir, previous);
  renameSync(staging, outdir);
  rmSync(previous, { recursive: true, force: true });
}

function lintDetail(cached: number, total: number): string {
  const linted = total - cached;
  return cached === 0
    ? `${linted} templates linted`
    : `${linted} templates linted, ${cached} unchanged since their last lint`;
}

/**
 * Starts cfn-lint the moment the templates are written, as the app's first validation
 * plugin, and reports nothing itself: the lint then runs in its own process beside
 * aws-cdk-lib's validation engine and cdk-nag, and the synth awaits its result after.
 * On a 2-core machine this takes cfn-lint's seconds of start-up off the critical path.
 */
class CfnLintStarter implements IPolicyValidationPlugin {
  readonly name = 'cfn-lint (started)';
  private started?: Promise<LintResult>;

  constructor(private readonly options: Omit<CfnLintOptions, 'templates' | 'cwd'>) {}

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const [first] = context.templatePaths;
    if (first) {
      this.started = cfnLint({
        ...this.options,
        cwd: dirname(first),
        templates: context.templatePaths.map((path) => basename(path)),
      });
      // Awaited by result(); until then a rejection must not count as unhandled.
      this.started.catch(() => undefined);
    }
    return { success: true, violations: [] };
  }

  /** The lint's result, once synthesis has run the plugins. */
  result(): Promise<LintResult> {
    if (!this.started) throw new Error('cfn-lint was never started: synthesis ran no validation plugin');
    return this.started;
  }
}

/** Synthesizes every stack of every environment and runs the gates. Never calls AWS. */
export async function synthesizePlatform(options: SynthOptions): Promise<SynthReport> {
  const outdir = resolve(options.outdir ?? join(options.projectRoot, 'cdk.out'));
  const staging = join(dirname(outdir), `.${basename(outdir)}.staging`);
  rmSync(staging, { recursive: true, force: true });

  try {
    const lintStarter = new CfnLintStarter({
      ...(options.runProcess ? { run: options.runProcess } : {}),
      cache: new DirectoryLintCache(
        options.lintCacheDir ?? join(options.projectRoot, 'node_modules', '.cache', 'storestack-cfn-lint'),
      ),
    });
    const { app } = createPlatformApp({
      platform: options.platform,
      outdir: staging,
      firstValidationPlugins: [lintStarter],
      context: {
        ...readProjectContext(options.projectRoot),
        // What the cdk CLI sets unless --debug: no stack traces in the assembly's metadata.
        'aws:cdk:disable-stack-trace': true,
        // The app reports; this function decides: it reads validation-report.json and
        // fails on any unacknowledged finding, warnings included.
        '@aws-cdk/core:failSynthOnValidationErrors': false,
      },
    });
    app.synth();

    const gates: GateStatus[] = [];
    const findings = validationFindings(staging);
    for (const gate of RULE_PACKS) {
      const count = findings.filter((finding) => finding.gate === gate).length;
      gates.push({ gate, status: count ? 'failed' : 'passed', ...(count ? { detail: `${count} findings` } : {}) });
    }

    const templates = templatesOf(staging);
    const lint = await lintStarter.result();
    if (!lint.available) {
      gates.push({ gate: 'cfn-lint', status: 'skipped', detail: 'cfn-lint is not installed on this machine' });
    } else {
      const lintFindings = lint.findings.map((finding) => ({
        gate: 'cfn-lint',
        rule: finding.rule,
        location: `${finding.file}: ${finding.path}`,
        message: `${finding.level}: ${finding.message}`,
      }));
      findings.push(...lintFindings);
      gates.push({
        gate: 'cfn-lint',
        status: lintFindings.length ? 'failed' : 'passed',
        detail: lintFindings.length ? `${lintFindings.length} findings` : lintDetail(lint.cached, templates.length),
      });
    }

    if (findings.length > 0) {
      return { ok: false, outdir, stacks: [], gates, findings };
    }
    const stacks = summarizeAssembly(staging);
    const report: SynthReport = { ok: true, outdir, stacks, gates, findings };
    writeFileSync(join(staging, SUMMARY_FILE), `${JSON.stringify({ stacks, gates }, null, 2)}\n`);
    publish(staging, outdir);
    return report;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
