// The phpMyAdmin user data: checked by bash -n and shellcheck, then run for real against a sandbox
// with the system commands stubbed on PATH (see fixtures.ts), every location under its root.
import { existsSync, lstatSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidPhpMyAdminError,
  PHPMYADMIN_SETTINGS_PATH,
  renderPhpMyAdminNginxServer,
  renderPhpMyAdminUserData,
} from '../../../src/assets/phpmyadmin/render.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { expectBashParses, expectShellcheckClean, scratchScripts } from '../lint.ts';
import { ENDPOINTS, includedConfig, Sandbox, sampleProps, TARBALL_SHA256 } from './fixtures.ts';

const SCRIPT_SOURCE = join(PROJECT_ROOT, 'src/assets/phpmyadmin/setup-phpmyadmin.sh');
const RELEASE = '/usr/share/phpmyadmin-5.2.1';

describe('the phpMyAdmin user data, checked by the real tools', () => {
  const written = scratchScripts('storestack-phpmyadmin-lint-');
  let rendered: string;

  beforeAll(() => {
    rendered = written('user-data.sh', renderPhpMyAdminUserData(sampleProps()));
  });

  it('parses with bash -n', () => {
    expectBashParses(rendered);
  });

  it.each([
    ['the rendered user data', () => rendered],
    ['setup-phpmyadmin.sh on its own', () => SCRIPT_SOURCE],
  ])('passes shellcheck at every severity: %s', (_name, file) => {
    expectShellcheckClean(file());
  });

  it('starts with set -euo pipefail after the header', () => {
    expect(renderPhpMyAdminUserData(sampleProps())).toMatch(/^#!\/bin\/bash\n[\s\S]*\nset -euo pipefail\n/);
  });

  it('downloads the pinned version from the URL template', () => {
    const text = renderPhpMyAdminUserData(
      sampleProps({ downloadUrl: 'https://mirror.example/pma/{version}/pma-{version}.tar.gz' }),
    );
    expect(text).toContain("PMA_URL='https://mirror.example/pma/5.2.1/pma-5.2.1.tar.gz'");
  });
});

describe('renderPhpMyAdminUserData props', () => {
  it.each([
    ['a bad version', { version: '5.2.1; rm' }, /version "5\.2\.1; rm" must be a release number/],
    ['a bad checksum', { sha256: 'ABC' }, /sha256 "ABC" must be 64 lower-case hexadecimal digits/],
    ['an http URL', { downloadUrl: 'http://files.example/pma.tar.gz' }, /downloadUrl .* must be an https URL/],
    ['a quote in the CA URL', { caBundleUrl: "https://x.example/a'b" }, /caBundleUrl .* must be an https URL/],
    ['a bad region', { region: 'Paris' }, /region "Paris" is not an AWS region/],
    ['a bad port', { port: 0 }, /port 0 is not a TCP port/],
    ['no server', { servers: [] }, /servers must list at least one database server/],
    [
      'a bad parameter name',
      { servers: [{ label: 'A', endpointParameter: '/a b' }] },
      /servers\[0\]\.endpointParameter "\/a b" is not an SSM parameter name/,
    ],
    [
      'one parameter twice',
      {
        servers: [
          { label: 'A', endpointParameter: '/p' },
          { label: 'B', endpointParameter: '/p' },
        ],
      },
      /servers\[1\]\.endpointParameter \/p is already the parameter of servers\[0\]/,
    ],
    [
      'a label with a double quote',
      { servers: [{ label: 'A"B', endpointParameter: '/p' }] },
      /servers\[0\]\.label "A\\"B" must be/,
    ],
  ] as const)('refuses %s', (_name, change, message) => {
    expect(() => renderPhpMyAdminUserData(sampleProps(change))).toThrow(message);
  });

  it('lists every problem at once', () => {
    expect(() => renderPhpMyAdminUserData(sampleProps({ version: 'x', sha256: 'y', region: 'z' }))).toThrow(
      InvalidPhpMyAdminError,
    );
    try {
      renderPhpMyAdminUserData(sampleProps({ version: 'x', sha256: 'y', region: 'z' }));
    } catch (error) {
      expect((error as InvalidPhpMyAdminError).problems).toHaveLength(3);
    }
  });
});

describe('setup-phpmyadmin.sh with the system commands stubbed', () => {
  let sandbox: Sandbox;

  beforeEach(() => {
    sandbox = new Sandbox();
  });

  afterEach(() => {
    sandbox.remove();
  });

  function expectSuccess(result: { status: number | null; stderr: string; stdout: string }): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  it('installs the packages, the pinned release behind a symlink, the CA bundle, and starts the services', async () => {
    const result = await sandbox.run(renderPhpMyAdminUserData(sampleProps()));
    expectSuccess(result);

    expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y nginx php-fpm php-mysqlnd php-mbstring php-xml php-json']);
    expect(sandbox.callsOf('curl')).toEqual([
      expect.stringMatching(
        /^curl -fsSL --retry 5 -o \S+\/phpmyadmin-5\.2\.1\.download\.\w+\/phpmyadmin\.tar\.gz https:\/\/files\.phpmyadmin\.net\/phpMyAdmin\/5\.2\.1\/phpMyAdmin-5\.2\.1-all-languages\.tar\.gz$/,
      ),
      expect.stringMatching(
        /^curl -fsSL --retry 5 -o \S+ https:\/\/truststore\.pki\.rds\.amazonaws\.com\/global\/global-bundle\.pem$/,
      ),
    ]);
    expect(readlinkSync(sandbox.path('/usr/share/phpmyadmin'))).toBe('phpmyadmin-5.2.1');
    expect(sandbox.read(sandbox.path(`${RELEASE}/.storestack-sha256`))).toBe(`${TARBALL_SHA256}\n`);
    expect(sandbox.read(sandbox.path('/etc/pki/rds/global-bundle.pem'))).toContain('BEGIN CERTIFICATE');
    expect(sandbox.read(sandbox.path('/etc/nginx/conf.d/phpmyadmin.conf'))).toBe(renderPhpMyAdminNginxServer());
    expect(sandbox.callsOf('nginx')).toEqual(['nginx -t -q']);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl enable --now php-fpm nginx', 'systemctl reload nginx']);
    expect(sandbox.callsOf('aws')).toContain(
      'aws ssm get-parameter --region eu-west-3 --name /storestack/apps/db-endpoint --query Parameter.Value --output text',
    );
  });

  it('writes a config.inc.php that the real PHP reads the three endpoints and the secret through', async () => {
    expectSuccess(await sandbox.run(renderPhpMyAdminUserData(sampleProps())));

    const settingsFile = sandbox.path(PHPMYADMIN_SETTINGS_PATH);
    expect(statSync(settingsFile).mode & 0o777).toBe(0o640);
    expect(sandbox.callsOf('chown')).toContainEqual(
      expect.stringMatching(/^chown root:apache \S+\/settings\.json\.storestack\.\w+$/),
    );
    // The installed config reads its data from the absolute path: point it at the sandbox's copy.
    const config = sandbox.read(sandbox.path(`${RELEASE}/config.inc.php`)) ?? '';
    expect(config).toContain(PHPMYADMIN_SETTINGS_PATH);
    const local = join(sandbox.root, 'config.inc.php');
    writeFileSync(local, config.replace(PHPMYADMIN_SETTINGS_PATH, settingsFile));
    const cfg = includedConfig(local);
    const servers = Object.values(cfg.Servers);
    expect(servers.map((server) => [server.verbose, server.host, server.port])).toEqual([
      ['Magento prod', ENDPOINTS['/storestack/prod/magento/db-endpoint'], '3306'],
      ['Magento preprod', 'preprod-magento.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com', '3307'],
      ['Apps', ENDPOINTS['/storestack/apps/db-endpoint'], '3306'],
    ]);
    for (const server of servers) {
      expect(server).toMatchObject({ auth_type: 'cookie', ssl: true, AllowNoPassword: false });
      expect(server).not.toHaveProperty('password');
      expect(server).not.toHaveProperty('controlpass');
    }
    const secretFile = sandbox.path('/etc/storestack/phpmyadmin/blowfish-secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(cfg.blowfish_secret).toBe(sandbox.read(secretFile));
    expect(Buffer.from(cfg.blowfish_secret, 'hex')).toHaveLength(32);
  });

  it('keeps the secret, the release and the CA bundle on a second run, and changes nothing', async () => {
    const script = renderPhpMyAdminUserData(sampleProps());
    expectSuccess(await sandbox.run(script));
    const secretFile = sandbox.path('/etc/storestack/phpmyadmin/blowfish-secret');
    const secret = sandbox.read(secretFile);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const settings = sandbox.read(sandbox.path(PHPMYADMIN_SETTINGS_PATH));
    sandbox.install('nginx');
    for (const name of ['php-fpm', 'php-mysqlnd', 'php-mbstring', 'php-xml', 'php-json']) sandbox.install(name);
    sandbox.clearCalls();

    expectSuccess(await sandbox.run(script));

    expect(sandbox.read(secretFile)).toBe(secret);
    expect(sandbox.read(sandbox.path(PHPMYADMIN_SETTINGS_PATH))).toBe(settings);
    expect(sandbox.callsOf('curl')).toEqual([]);
    expect(sandbox.callsOf('tar')).toEqual([]);
    expect(sandbox.callsOf('dnf')).toEqual([]);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl enable --now php-fpm nginx']);
  });

  it('follows an endpoint that changed, on the next run', async () => {
    const script = renderPhpMyAdminUserData(sampleProps());
    expectSuccess(await sandbox.run(script));
    sandbox.setParameter('/storestack/apps/db-endpoint', 'apps-restored.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com');

    expectSuccess(await sandbox.run(script));

    expect(sandbox.read(sandbox.path(PHPMYADMIN_SETTINGS_PATH))).toContain('"host":"apps-restored.');
  });

  it("installs a release that matches phpMyAdmin's published SHA-256 when config pins none", async () => {
    sandbox.write(
      join(sandbox.state, 'published-sha256'),
      `${TARBALL_SHA256}  phpMyAdmin-5.2.1-all-languages.tar.gz\n`,
    );

    expectSuccess(await sandbox.run(renderPhpMyAdminUserData(sampleProps({ sha256: undefined }))));
  });

  it("refuses a release that does not match phpMyAdmin's published SHA-256", async () => {
    sandbox.write(
      join(sandbox.state, 'published-sha256'),
      `${'e'.repeat(64)}  phpMyAdmin-5.2.1-all-languages.tar.gz\n`,
    );

    const refused = await sandbox.run(renderPhpMyAdminUserData(sampleProps({ sha256: undefined })));

    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`expected sha256 ${'e'.repeat(64)}, got ${TARBALL_SHA256}; nothing was unpacked`);
  });

  it('fails clearly on a checksum mismatch, without unpacking anything', async () => {
    const result = await sandbox.run(renderPhpMyAdminUserData(sampleProps({ sha256: 'f'.repeat(64) })));

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `storestack-phpmyadmin: ERROR: checksum mismatch for https://files.phpmyadmin.net/phpMyAdmin/5.2.1/phpMyAdmin-5.2.1-all-languages.tar.gz: expected sha256 ${'f'.repeat(64)}, got ${TARBALL_SHA256}; nothing was unpacked`,
    );
    expect(sandbox.callsOf('tar')).toEqual([]);
    expect(existsSync(sandbox.path(RELEASE))).toBe(false);
    expect(existsSync(sandbox.path('/usr/share/phpmyadmin'))).toBe(false);
    expect(sandbox.callsOf('systemctl')).toEqual([]);
    // The download's scratch directory is gone too.
    const archive = sandbox.callsOf('curl')[0]?.split(' ')[5] ?? '';
    expect(archive).toMatch(/\/phpmyadmin\.tar\.gz$/);
    expect(existsSync(dirname(archive))).toBe(false);
  });

  it('fails clearly when an endpoint parameter is missing', async () => {
    sandbox.removeParameter('/storestack/apps/db-endpoint');

    const result = await sandbox.run(renderPhpMyAdminUserData(sampleProps()));

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'storestack-phpmyadmin: ERROR: cannot read the SSM parameter /storestack/apps/db-endpoint in eu-west-3',
    );
    expect(sandbox.callsOf('systemctl')).toEqual([]);
  });

  it('refuses an endpoint that is not a host name', async () => {
    sandbox.setParameter('/storestack/apps/db-endpoint', 'apps"; evil');

    const result = await sandbox.run(renderPhpMyAdminUserData(sampleProps()));

    expect(result.status).toBe(1);
    expect(result.stderr).toContain("/storestack/apps/db-endpoint holds 'apps\"; evil', not a host or host:port");
  });

  it('leaves a phpMyAdmin directory it did not install alone', async () => {
    sandbox.write(sandbox.path('/usr/share/phpmyadmin/index.php'), '<?php\n');

    const result = await sandbox.run(renderPhpMyAdminUserData(sampleProps()));

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is not a symlink');
    expect(lstatSync(sandbox.path('/usr/share/phpmyadmin')).isDirectory()).toBe(true);
  });

  it("takes default_server from the stock server, so that phpMyAdmin's is the default", async () => {
    const main = sandbox.path('/etc/nginx/nginx.conf');
    sandbox.write(
      main,
      'http {\n    server {\n        listen       80 default_server;\n        listen       [::]:80 default_server;\n    }\n}\n',
    );

    expectSuccess(await sandbox.run(renderPhpMyAdminUserData(sampleProps())));

    expect(sandbox.read(main)).toBe(
      'http {\n    server {\n        listen       80;\n        listen       [::]:80;\n    }\n}\n',
    );
  });
});
