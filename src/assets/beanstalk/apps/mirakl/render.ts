// The Mirakl-HiPay connector's extras (document 4: "The configuration file must be added, along
// with the Apache configuration. A cron operation is also added."): the prebuild hook that adds
// its settings from Secrets Manager to .env.local, its Apache configuration, and the postdeploy
// hook that installs its cron entries. Free of aws-cdk-lib.
import {
  APP_WEB_USER,
  type BundleFile,
  check,
  EXECUTABLE,
  PARAMETER_NAME,
  READABLE,
  REGION,
  script,
  setting,
  shellQuote,
} from '../script.ts';
import { MIRAKL_APACHE_CONF_PATH, renderMiraklApacheConf } from '../web/render.ts';

/** One cron operation (config `apps.mirakl.cron[]`). */
export interface MiraklCronEntry {
  /** Five cron fields, e.g. `*\/10 * * * *`. */
  readonly schedule: string;
  /** Run by bash in the live release as the web user; one line, no `%`. */
  readonly command: string;
}

export interface MiraklFilesProps {
  /** The region of the SSM parameter and the secret. */
  readonly region: string;
  /** The SSM parameter holding the ARN of the settings' secret, e.g. `/storestack/apps/mirakl/config-secret-arn`. */
  readonly configSecretArnParameter: string;
  /** The keys the secret must hold (config `apps.mirakl.configKeys`): a missing one fails the deploy, named. */
  readonly requiredKeys: readonly string[];
  readonly cron: readonly MiraklCronEntry[];
}

export const MIRAKL_CONFIG_HOOK_PATH = '.platform/hooks/prebuild/20-mirakl-config.sh';
export const MIRAKL_CRON_HOOK_PATH = '.platform/hooks/postdeploy/10-install-cron.sh';
/** Where the postdeploy hook installs the cron entries. */
export const MIRAKL_CRON_FILE = '/etc/cron.d/storestack-mirakl';
/** The value the settings' secret is created with; the config hook refuses any value holding it. */
export const MIRAKL_CONFIG_PLACEHOLDER = 'CHANGE_ME';
/** The keys of .env.local that 10-credentials.sh writes: the settings' secret may not hold them. */
export const CREDENTIALS_KEYS = ['APP_ENV', 'DATABASE_URL'] as const;
/** Where the cron entries run: the live release. */
export const LIVE_RELEASE_DIR = '/var/app/current';

const GENERATOR = 'src/assets/beanstalk/apps/mirakl/render.ts';
const CRON_FIELD = /^[A-Za-z0-9*/,-]+$/;
const ENV_KEY = /^[A-Z][A-Z0-9_]*$/;

function cronErrors(cron: readonly MiraklCronEntry[]): string[] {
  const errors: string[] = [];
  if (cron.length === 0) errors.push('cron must list at least one entry');
  cron.forEach((entry, i) => {
    const fields = entry.schedule.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) {
      errors.push(
        `cron[${i}].schedule ${JSON.stringify(entry.schedule)} is not five cron fields such as "*/10 * * * *"`,
      );
    }
    if (entry.command.trim() === '' || /[\n\r\0%]/.test(entry.command)) {
      errors.push(
        `cron[${i}].command ${JSON.stringify(entry.command)} must be one non-empty line without "%" (cron turns "%" into a line break)`,
      );
    }
  });
  return errors;
}

/**
 * The cron.d file of the connector: bash, a fixed PATH, then one line per entry,
 * `<five fields> webapp cd /var/app/current && <command>`, and the line break cron needs at the
 * end. Throws one error listing every invalid entry.
 */
export function renderMiraklCron(cron: readonly MiraklCronEntry[]): string {
  check('Mirakl cron', cronErrors(cron));
  return [
    '# storestack: the Mirakl-HiPay connector (config apps.mirakl.cron), installed by the postdeploy hook',
    '# 10-install-cron.sh; edits are overwritten.',
    'SHELL=/bin/bash',
    'PATH=/usr/local/bin:/usr/bin:/bin',
    ...cron.map(
      (entry) =>
        `${entry.schedule.trim().split(/\s+/).join(' ')} ${APP_WEB_USER} cd ${LIVE_RELEASE_DIR} && ${entry.command.trim()}`,
    ),
    '',
  ].join('\n');
}

/**
 * The connector's extra files: its settings hook, its Apache configuration and its cron hook.
 * Throws one error listing every invalid prop.
 */
export function renderMiraklFiles(props: MiraklFilesProps): BundleFile[] {
  const errors: string[] = [];
  if (!REGION.test(props.region)) errors.push(`region ${JSON.stringify(props.region)} is not an AWS region`);
  if (!PARAMETER_NAME.test(props.configSecretArnParameter)) {
    errors.push(
      `configSecretArnParameter ${JSON.stringify(props.configSecretArnParameter)} is not an SSM parameter name`,
    );
  }
  errors.push(...cronErrors(props.cron));
  for (const key of props.requiredKeys) {
    if (!ENV_KEY.test(key)) errors.push(`requiredKeys: ${JSON.stringify(key)} is not an environment variable name`);
  }
  check('Mirakl files', errors);
  return [
    {
      path: MIRAKL_CONFIG_HOOK_PATH,
      content: script(GENERATOR, 'mirakl-config.sh', [
        setting('APP_REGION', props.region),
        setting('APP_CONFIG_ARN_PARAMETER', props.configSecretArnParameter),
        `readonly APP_RESERVED_KEYS=(${CREDENTIALS_KEYS.map(shellQuote).join(' ')})`,
        setting('APP_REQUIRED_KEYS', props.requiredKeys.join(',')),
        setting('APP_PLACEHOLDER', MIRAKL_CONFIG_PLACEHOLDER),
        setting('APP_WEB_USER', APP_WEB_USER),
      ]),
      mode: EXECUTABLE,
    },
    { path: MIRAKL_APACHE_CONF_PATH, content: renderMiraklApacheConf(), mode: READABLE },
    {
      path: MIRAKL_CRON_HOOK_PATH,
      content: script(GENERATOR, 'install-cron.sh', [
        setting('APP_CRON_FILE', MIRAKL_CRON_FILE),
        '# The cron.d file, exactly as installed.',
        setting('APP_CRON_FILE_CONTENT', renderMiraklCron(props.cron)),
      ]),
      mode: EXECUTABLE,
    },
  ];
}
