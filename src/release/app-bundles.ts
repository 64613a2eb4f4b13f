// The bundles of the satellite applications (document 2, 3, 4): the files each release merges
// into the application's code, rendered from the platform configuration. Every app gets the
// common hooks (credentials, permissions, schema update) and the web settings of a Symfony
// application; the connector adds its internal name and its FTP server, the Mirakl-HiPay
// connector its settings, its Apache configuration and its cron. Pure: no AWS call, no aws-cdk-lib.

import { renderAppHooks, renderInternalNameHook } from '../assets/beanstalk/apps/hooks/render.ts';
import { renderMiraklFiles } from '../assets/beanstalk/apps/mirakl/render.ts';
import { APP_WEB_USER } from '../assets/beanstalk/apps/script.ts';
import {
  type AppProxy,
  appEbextensionPath,
  NGINX_DOTFILES_PATH,
  renderAppEbextension,
  renderNginxDotfiles,
} from '../assets/beanstalk/apps/web/render.ts';
import { renderConnectorFtpFiles } from '../assets/beanstalk/connector-ftp/render.ts';
import type { Platform } from '../config/schema.ts';
import { type BundleFile, MOUNT_TIMEOUT_SECONDS, MOUNTS_ROOT } from './magento-bundle.ts';

/** The satellite applications with a bundle, in the document's order. */
export const APPS = ['pim', 'connector', 'mirakl'] as const;
export type App = (typeof APPS)[number];

/** The AppsData database's schema (src/infra/stacks/apps-data-stack.ts): RDS's generated secret does not name it. */
export const APPS_DATABASE_NAME = 'apps';
/** The connector's share, mounted for the life of the instance: the FTP root. */
export const CONNECTOR_FTP_MOUNT_POINT = `${MOUNTS_ROOT}/connector-ftp`;

/** An app name the bundles do not know. */
export class UnknownAppError extends Error {
  constructor(name: string) {
    super(`${name} is not a satellite application (known: ${APPS.join(', ')})`);
    this.name = 'UnknownAppError';
  }
}

/**
 * The SSM parameters the apps' hooks read (published by the AppsData, Network and Storage stacks
 * and the apps' own stacks), under the project's prefix.
 */
export function appParameterNames(platform: Platform) {
  const apps = `/${platform.project}/apps`;
  const shared = `/${platform.project}/shared`;
  return {
    databaseEndpoint: `${apps}/database/endpoint`,
    databaseSecretArn: `${apps}/database/secret-arn`,
    miraklConfigSecretArn: `${apps}/mirakl/config-secret-arn`,
    connectorFtpSecretArn: `${apps}/connector/ftp-secret-arn`,
    gatewayPublicIp: (gateway: string) => `${apps}/gateways/${gateway}/public-ip`,
    internalZoneId: `${shared}/internal-zone-id`,
    connectorShareSource: `${shared}/shares/connector`,
  };
}

/** The gateway forwarding the FTP ports to the connector (the configuration requires one). */
function connectorGateway(platform: Platform): string {
  const gateway = platform.gateway.servers.find((server) => server.backend === 'connector');
  if (!gateway) throw new Error('gateway.servers has no gateway whose backend is connector: its FTP server needs one');
  return gateway.name;
}

/** MySQL's major.minor, Doctrine's serverVersion: `8.4.7` gives `8.4`. */
function mysqlServerVersion(engineVersion: string): string {
  const match = /^(\d+\.\d+)/.exec(engineVersion);
  if (!match?.[1]) throw new Error(`databases.engineVersion ${engineVersion} is not a MySQL version such as 8.4.7`);
  return match[1];
}

/** The files of the bundle of `app`, sorted by path. */
export function renderAppBundle(platform: Platform, app: App): BundleFile[] {
  if (!(APPS as readonly string[]).includes(app)) throw new UnknownAppError(app);
  const region = platform.aws.region;
  const parameters = appParameterNames(platform);
  const config = platform.apps[app];
  const proxy: AppProxy = app === 'mirakl' ? 'apache' : 'nginx';
  const files: BundleFile[] = [
    { path: appEbextensionPath(app), content: renderAppEbextension(proxy), mode: 0o644 },
    ...renderAppHooks({
      app,
      region,
      parameters: { databaseEndpoint: parameters.databaseEndpoint, databaseSecretArn: parameters.databaseSecretArn },
      databaseName: APPS_DATABASE_NAME,
      mysqlServerVersion: mysqlServerVersion(platform.databases.engineVersion),
      schemaUpdateCommand: config.schemaUpdateCommand,
    }),
  ];
  if (proxy === 'nginx') files.push({ path: NGINX_DOTFILES_PATH, content: renderNginxDotfiles(), mode: 0o644 });
  if (app === 'connector') {
    const { ftp } = platform.apps.connector;
    const gatewayName = connectorGateway(platform);
    files.push(
      renderInternalNameHook({
        region,
        hostName: `connector.${platform.domains.internal}`,
        zoneIdParameter: parameters.internalZoneId,
      }),
      ...renderConnectorFtpFiles({
        ftpUser: ftp.user,
        passivePorts: ftp.passivePorts,
        uploadDirectory: ftp.uploadDirectory,
        webUser: APP_WEB_USER,
        region,
        parameterPaths: {
          gatewayPublicIp: parameters.gatewayPublicIp(gatewayName),
          ftpSecretArn: parameters.connectorFtpSecretArn,
          shareSource: parameters.connectorShareSource,
        },
        gatewayName,
        mountPoint: CONNECTOR_FTP_MOUNT_POINT,
        fileSystem: platform.storage.fileServer.type,
        mountTimeoutSeconds: MOUNT_TIMEOUT_SECONDS,
      }),
    );
  }
  if (app === 'mirakl') {
    files.push(
      ...renderMiraklFiles({
        region,
        configSecretArnParameter: parameters.miraklConfigSecretArn,
        requiredKeys: platform.apps.mirakl.configKeys,
        cron: platform.apps.mirakl.cron,
      }),
    );
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
