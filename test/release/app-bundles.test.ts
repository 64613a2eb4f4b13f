// The satellite apps' bundles rendered from the sample configuration: which files each app gets,
// and how the configuration reaches them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundleOptions } from '../../bin/cli-bundle.js';
import { APPS, type App, appParameterNames, renderAppBundle, UnknownAppError } from '../../src/release/app-bundles.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';

function file(app: App, path: string, platform = samplePlatform()): string {
  const found = renderAppBundle(platform, app).find((candidate) => candidate.path === path);
  if (!found) throw new Error(`test setup: the ${app} bundle has no ${path}`);
  return found.content;
}

describe('renderAppBundle', () => {
  it('lists the three apps in the document order', () => {
    expect(APPS).toEqual(['pim', 'connector', 'mirakl']);
  });

  it('gives the PIM the common hooks, public/ as document root behind nginx, and nothing else', () => {
    expect(renderAppBundle(samplePlatform(), 'pim').map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ['.ebextensions/10-storestack-pim.config', '644'],
      ['.platform/hooks/prebuild/10-credentials.sh', '755'],
      ['.platform/hooks/predeploy/20-permissions.sh', '755'],
      ['.platform/hooks/predeploy/30-schema.sh', '755'],
      ['.platform/nginx/conf.d/elasticbeanstalk/10-storestack-deny-dotfiles.conf', '644'],
    ]);
  });

  it('gives the connector the common hooks, its internal name and its FTP server', () => {
    expect(renderAppBundle(samplePlatform(), 'connector').map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ['.ebextensions/10-storestack-connector.config', '644'],
      ['.platform/hooks/postdeploy/30-ftp.sh', '755'],
      ['.platform/hooks/prebuild/05-register-internal-name.sh', '755'],
      ['.platform/hooks/prebuild/10-credentials.sh', '755'],
      ['.platform/hooks/predeploy/20-permissions.sh', '755'],
      ['.platform/hooks/predeploy/30-schema.sh', '755'],
      ['.platform/nginx/conf.d/elasticbeanstalk/10-storestack-deny-dotfiles.conf', '644'],
      ['.platform/storestack/connector-ftp/vsftpd.conf', '644'],
      ['.platform/storestack/connector-ftp/vsftpd.pam', '644'],
      ['.platform/storestack/connector-ftp/vsftpd.service.conf', '644'],
    ]);
  });

  it('gives the Mirakl connector the common hooks, its settings, its Apache configuration and its cron', () => {
    expect(renderAppBundle(samplePlatform(), 'mirakl').map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ['.ebextensions/10-storestack-mirakl.config', '644'],
      ['.platform/hooks/postdeploy/10-install-cron.sh', '755'],
      ['.platform/hooks/prebuild/10-credentials.sh', '755'],
      ['.platform/hooks/prebuild/20-mirakl-config.sh', '755'],
      ['.platform/hooks/predeploy/20-permissions.sh', '755'],
      ['.platform/hooks/predeploy/30-schema.sh', '755'],
      ['.platform/httpd/conf.d/mirakl.conf', '644'],
    ]);
    expect(JSON.parse(file('mirakl', '.ebextensions/10-storestack-mirakl.config')).option_settings).toContainEqual({
      namespace: 'aws:elasticbeanstalk:environment:proxy',
      option_name: 'ProxyServer',
      value: 'apache',
    });
  });

  it.each(APPS)('sorts the %s bundle by path', (app) => {
    const paths = renderAppBundle(samplePlatform(), app).map((f) => f.path);

    expect(paths).toEqual([...paths].sort((a, b) => a.localeCompare(b)));
  });

  it("writes each app's schema command and the apps' database parameters into its hooks", () => {
    const platform = samplePlatform();
    for (const app of APPS) {
      expect(file(app, '.platform/hooks/predeploy/30-schema.sh')).toContain(
        `readonly APP_SCHEMA_UPDATE_COMMAND='${platform.apps[app].schemaUpdateCommand}'`,
      );
      expect(file(app, '.platform/hooks/prebuild/10-credentials.sh')).toContain(
        [
          `readonly APP_NAME='${app}'`,
          "readonly APP_REGION='eu-west-3'",
          "readonly APP_ENDPOINT_PARAMETER='/storestack/apps/database/endpoint'",
          "readonly APP_SECRET_ARN_PARAMETER='/storestack/apps/database/secret-arn'",
          "readonly APP_DATABASE_NAME='apps'",
          // databases.engineVersion 8.4.7
          "readonly APP_MYSQL_SERVER_VERSION='8.4'",
        ].join('\n'),
      );
    }
  });

  it("registers the connector under connector.<internal domain>, the zone id from the project's shared parameters", () => {
    expect(file('connector', '.platform/hooks/prebuild/05-register-internal-name.sh')).toContain(
      [
        "readonly APP_INTERNAL_NAME='connector.internal-client.url'",
        "readonly APP_ZONE_ID_PARAMETER='/storestack/shared/internal-zone-id'",
        'readonly APP_RECORD_TTL_SECONDS=60',
      ].join('\n'),
    );
  });

  it("gives the FTP server the connector's FTP settings, the gateway forwarding to the connector and the share", () => {
    expect(file('connector', '.platform/hooks/postdeploy/30-ftp.sh')).toContain(
      [
        "FTP_USER='ftpclient'",
        "FTP_WEB_USER='webapp'",
        "FTP_UPLOAD_DIRECTORY='ftp'",
        "FTP_REGION='eu-west-3'",
        "FTP_SHARE_PARAMETER='/storestack/shared/shares/connector'",
        "FTP_SECRET_ARN_PARAMETER='/storestack/apps/connector/ftp-secret-arn'",
        // gateway.servers[1] (name ftp) has backend connector.
        "FTP_GATEWAY_IP_PARAMETER='/storestack/apps/gateways/ftp/public-ip'",
        "FTP_GATEWAY_NAME='ftp'",
        "FTP_MOUNT_POINT='/mnt/storestack/connector-ftp'",
        "FTP_FILE_SYSTEM='nfs-server'",
        'FTP_MOUNT_TIMEOUT_SECONDS=300',
      ].join('\n'),
    );
    expect(file('connector', '.platform/storestack/connector-ftp/vsftpd.conf')).toContain('pasv_min_port=2048');
  });

  it("installs the Mirakl connector's cron entries from the configuration", () => {
    const platform = platformWith((input) => {
      input.apps.mirakl.cron = [
        { schedule: '*/10 * * * *', command: 'php bin/console hipay:cashout:process' },
        { schedule: '30 2 * * *', command: 'php bin/console hipay:bankinfo:check' },
      ];
    });

    expect(file('mirakl', '.platform/hooks/postdeploy/10-install-cron.sh', platform)).toContain(
      [
        'SHELL=/bin/bash',
        'PATH=/usr/local/bin:/usr/bin:/bin',
        '*/10 * * * * webapp cd /var/app/current && php bin/console hipay:cashout:process',
        '30 2 * * * webapp cd /var/app/current && php bin/console hipay:bankinfo:check',
        "'",
      ].join('\n'),
    );
  });

  it("names every parameter under the project's prefix", () => {
    const platform = platformWith((input) => {
      (input as { project?: string }).project = 'acme';
    });

    expect(file('mirakl', '.platform/hooks/prebuild/20-mirakl-config.sh', platform)).toContain(
      "readonly APP_CONFIG_ARN_PARAMETER='/acme/apps/mirakl/config-secret-arn'",
    );
    expect(file('pim', '.platform/hooks/prebuild/10-credentials.sh', platform)).toContain(
      "readonly APP_ENDPOINT_PARAMETER='/acme/apps/database/endpoint'",
    );
    const names = appParameterNames(platform);
    expect({ ...names, gatewayPublicIp: names.gatewayPublicIp('ftp') }).toEqual({
      databaseEndpoint: '/acme/apps/database/endpoint',
      databaseSecretArn: '/acme/apps/database/secret-arn',
      miraklConfigSecretArn: '/acme/apps/mirakl/config-secret-arn',
      connectorFtpSecretArn: '/acme/apps/connector/ftp-secret-arn',
      gatewayPublicIp: '/acme/apps/gateways/ftp/public-ip',
      internalZoneId: '/acme/shared/internal-zone-id',
      connectorShareSource: '/acme/shared/shares/connector',
    });
  });

  it('follows the file server: EFS mounts for the FTP share', () => {
    const platform = samplePlatform();
    const efs = { ...platform, storage: { ...platform.storage, fileServer: { type: 'efs' } } } as typeof platform;

    expect(file('connector', '.platform/hooks/postdeploy/30-ftp.sh', efs)).toContain("FTP_FILE_SYSTEM='efs'");
  });

  it('refuses an app it does not know', () => {
    expect(() => renderAppBundle(samplePlatform(), 'windows' as App)).toThrow(UnknownAppError);
    expect(() => renderAppBundle(samplePlatform(), 'windows' as App)).toThrow(
      'windows is not a satellite application (known: pim, connector, mirakl)',
    );
  });

  describe('finds its script bodies when bundled like the CLI (esbuild, in node_modules/.cache)', () => {
    let outdir: string;

    beforeAll(() => {
      const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
      mkdirSync(cache, { recursive: true });
      outdir = mkdtempSync(join(cache, 'storestack-app-bundles-test-'));
    });

    afterAll(() => {
      rmSync(outdir, { recursive: true, force: true });
    });

    it('renders the same files from the bundle', async () => {
      const entry = join(outdir, 'entry.ts');
      const module = join(PROJECT_ROOT, 'src/release/app-bundles.ts');
      writeFileSync(entry, `export { renderAppBundle } from ${JSON.stringify(module)};\n`);
      await build(cliBundleOptions({ root: PROJECT_ROOT, outdir, entryPoints: { run: entry } }));
      const bundled = (await import(pathToFileURL(join(outdir, 'run.mjs')).href)) as {
        renderAppBundle: typeof renderAppBundle;
      };

      for (const app of APPS) {
        expect(bundled.renderAppBundle(samplePlatform(), app)).toEqual(renderAppBundle(samplePlatform(), app));
      }
    });
  });
});
