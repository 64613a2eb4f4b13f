// The platform hooks every satellite app's bundle carries (document 2: "Setting up the
// credentials; Updating the DB scheme from the code; Chowning the repository to the correct
// user permissions"), and the connector's hook that registers its internal name. Each script is
// a header of readonly settings generated from the props, followed by the static body beside
// this module. Free of aws-cdk-lib; every value is known at release time.
import {
  APP_NAMES,
  APP_WEB_USER,
  type AppName,
  type BundleFile,
  check,
  EXECUTABLE,
  PARAMETER_NAME,
  REGION,
  script,
  setting,
} from '../script.ts';

export interface AppHooksProps {
  readonly app: AppName;
  /** The region of the SSM parameters and the secret, e.g. `eu-west-3`. */
  readonly region: string;
  /** The SSM parameters the AppsData stack publishes. */
  readonly parameters: {
    /** The MySQL endpoint, e.g. `/storestack/apps/database/endpoint`. */
    readonly databaseEndpoint: string;
    /** The ARN of the database secret (JSON: username, password, port?, dbname?), e.g. `/storestack/apps/database/secret-arn`. */
    readonly databaseSecretArn: string;
  };
  /** The schema, when the secret has no `dbname` (RDS's generated secret has none): the AppsData database's name. */
  readonly databaseName: string;
  /** Doctrine's `serverVersion`: MySQL's major.minor, e.g. `8.4`. */
  readonly mysqlServerVersion: string;
  /** Run in the release as the web user before it goes live (config `apps.<app>.schemaUpdateCommand`). */
  readonly schemaUpdateCommand: string;
}

export interface InternalNameHookProps {
  /** The region of the SSM parameter. */
  readonly region: string;
  /** The name the instance answers to, e.g. `connector.internal-client.url`. */
  readonly hostName: string;
  /** The SSM parameter holding the private hosted zone's id, e.g. `/storestack/shared/internal-zone-id`. */
  readonly zoneIdParameter: string;
  /**
   * The record's TTL: how long a gateway may keep a replaced instance's address.
   * @default 60
   */
  readonly ttlSeconds?: number;
}

export const CREDENTIALS_HOOK_PATH = '.platform/hooks/prebuild/10-credentials.sh';
/** Before the schema update: the web user it runs as must be able to write the release (its cache). */
export const PERMISSIONS_HOOK_PATH = '.platform/hooks/predeploy/20-permissions.sh';
export const SCHEMA_HOOK_PATH = '.platform/hooks/predeploy/30-schema.sh';
export const INTERNAL_NAME_HOOK_PATH = '.platform/hooks/prebuild/05-register-internal-name.sh';
export const DEFAULT_INTERNAL_NAME_TTL_SECONDS = 60;

const GENERATOR = 'src/assets/beanstalk/apps/hooks/render.ts';
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SCHEMA_NAME = /^[A-Za-z0-9_]{1,64}$/;
const SERVER_VERSION = /^\d+\.\d+(\.\d+)?$/;

function parameterErrors(what: string, name: string): string[] {
  return PARAMETER_NAME.test(name) ? [] : [`${what} ${JSON.stringify(name)} is not an SSM parameter name`];
}

function validate(props: AppHooksProps): string[] {
  const errors: string[] = [];
  if (!APP_NAMES.includes(props.app))
    errors.push(`app ${JSON.stringify(props.app)} is not one of ${APP_NAMES.join(', ')}`);
  if (!REGION.test(props.region)) errors.push(`region ${JSON.stringify(props.region)} is not an AWS region`);
  errors.push(...parameterErrors('parameters.databaseEndpoint', props.parameters.databaseEndpoint));
  errors.push(...parameterErrors('parameters.databaseSecretArn', props.parameters.databaseSecretArn));
  if (!SCHEMA_NAME.test(props.databaseName)) {
    errors.push(`databaseName ${JSON.stringify(props.databaseName)} is not a MySQL schema name`);
  }
  if (!SERVER_VERSION.test(props.mysqlServerVersion)) {
    errors.push(`mysqlServerVersion ${JSON.stringify(props.mysqlServerVersion)} is not a version such as 8.4`);
  }
  const command = props.schemaUpdateCommand;
  if (command.trim() === '' || /[\n\r\0]/.test(command)) {
    errors.push(`schemaUpdateCommand ${JSON.stringify(command)} must be one non-empty line`);
  }
  return errors;
}

/**
 * The hooks of one satellite app: its credentials into `.env.local` (prebuild), the release to
 * the web user (predeploy 20), the schema update as the web user (predeploy 30). Throws one
 * error listing every invalid prop.
 */
export function renderAppHooks(props: AppHooksProps): BundleFile[] {
  check(`${props.app} hooks`, validate(props));
  const name = setting('APP_NAME', props.app);
  const webUser = setting('APP_WEB_USER', APP_WEB_USER);
  return [
    {
      path: CREDENTIALS_HOOK_PATH,
      content: script(GENERATOR, 'credentials.sh', [
        name,
        setting('APP_REGION', props.region),
        setting('APP_ENDPOINT_PARAMETER', props.parameters.databaseEndpoint),
        setting('APP_SECRET_ARN_PARAMETER', props.parameters.databaseSecretArn),
        setting('APP_DATABASE_NAME', props.databaseName),
        setting('APP_MYSQL_SERVER_VERSION', props.mysqlServerVersion),
        webUser,
      ]),
      mode: EXECUTABLE,
    },
    { path: PERMISSIONS_HOOK_PATH, content: script(GENERATOR, 'permissions.sh', [name, webUser]), mode: EXECUTABLE },
    {
      path: SCHEMA_HOOK_PATH,
      content: script(GENERATOR, 'schema.sh', [
        name,
        setting('APP_SCHEMA_UPDATE_COMMAND', props.schemaUpdateCommand),
        webUser,
      ]),
      mode: EXECUTABLE,
    },
  ];
}

/**
 * The connector's prebuild hook that points its internal name at the instance (an UPSERT in the
 * private hosted zone), for the HAProxy gateway in front of its FTP server. Throws one error
 * listing every invalid prop.
 */
export function renderInternalNameHook(props: InternalNameHookProps): BundleFile {
  const ttl = props.ttlSeconds ?? DEFAULT_INTERNAL_NAME_TTL_SECONDS;
  const errors: string[] = [];
  if (!REGION.test(props.region)) errors.push(`region ${JSON.stringify(props.region)} is not an AWS region`);
  if (!HOST_NAME.test(props.hostName)) errors.push(`hostName ${JSON.stringify(props.hostName)} is not a DNS name`);
  errors.push(...parameterErrors('zoneIdParameter', props.zoneIdParameter));
  if (!Number.isSafeInteger(ttl) || ttl < 0 || ttl > 86400) {
    errors.push(`ttlSeconds must be a whole number of seconds from 0 to 86400 (got ${ttl})`);
  }
  check('internal name hook', errors);
  return {
    path: INTERNAL_NAME_HOOK_PATH,
    content: script(GENERATOR, 'register-internal-name.sh', [
      setting('APP_REGION', props.region),
      setting('APP_INTERNAL_NAME', props.hostName),
      setting('APP_ZONE_ID_PARAMETER', props.zoneIdParameter),
      setting('APP_RECORD_TTL_SECONDS', ttl),
    ]),
    mode: EXECUTABLE,
  };
}
