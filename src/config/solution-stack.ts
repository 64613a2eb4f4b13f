// Elastic Beanstalk solution stack names (`64bit Amazon Linux 2023 v4.7.5 running PHP 8.3`):
// parsing, choosing the newest platform of the pinned branch, and moving the pin inside a
// configuration file's text. Pure: the names come from the caller (scripts/refresh-platform.ts
// asks AWS for them); synthesis never looks a platform up.

/** A solution stack name, taken apart. */
export interface SolutionStack {
  /** The name as written. */
  readonly name: string;
  /** The operating system: `64bit Amazon Linux 2023`. */
  readonly os: string;
  /** The platform version's numbers: `v4.7.5` -> `[4, 7, 5]`. */
  readonly platformVersion: readonly number[];
  /** The language or runtime: `PHP`. */
  readonly language: string;
  /** The language's version as written (`8.3`); undefined for a platform without one (`running Docker`). */
  readonly languageVersion: string | undefined;
}

/** A name that cannot be used, a branch the catalog does not offer, or a pin not found in a configuration. */
export class SolutionStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SolutionStackError';
  }
}

const NAME =
  /^(?<os>\S(?:.*?\S)?) v(?<version>\d+(?:\.\d+)*) running (?<language>\S(?:.*?\S)?)(?: (?<languageVersion>\d+(?:\.\d+)*))?$/;

/** `64bit Amazon Linux 2023 v4.7.5 running PHP 8.3` taken apart; undefined when the name has another shape. */
export function parseSolutionStack(name: string): SolutionStack | undefined {
  const groups = NAME.exec(name)?.groups;
  if (!groups) return undefined;
  return {
    name,
    os: groups.os as string,
    platformVersion: (groups.version as string).split('.').map(Number),
    language: groups.language as string,
    languageVersion: groups.languageVersion,
  };
}

/** Orders platform versions numerically, component by component (v4.10.0 > v4.9.3; v4.7 = v4.7.0). */
export function comparePlatformVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** `64bit Amazon Linux 2023 / PHP 8.3`: what a refresh keeps. */
function branchOf(stack: SolutionStack): string {
  return `${stack.os} / ${stack.language}${stack.languageVersion === undefined ? '' : ` ${stack.languageVersion}`}`;
}

function sameBranch(a: SolutionStack, b: SolutionStack): boolean {
  return a.os === b.os && a.language === b.language && a.languageVersion === b.languageVersion;
}

/**
 * The newest of `names` on the branch of `current`: the same operating system, the same language
 * and the same language version (PHP 8.3 never becomes 8.4: that is the operator's edit of the
 * configuration). `current` itself when nothing newer is offered. Throws SolutionStackError when
 * `current` is not a solution stack name, or when `names` holds nothing at all on its branch.
 */
export function newestSolutionStack(names: readonly string[], current: string): string {
  const pinned = parseSolutionStack(current);
  if (!pinned) throw new SolutionStackError(`"${current}" is not a solution stack name`);
  const candidates = names
    .map(parseSolutionStack)
    .filter((stack): stack is SolutionStack => stack !== undefined && sameBranch(stack, pinned));
  if (candidates.length === 0) {
    throw new SolutionStackError(
      `no solution stack on the branch ${branchOf(pinned)} among the ${names.length} offered (is the branch retired, or is it another region?)`,
    );
  }
  let newest = pinned;
  for (const candidate of candidates) {
    if (comparePlatformVersions(candidate.platformVersion, newest.platformVersion) > 0) newest = candidate;
  }
  return newest.name;
}

/** The pinned name's field, its key quoted or not (a .ts module or a .json file). */
const FIELD = /(?<key>(['"]?)solutionStackName\2\s*:\s*)(?<quote>['"])(?<value>[^'"\\\n]*)\k<quote>/g;

interface FieldMatch {
  readonly index: number;
  readonly length: number;
  readonly key: string;
  readonly quote: string;
  readonly value: string;
}

/** Whether the line holding `index` is a comment (`//`, `/*`, or a block comment's `*` line). */
function inCommentLine(text: string, index: number): boolean {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  return /^\s*(?:\/\/|\/\*|\*)/.test(text.slice(lineStart, index));
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The single `solutionStackName: '...'` field of the text, outside comment lines; throws otherwise. */
function theField(text: string, source: string): FieldMatch {
  const fields = [...text.matchAll(FIELD)].filter((m) => !inCommentLine(text, m.index));
  if (fields.length !== 1) {
    const where = fields.length === 0 ? '' : ` (lines ${fields.map((m) => lineOf(text, m.index)).join(', ')})`;
    throw new SolutionStackError(
      `${source}: expected exactly one solutionStackName: '...' field, found ${fields.length}${where}`,
    );
  }
  const [field] = fields as [RegExpExecArray];
  const groups = field.groups as Record<'key' | 'quote' | 'value', string>;
  return { index: field.index, length: field[0].length, ...groups };
}

/** The solution stack name pinned in a configuration file's text (`solutionStackName: '...'`, exactly once). */
export function readSolutionStackName(text: string, source = 'configuration'): string {
  return theField(text, source).value;
}

/**
 * The configuration text with its pinned solution stack name replaced by `name`, everything
 * else as it was (quotes, spacing, comments). Throws SolutionStackError when the field is not
 * there exactly once, or when `name` is not a solution stack name.
 */
export function rewriteSolutionStackName(text: string, name: string, source = 'configuration'): string {
  if (!parseSolutionStack(name) || /['"\\\n]/.test(name)) {
    throw new SolutionStackError(`"${name}" is not a solution stack name`);
  }
  const field = theField(text, source);
  const replacement = `${field.key}${field.quote}${name}${field.quote}`;
  return text.slice(0, field.index) + replacement + text.slice(field.index + field.length);
}
