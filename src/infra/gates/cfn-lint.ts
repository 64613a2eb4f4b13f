// The cfn-lint gate: runs the machine's cfn-lint over the synthesized templates.
// CI installs nothing for it; where it is missing the gate says so and is skipped.
// cfn-lint's start-up alone costs seconds, so results are cached per template
// content: an unchanged template (synth is deterministic) is not linted again.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A check storestack turns off, and why. */
interface IgnoredCheck {
  readonly id: string;
  readonly reason: string;
}

export const IGNORED_CFN_LINT_CHECKS: readonly IgnoredCheck[] = [
  {
    id: 'W3010',
    reason:
      'Availability zones are pinned on purpose: the document fixes one public and one private subnet per AZ, and synth never looks AZs up.',
  },
  {
    id: 'W3005',
    reason:
      "aws-cdk-lib's own custom resource providers declare a DependsOn that a GetAtt already implies; redundant, not wrong.",
  },
];

export interface LintFinding {
  readonly rule: string;
  readonly level: string;
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

export type LintResult =
  | { readonly available: false }
  | { readonly available: true; readonly findings: readonly LintFinding[]; readonly cached: number };

export interface ProcessResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; resolves undefined when the program is not installed. */
export type RunProcess = (command: string, args: readonly string[], cwd: string) => Promise<ProcessResult | undefined>;

export const runProcess: RunProcess = (command, args, cwd) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve(undefined) : reject(error)));
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr }));
  });

/** Lint results by template content. */
export interface LintCache {
  get(key: string): LintFinding[] | undefined;
  set(key: string, findings: readonly LintFinding[]): void;
}

/** A cache in a directory, one JSON file per key. */
export class DirectoryLintCache implements LintCache {
  constructor(private readonly directory: string) {}

  get(key: string): LintFinding[] | undefined {
    try {
      return JSON.parse(readFileSync(join(this.directory, `${key}.json`), 'utf8')) as LintFinding[];
    } catch {
      return undefined;
    }
  }

  set(key: string, findings: readonly LintFinding[]): void {
    mkdirSync(this.directory, { recursive: true });
    const file = join(this.directory, `${key}.json`);
    writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(findings));
    renameSync(`${file}.${process.pid}.tmp`, file);
  }
}

interface CfnLintJsonFinding {
  Filename: string;
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Path: (string | number)[] };
}

/** cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational. Anything else is a crash. */
const LINT_EXIT_BITS = 2 | 4 | 8;

/** What a template's lint result depends on: its content and the checks turned off. */
function cacheKey(templateText: string): string {
  const ignored = IGNORED_CFN_LINT_CHECKS.map((check) => check.id).join(',');
  return createHash('sha256').update(ignored).update('\0').update(templateText).digest('hex');
}

export interface CfnLintOptions {
  /** Template files, relative to `cwd`. */
  readonly templates: readonly string[];
  readonly cwd: string;
  readonly run?: RunProcess;
  /** @default - no cache: every template is linted */
  readonly cache?: LintCache;
}

/** Lints the templates; errors and warnings are findings, informational notes are not. */
export async function cfnLint(options: CfnLintOptions): Promise<LintResult> {
  const run = options.run ?? runProcess;
  const keys = new Map(
    options.templates.map((file) => [file, cacheKey(readFileSync(join(options.cwd, file), 'utf8'))]),
  );
  const findings: LintFinding[] = [];
  const toLint: string[] = [];
  for (const [file, key] of keys) {
    const cached = options.cache?.get(key);
    if (cached) findings.push(...cached.map((finding) => ({ ...finding, file })));
    else toLint.push(file);
  }
  if (toLint.length === 0) return { available: true, findings, cached: keys.size };

  const ignore = IGNORED_CFN_LINT_CHECKS.map((check) => check.id);
  const result = await run(
    'cfn-lint',
    ['--format', 'json', '--ignore-checks', ...ignore, '--', ...toLint],
    options.cwd,
  );
  if (!result) return { available: false };
  if ((result.exitCode & ~LINT_EXIT_BITS) !== 0) {
    const detail = result.stderr.trim().split('\n').slice(-5).join(' | ');
    throw new Error(`cfn-lint could not lint the templates (exit ${result.exitCode}: ${detail})`);
  }
  const linted = (JSON.parse(result.stdout || '[]') as CfnLintJsonFinding[])
    .filter((finding) => finding.Level === 'Error' || finding.Level === 'Warning')
    .map((finding) => ({
      rule: finding.Rule.Id,
      level: finding.Level,
      file: finding.Filename,
      path: finding.Location.Path.join('/'),
      message: finding.Message,
    }));
  for (const file of toLint) {
    options.cache?.set(
      keys.get(file) as string,
      linted.filter((finding) => finding.file === file),
    );
  }
  return { available: true, findings: [...findings, ...linted], cached: keys.size - toLint.length };
}
