// The Rundeck jobs of the deployment runbook: one "Deploy magento <LABEL>" job per environment,
// running `storestack release magento --env <name> --ref <ref> --strategy <strategy>` on the
// Rundeck server itself (it is the release build host), the ref and strategy being job options
// that Rundeck checks before the command runs. Free of aws-cdk-lib.
//
// The text is JSON, pretty-printed: JSON is valid YAML (a flow sequence of flow mappings, every
// string double-quoted and escaped by JSON.stringify), so Rundeck loads it with
// `fileformat=yaml`, and nothing here has to escape YAML by hand. The values are also checked to
// be printable text, so no escape that a YAML 1.1 parser (Rundeck's SnakeYAML) reads differently
// is ever written.

import { createHash } from 'node:crypto';

/** An environment that gets a deployment job. */
export interface RundeckJobEnvironment {
  /** The storestack environment, `[a-z][a-z0-9-]*`: `--env <name>`, e.g. `prod`. */
  readonly name: string;
  /** In the job's name, `[A-Za-z0-9][A-Za-z0-9 _-]*`, e.g. `PROD`: "Deploy magento PROD". */
  readonly label: string;
  /** The git ref the job offers by default (document: the master branch). Default: `master`. */
  readonly defaultRef?: string;
}

/** A git ref as a job option accepts it (Rundeck checks it before the command runs). */
export const REF_OPTION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$';

/** A job option, as Rundeck's job definition format has it. */
export interface RundeckJobOption {
  readonly name: string;
  readonly description: string;
  readonly required: true;
  readonly value: string;
  readonly regex?: string;
  readonly values?: readonly string[];
  readonly enforced?: true;
}

export interface RundeckJobsProps {
  /** The Rundeck project, `[A-Za-z0-9_-]+`, e.g. `client-magento`. Seeds the jobs' uuids. */
  readonly projectName: string;
  /** One job per environment, in this order, e.g. `[{ name: 'prod', label: 'PROD' }, ...]`. */
  readonly environments: readonly RundeckJobEnvironment[];
  /** The storestack CLI on the Rundeck server, an absolute path, e.g. `/opt/storestack/bin/storestack`. */
  readonly storestackCommand: string;
  /** The jobs' group in the Rundeck UI, `[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*`. Default: none. */
  readonly group?: string;
}

/** A job as Rundeck's job definition format has it (only the fields written here). */
export interface RundeckJob {
  readonly uuid: string;
  readonly name: string;
  readonly group?: string;
  readonly description: string;
  readonly loglevel: 'INFO';
  readonly options: readonly RundeckJobOption[];
  readonly executionEnabled: true;
  readonly scheduleEnabled: true;
  readonly multipleExecutions: false;
  readonly nodeFilterEditable: false;
  readonly sequence: {
    readonly keepgoing: false;
    readonly strategy: 'node-first';
    readonly commands: readonly { readonly exec: string }[];
  };
}

const PROJECT_NAME = /^[A-Za-z0-9_-]+$/;
const ENV_NAME = /^[a-z][a-z0-9-]*$/;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9 _-]*$/;
const GROUP = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/;
// Plain path characters only: the command is one word of the job's shell command line.
const COMMAND = /^(?:\/[A-Za-z0-9._-]+)+$/;

/** The props of the jobs are wrong; `problems` lists every one. */
export class InvalidRundeckJobsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Rundeck jobs:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidRundeckJobsError';
  }
}

function validate(props: RundeckJobsProps): string[] {
  const errors: string[] = [];
  if (!PROJECT_NAME.test(props.projectName)) {
    errors.push(`projectName ${JSON.stringify(props.projectName)} must match [A-Za-z0-9_-]+`);
  }
  if (!COMMAND.test(props.storestackCommand) || props.storestackCommand.split('/').some((p) => p === '..')) {
    errors.push(
      `storestackCommand ${JSON.stringify(props.storestackCommand)} must be an absolute path of ` +
        'letters, digits, ".", "_", "-" between single slashes',
    );
  }
  if (props.group !== undefined && !GROUP.test(props.group)) {
    errors.push(`group ${JSON.stringify(props.group)} must be [A-Za-z0-9_-]+ parts separated by single slashes`);
  }
  if (props.environments.length === 0) errors.push('environments must list at least one environment');
  const names = new Map<string, number>();
  const labels = new Map<string, number>();
  props.environments.forEach((env, index) => {
    const at = `environments[${index}]`;
    if (env.defaultRef !== undefined && !new RegExp(REF_OPTION_PATTERN).test(env.defaultRef)) {
      errors.push(`${at}.defaultRef ${JSON.stringify(env.defaultRef)} is not a git ref (${REF_OPTION_PATTERN})`);
    }
    if (!ENV_NAME.test(env.name)) {
      errors.push(`${at}.name ${JSON.stringify(env.name)} must match [a-z][a-z0-9-]*`);
    } else if (names.has(env.name)) {
      errors.push(`${at}.name ${env.name} is already the name of environments[${names.get(env.name)}]`);
    } else {
      names.set(env.name, index);
    }
    if (!LABEL.test(env.label)) {
      errors.push(`${at}.label ${JSON.stringify(env.label)} must match [A-Za-z0-9][A-Za-z0-9 _-]*`);
    } else if (labels.has(env.label)) {
      errors.push(`${at}.label ${env.label} is already the label of environments[${labels.get(env.label)}]`);
    } else {
      labels.set(env.label, index);
    }
  });
  return errors;
}

/**
 * A name-based (version 5 style, SHA-1) uuid of the project and the job's name: the same job gets
 * the same uuid at every render, so a new import updates it instead of adding a copy.
 */
export function stableJobUuid(projectName: string, jobName: string): string {
  const hex = createHash('sha1').update(`storestack-rundeck-job\0${projectName}\0${jobName}`).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** The jobs as objects, in the order of the environments. Throws {@link InvalidRundeckJobsError}. */
export function rundeckJobs(props: RundeckJobsProps): RundeckJob[] {
  const errors = validate(props);
  if (errors.length > 0) throw new InvalidRundeckJobsError(errors);
  return props.environments.map((env) => {
    const name = `Deploy magento ${env.label}`;
    return {
      uuid: stableJobUuid(props.projectName, name),
      name,
      ...(props.group === undefined ? {} : { group: props.group }),
      description: `Builds a Magento release and deploys it to the ${env.name} environment (storestack release magento --env ${env.name}).`,
      loglevel: 'INFO',
      // What to release, and how: the git ref of the code (built on this server), the strategy.
      options: [
        {
          name: 'ref',
          description: 'The git branch, tag or commit of the Magento code to build and release.',
          required: true,
          value: env.defaultRef ?? 'master',
          regex: REF_OPTION_PATTERN,
        },
        {
          name: 'strategy',
          description:
            'safe: maintenance only while the database migrates; classic: the runbook as the hosting document wrote it.',
          required: true,
          value: 'safe',
          values: ['safe', 'classic'],
          enforced: true,
        },
      ],
      executionEnabled: true,
      scheduleEnabled: true,
      // Two deployments of one environment at once would race for its Beanstalk environment.
      multipleExecutions: false,
      nodeFilterEditable: false,
      sequence: {
        keepgoing: false,
        strategy: 'node-first',
        commands: [
          {
            exec: `${props.storestackCommand} release magento --env ${env.name} --ref \${option.ref} --strategy \${option.strategy}`,
          },
        ],
      },
    };
  });
}

/** The jobs' definitions, for Rundeck's job import with `fileformat=yaml` (JSON, which is YAML). */
export function renderRundeckJobs(props: RundeckJobsProps): string {
  return `${JSON.stringify(rundeckJobs(props), null, 2)}\n`;
}
