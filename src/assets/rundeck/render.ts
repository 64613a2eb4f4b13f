// The Rundeck server's user data (hosting document 6.B): a config header generated from the props,
// then two static bodies: bootstrap-volume.sh (the data volume, waited for by its EBS volume id,
// formatted only when blank, mounted at /var/lib/rundeck) and setup-rundeck.sh (Rundeck and the
// release build tools, the web UI on port 4440, the project and its jobs). Free of aws-cdk-lib:
// a volume id may be a CDK token, written out as text for CDK to resolve.

import { readAssetFile } from '../asset-files.ts';

/** Where the data volume is mounted: Rundeck's RDECK_BASE in its RPM. */
export const RUNDECK_DATA_DIR = '/var/lib/rundeck';
/** The port of Rundeck's web UI and API. */
export const RUNDECK_PORT = 4440;
/** Rundeck's RPM repository, as Rundeck's install documentation for RPM systems gives it. */
export const DEFAULT_RUNDECK_REPO = {
  baseUrl: 'https://packages.rundeck.com/pagerduty/rundeck/rpm_any/rpm_any/$basearch',
  gpgKeyUrl: 'https://packages.rundeck.com/pagerduty/rundeck/gpgkey',
} as const;
/**
 * Java 17 (Corretto, Amazon Linux 2023's), git, jq (the script reads the API's answers with it),
 * Node.js 22 and unzip (storestack's launcher).
 */
export const BASE_PACKAGES = ['java-17-amazon-corretto-headless', 'git', 'jq', 'nodejs22', 'unzip'] as const;
/** Node.js 22's namespaced executable on Amazon Linux 2023: `node` itself may point at another release. */
export const NODE_BINARY = '/usr/bin/node-22';

export interface VolumeBootstrapProps {
  /** For the logs and errors, `[a-z0-9-]+`, e.g. `rundeck-data`. */
  readonly name: string;
  /** The EBS volume id (`vol-...`), or a CDK token that resolves to one. */
  readonly volumeId: string;
  /** An absolute plain path, e.g. `/var/lib/rundeck`. */
  readonly mountPoint: string;
  /** How long to wait for the attachment before failing. Default: 600. */
  readonly waitTimeoutSeconds?: number;
}

export interface StorestackLauncherProps {
  /** The SSM parameter holding the operations package's location, `s3://<bucket>/<sha256>.zip`. */
  readonly packageParameter: string;
  /** The AWS region of the parameter and the package, e.g. `eu-west-3`. */
  readonly region: string;
  /** The Node.js executable. Default: {@link NODE_BINARY}. */
  readonly nodeBinary?: string;
}

export interface RundeckUserDataProps {
  /** The data volume's EBS volume id (`vol-...`), or a CDK token that resolves to one. */
  readonly volumeId: string;
  /** How long to wait for the volume's attachment. Default: 600. */
  readonly volumeWaitSeconds?: number;
  /** The web UI's name, e.g. `rundeck.internal-client.url`: grails.serverURL is `http://<it>:4440`. */
  readonly internalHostName: string;
  /** The AWS region, set in Rundeck's environment (AWS_REGION) for the jobs, e.g. `eu-west-3`. */
  readonly region: string;
  /** The Rundeck project the jobs are imported into, `[A-Za-z0-9_-]+`, e.g. `client-magento`. */
  readonly projectName: string;
  /**
   * The secret holding the web login's password, `{"username":"admin","password":...}`, by name,
   * e.g. `storestack/ops/rundeck-admin`: it replaces the RPM's admin/admin.
   */
  readonly adminSecretName: string;
  /** The jobs' definitions, from `renderRundeckJobs` (JSON, imported with `fileformat=yaml`; written compact). */
  readonly jobsYaml: string;
  /** Where storestack's launcher is installed, the command the jobs run, e.g. `/opt/storestack/bin/storestack`. */
  readonly storestackCommand: string;
  /** The SSM parameter naming the operations package the launcher runs, e.g. `/storestack/ops/storestack-package`. */
  readonly storestackPackageParameter: string;
  /** PHP CLI and the extensions the Magento build needs, Amazon Linux 2023 names, e.g. `php8.3-cli`. */
  readonly phpPackages: readonly string[];
  /**
   * The pinned composer.phar: its version (e.g. `2.8.4`) and, optionally, its SHA-256. Without
   * one, the checksum getcomposer.org publishes beside the release is fetched and checked.
   */
  readonly composer: { readonly version: string; readonly sha256?: string };
  /** Rundeck's dnf repository. Default: {@link DEFAULT_RUNDECK_REPO}. */
  readonly repo?: { readonly baseUrl: string; readonly gpgKeyUrl: string };
  /** How long to wait for Rundeck's API after (re)starting it. Default: 600. */
  readonly startTimeoutSeconds?: number;
}

/** The props are wrong; `problems` lists every one. */
export class InvalidRundeckUserDataError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Rundeck user data:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidRundeckUserDataError';
  }
}

const BOOTSTRAP_IN_PROJECT = 'src/assets/rundeck/bootstrap-volume.sh';
const SETUP_IN_PROJECT = 'src/assets/rundeck/setup-rundeck.sh';
const LAUNCHER_IN_PROJECT = 'src/assets/rundeck/storestack-launcher.sh';
const DEFAULT_WAIT_SECONDS = 600;

const NAME = /^[a-z0-9-]+$/;
const VOLUME_ID = /^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const PROJECT_NAME = /^[A-Za-z0-9_-]+$/;
const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const VERSION = /^\d+\.\d+\.\d+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(?:\/[A-Za-z0-9._~$%-]+)*\/?$/;
const TOKEN_MARKER = '${Token[';
const PARAMETER_NAME = /^(?:\/[A-Za-z0-9_.-]+)+$/;
const SECRET_NAME = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** Single-quotes a value for bash. A CDK token inside stays as it is, for CDK to resolve. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function checkPath(errors: string[], at: string, value: string): void {
  if (!PATH.test(value) || value.split('/').some((part) => part === '.' || part === '..')) {
    errors.push(
      `${at} ${JSON.stringify(value)} must be an absolute plain path: letters, digits, ".", "_", "-" ` +
        'between single slashes, no trailing slash, no . or .. parts',
    );
  }
}

function checkVolumeId(errors: string[], at: string, value: string): void {
  if (!value.includes(TOKEN_MARKER) && !VOLUME_ID.test(value)) {
    errors.push(`${at} ${JSON.stringify(value)} is not an EBS volume id (vol- and 8 or 17 hex digits)`);
  }
}

function checkSeconds(errors: string[], at: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
    errors.push(`${at} must be a positive whole number of seconds (got ${value})`);
  }
}

function failIfAny(errors: string[], ErrorClass: new (problems: readonly string[]) => Error): void {
  if (errors.length > 0) throw new ErrorClass(errors);
}

/** The volume bootstrap's header: the variables bootstrap-volume.sh reads. */
function volumeHeader(props: VolumeBootstrapProps): string {
  return [
    '# The data volume, generated by src/assets/rundeck/render.ts.',
    `readonly VOLUME_NAME=${shellQuote(props.name)}`,
    `readonly VOLUME_ID=${shellQuote(props.volumeId)}`,
    `readonly VOLUME_MOUNT_POINT=${shellQuote(props.mountPoint)}`,
    `readonly VOLUME_WAIT_SECONDS=${props.waitTimeoutSeconds ?? DEFAULT_WAIT_SECONDS}`,
    '',
  ].join('\n');
}

function body(projectPath: string): string {
  return readAssetFile(import.meta.dirname, projectPath).replace(/^#!.*\n/, '');
}

/**
 * A script without its comment lines (shebang and shellcheck directives kept), to stay inside the
 * 16 KB of EC2 user data. Safe because no multi-line string of the scripts has a line that starts
 * with `#`.
 */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*#(?!!|\s*shellcheck )/.test(line))
    .join('\n');
}

function validateVolume(props: VolumeBootstrapProps, errors: string[]): void {
  if (!NAME.test(props.name)) errors.push(`name ${JSON.stringify(props.name)} must match [a-z0-9-]+`);
  checkVolumeId(errors, 'volumeId', props.volumeId);
  checkPath(errors, 'mountPoint', props.mountPoint);
  checkSeconds(errors, 'waitTimeoutSeconds', props.waitTimeoutSeconds);
}

/**
 * The volume bootstrap on its own: `#!/bin/bash`, its header, then bootstrap-volume.sh. Throws
 * {@link InvalidRundeckUserDataError} listing every invalid field.
 */
export function renderVolumeBootstrap(props: VolumeBootstrapProps): string {
  const errors: string[] = [];
  validateVolume(props, errors);
  failIfAny(errors, InvalidRundeckUserDataError);
  return `#!/bin/bash\n${volumeHeader(props)}${body(BOOTSTRAP_IN_PROJECT)}`;
}

function validateLauncher(props: StorestackLauncherProps, errors: string[]): void {
  if (!PARAMETER_NAME.test(props.packageParameter)) {
    errors.push(
      `packageParameter ${JSON.stringify(props.packageParameter)} is not an SSM parameter path such as /storestack/ops/storestack-package`,
    );
  }
  if (!REGION.test(props.region)) errors.push(`region ${JSON.stringify(props.region)} is not an AWS region`);
  if (props.nodeBinary !== undefined) checkPath(errors, 'nodeBinary', props.nodeBinary);
}

/**
 * storestack's launcher, `/opt/storestack/bin/storestack` on the build host: its header, then
 * storestack-launcher.sh. Throws {@link InvalidRundeckUserDataError} listing every invalid field.
 */
export function renderStorestackLauncher(props: StorestackLauncherProps): string {
  const errors: string[] = [];
  validateLauncher(props, errors);
  failIfAny(errors, InvalidRundeckUserDataError);
  return [
    '#!/bin/bash',
    '# storestack on the Rundeck build host, generated by src/assets/rundeck/render.ts.',
    `readonly PACKAGE_PARAMETER=${shellQuote(props.packageParameter)}`,
    `readonly NODE_BIN=${shellQuote(props.nodeBinary ?? NODE_BINARY)}`,
    `readonly LAUNCHER_REGION=${shellQuote(props.region)}`,
    body(LAUNCHER_IN_PROJECT),
  ].join('\n');
}

function isJsonList(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

function validate(props: RundeckUserDataProps): string[] {
  const errors: string[] = [];
  checkVolumeId(errors, 'volumeId', props.volumeId);
  checkSeconds(errors, 'volumeWaitSeconds', props.volumeWaitSeconds);
  checkSeconds(errors, 'startTimeoutSeconds', props.startTimeoutSeconds);
  if (!HOST_NAME.test(props.internalHostName)) {
    errors.push(`internalHostName ${JSON.stringify(props.internalHostName)} is not a lower-case DNS name`);
  }
  if (!REGION.test(props.region)) errors.push(`region ${JSON.stringify(props.region)} is not an AWS region`);
  if (!PROJECT_NAME.test(props.projectName)) {
    errors.push(`projectName ${JSON.stringify(props.projectName)} must match [A-Za-z0-9_-]+`);
  }
  if (!SECRET_NAME.test(props.adminSecretName)) {
    errors.push(
      `adminSecretName ${JSON.stringify(props.adminSecretName)} is not a secret name such as storestack/ops/rundeck-admin`,
    );
  }
  if (!isJsonList(props.jobsYaml)) {
    errors.push('jobsYaml must be a JSON list of jobs, as renderRundeckJobs writes it');
  }
  checkPath(errors, 'storestackCommand', props.storestackCommand);
  if (!props.storestackCommand.endsWith('/bin/storestack')) {
    errors.push(
      `storestackCommand ${JSON.stringify(props.storestackCommand)} must be <home>/bin/storestack: the packages go in <home>/packages`,
    );
  }
  if (!PARAMETER_NAME.test(props.storestackPackageParameter)) {
    errors.push(
      `storestackPackageParameter ${JSON.stringify(props.storestackPackageParameter)} is not an SSM parameter path such as /storestack/ops/storestack-package`,
    );
  }
  if (props.phpPackages.length === 0) errors.push('phpPackages must list at least the PHP CLI package');
  props.phpPackages.forEach((name, index) => {
    if (!PACKAGE.test(name)) errors.push(`phpPackages[${index}] ${JSON.stringify(name)} is not a package name`);
  });
  if (!VERSION.test(props.composer.version)) {
    errors.push(`composer.version ${JSON.stringify(props.composer.version)} must be a release like 2.8.4`);
  }
  if (props.composer.sha256 !== undefined && !SHA256.test(props.composer.sha256)) {
    errors.push('composer.sha256 must be 64 lower-case hex digits');
  }
  const repo = props.repo ?? DEFAULT_RUNDECK_REPO;
  for (const key of ['baseUrl', 'gpgKeyUrl'] as const) {
    if (!HTTPS_URL.test(repo[key])) errors.push(`repo.${key} ${JSON.stringify(repo[key])} must be an https URL`);
  }
  return errors;
}

function rundeckHeader(props: RundeckUserDataProps): string {
  const repo = props.repo ?? DEFAULT_RUNDECK_REPO;
  const packages = [...BASE_PACKAGES, ...props.phpPackages, 'rundeck'];
  return [
    '# Rundeck (hosting document 6.B), generated by src/assets/rundeck/render.ts.',
    `readonly RUNDECK_PROJECT=${shellQuote(props.projectName)}`,
    `readonly RUNDECK_SERVER_URL=${shellQuote(`http://${props.internalHostName}:${RUNDECK_PORT}`)}`,
    `readonly RUNDECK_REGION=${shellQuote(props.region)}`,
    `readonly RUNDECK_ADMIN_SECRET=${shellQuote(props.adminSecretName)}`,
    "# shellcheck disable=SC2016 # $basearch is dnf's, not bash's",
    `readonly RUNDECK_REPO_BASEURL=${shellQuote(repo.baseUrl)}`,
    `readonly RUNDECK_REPO_GPGKEY=${shellQuote(repo.gpgKeyUrl)}`,
    `readonly RUNDECK_PACKAGES=(${packages.map(shellQuote).join(' ')})`,
    `readonly RUNDECK_START_SECONDS=${props.startTimeoutSeconds ?? DEFAULT_WAIT_SECONDS}`,
    `readonly COMPOSER_URL=${shellQuote(`https://getcomposer.org/download/${props.composer.version}/composer.phar`)}`,
    `readonly COMPOSER_SHA256=${shellQuote(props.composer.sha256 ?? '')}`,
    '# storestack: its launcher, the command the jobs run.',
    `readonly STORESTACK_COMMAND=${shellQuote(props.storestackCommand)}`,
    "# shellcheck disable=SC2016 # the launcher's script, written out as it is",
    `readonly STORESTACK_LAUNCHER=${shellQuote(
      withoutComments(
        renderStorestackLauncher({ packageParameter: props.storestackPackageParameter, region: props.region }),
      ),
    )}`,
    '# The jobs: Deploy magento <ENV>, each running the storestack CLI.',
    "# shellcheck disable=SC2016 # the jobs' option references are Rundeck's, not bash's",
    `readonly RUNDECK_JOBS_YAML=${shellQuote(JSON.stringify(JSON.parse(props.jobsYaml)))}`,
    '',
  ].join('\n');
}

/**
 * The whole user data: `#!/bin/bash`, the headers, bootstrap-volume.sh (the volume mounted at
 * {@link RUNDECK_DATA_DIR}), then setup-rundeck.sh. Throws {@link InvalidRundeckUserDataError}.
 */
export function renderRundeckUserData(props: RundeckUserDataProps): string {
  const errors = validate(props);
  failIfAny(errors, InvalidRundeckUserDataError);
  const volume: VolumeBootstrapProps = {
    name: 'rundeck-data',
    volumeId: props.volumeId,
    mountPoint: RUNDECK_DATA_DIR,
    ...(props.volumeWaitSeconds === undefined ? {} : { waitTimeoutSeconds: props.volumeWaitSeconds }),
  };
  return [
    '#!/bin/bash\n',
    volumeHeader(volume),
    rundeckHeader(props),
    withoutComments(body(BOOTSTRAP_IN_PROJECT)),
    withoutComments(body(SETUP_IN_PROJECT)),
  ].join('');
}
